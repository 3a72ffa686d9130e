"""What an image is, for every cache of a build: the digest of its decoded pixels, never its path or name.

Encoded images, model captions and visual facts are reused only for the same pixels (`pixel_digest`), as
`datasets` fingerprints what it caches. Decoding to find out is the expensive part, so a digest is
remembered per (source id, `Record.signature()`): a file whose size and modification time are unchanged is
not decoded again in this process, and the image store (`imagestore.py`) keeps the same pairs on disk
across runs. A record with no signature is decoded every time it is asked about.
"""

from __future__ import annotations

from .images import BadImage, decode_rgb, pixel_digest
from .sources.base import Record

__all__ = ["content_id", "remember"]

_MEMO: dict[tuple[str, str], str] = {}


def remember(record: Record, signature: str | None, digest: str) -> None:
    """Note that `record`, when its signature was `signature`, decoded to pixels with `digest`."""
    if signature is not None:
        _MEMO[(record.source_id, signature)] = digest


def content_id(record: Record) -> str | None:
    """The pixel digest of `record`'s image (None when it cannot be decoded: such images never reach a row)."""
    signature = record.signature()
    known = _MEMO.get((record.source_id, signature)) if signature is not None else None
    if known is not None:
        return known
    try:
        digest = pixel_digest(decode_rgb(record.load))
    except BadImage:
        return None
    remember(record, signature, digest)
    return digest
