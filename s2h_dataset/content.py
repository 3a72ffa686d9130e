"""What an image is, for every cache of a build: the digest of its decoded pixels, never its path or name.

Encoded images, model captions and visual facts are reused only for the same pixels (`pixel_digest`), as
`datasets` fingerprints what it caches. Decoding to find out is the expensive part, so a digest is
remembered per (source id, `Record.signature()`): a file whose size and modification time are unchanged is
not decoded again in this process, and the image store (`imagestore.py`) keeps the same pairs on disk
across runs. A record with no signature is decoded every time it is asked about.
"""

from __future__ import annotations

from .images import BadImage, decode_rgb, pixel_digest
from .sources.base import Record, RecordMemo

__all__ = ["content_id", "remember"]


def _digest(record: Record) -> str | None:
    try:
        return pixel_digest(decode_rgb(record.load))
    except BadImage:
        return None


# the pixel digest of `record`'s image (None when it cannot be decoded: such images never reach a row)
content_id = RecordMemo(_digest, keep_none=False)
# note that `record`, when its signature was `signature`, decoded to pixels with `digest`
remember = content_id.remember
