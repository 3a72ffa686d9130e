"""Limits of the Space, read from environment variables, and validation of one request's uploads.

| variable | default | meaning |
|---|---|---|
| `S2H_MIN_IMAGES` | 2 | fewest images a search request accepts |
| `S2H_MAX_IMAGES` | 8 | most images a search request accepts |
| `S2H_MAX_PIXELS` | 16777216 | largest upload (width x height, 4096x4096 by default); bigger ones are refused |
| `S2H_MAX_FILE_MB` | 20 | largest upload in MiB |
| `S2H_MAX_SIDE` | 1024 | images are shrunk to this longer side before they reach the model |
| `S2H_MAX_NEW_TOKENS` | 128 | tokens the model may generate per answer |
| `S2H_MAX_QUERY_CHARS` | 500 | longest request text |
| `S2H_CONCURRENCY` | 1 | requests the model serves at once (Gradio queue `default_concurrency_limit`) |
| `S2H_MAX_QUEUE` | 16 | requests that may wait in the queue; more are turned away |

Uploads are decoded from their files into memory (`load_uploads`). A refused file is deleted at once
(`discard_uploads`); good ones stay in the upload box for the next question and are deleted when the
visitor's session ends (`sessions.py` says when files go).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from dataclasses import dataclass, field, fields
from functools import partial
from pathlib import Path

from PIL import Image

from ..errors import UserError
from ..images import BadImage, load_checked, to_rgb

__all__ = ["Limits", "UploadError", "check_count", "discard_uploads", "file_digest", "load_uploads"]

logger = logging.getLogger(__name__)


class UploadError(UserError):
    """An upload the Space refuses; the message is shown to the user as a `gr.Warning`."""


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise UserError(
            f"environment variable `{name}={raw}` is not an integer; set it to e.g. {default}"
        ) from None


def _int_field(env: str, default: int, help: str):
    return field(default_factory=lambda: _env_int(env, default), metadata={"help": help, "env": env})


@dataclass
class Limits:
    """What one request may send and get. Every field defaults to its environment variable (module docstring).

    Args:
        min_images (`int`, defaults to `$S2H_MIN_IMAGES` or 2)
        max_images (`int`, defaults to `$S2H_MAX_IMAGES` or 8)
        max_pixels (`int`, defaults to `$S2H_MAX_PIXELS` or 4096*4096)
        max_file_mb (`int`, defaults to `$S2H_MAX_FILE_MB` or 20)
        max_side (`int`, defaults to `$S2H_MAX_SIDE` or 1024)
        max_new_tokens (`int`, defaults to `$S2H_MAX_NEW_TOKENS` or 128)
        max_query_chars (`int`, defaults to `$S2H_MAX_QUERY_CHARS` or 500)
        concurrency (`int`, defaults to `$S2H_CONCURRENCY` or 1)
        max_queue (`int`, defaults to `$S2H_MAX_QUEUE` or 16)
    """

    min_images: int = _int_field("S2H_MIN_IMAGES", 2, "Fewest images per search request.")
    max_images: int = _int_field("S2H_MAX_IMAGES", 8, "Most images per search request.")
    max_pixels: int = _int_field("S2H_MAX_PIXELS", 4096 * 4096, "Largest upload in pixels (width x height).")
    max_file_mb: int = _int_field("S2H_MAX_FILE_MB", 20, "Largest upload in MiB.")
    max_side: int = _int_field("S2H_MAX_SIDE", 1024, "Longer side images are shrunk to before the model.")
    max_new_tokens: int = _int_field("S2H_MAX_NEW_TOKENS", 128, "Tokens generated per answer.")
    max_query_chars: int = _int_field("S2H_MAX_QUERY_CHARS", 500, "Longest request text.")
    concurrency: int = _int_field("S2H_CONCURRENCY", 1, "Requests served at once.")
    max_queue: int = _int_field("S2H_MAX_QUEUE", 16, "Requests that may wait in the queue.")

    def __post_init__(self):
        for f in fields(self):
            if getattr(self, f.name) < 1:
                raise UserError(
                    f"`{f.name}` (env `{f.metadata['env']}`) must be at least 1, got {getattr(self, f.name)}"
                )
        if self.min_images > self.max_images:
            raise UserError(
                f"`min_images` ({self.min_images}) is above `max_images` ({self.max_images}); "
                "raise S2H_MAX_IMAGES or lower S2H_MIN_IMAGES"
            )


# how the Space words each refusal of the shared decode guard (`images.load_checked`)
_UNREADABLE = "`{name}` is not a readable image ({reason}); upload it again or use another file"
_UPLOAD_REFUSALS = {
    "too_large": "`{name}` is {reason}: shrink it and upload again",
    "bomb": "`{name}` is too large to decode safely; shrink it and upload again",
    "not_an_image": "`{name}` is not an image; upload PNG, JPEG, WebP, GIF or BMP files",
}


def _open_one(path: Path, limits: Limits) -> Image.Image:
    name = path.name
    try:
        size = path.stat().st_size
    except OSError:
        raise UploadError(f"`{name}` could not be read (the upload is missing); upload it again") from None
    if size == 0:
        raise UploadError(f"`{name}` is empty; upload an image file (PNG, JPEG, WebP, GIF or BMP)")
    if size > limits.max_file_mb * 1024 * 1024:
        raise UploadError(
            f"`{name}` is {size / 2**20:.1f} MiB; the limit is {limits.max_file_mb} MiB per image"
        )
    try:
        rgb = to_rgb(load_checked(partial(Image.open, path), max_pixels=limits.max_pixels, min_side=1))
    except BadImage as err:
        raise UploadError(_UPLOAD_REFUSALS.get(err.kind, _UNREADABLE).format(name=name, reason=err)) from None
    if max(rgb.size) > limits.max_side:
        rgb.thumbnail((limits.max_side, limits.max_side), Image.Resampling.LANCZOS)
    return rgb


def load_uploads(paths: list[str] | None, limits: Limits) -> list[tuple[str, Image.Image]]:
    """Decode uploaded files into RGB images, in upload order; `UploadError` names the first bad file.

    Returns:
        `(file name, image)` pairs; images are shrunk to `limits.max_side` on their longer side.
    """
    paths = [Path(p) for p in (paths or [])]
    check_count(len(paths), limits)
    return [(path.name, _open_one(path, limits)) for path in paths]


def check_count(n: int, limits: Limits) -> None:
    """`UploadError` unless `n` images are within `limits.min_images`..`limits.max_images`."""
    if n < limits.min_images:
        raise UploadError(
            f"upload at least {limits.min_images} images to search among (got {n}); "
            f"the model picks one of {limits.min_images}-{limits.max_images}"
        )
    if n > limits.max_images:
        raise UploadError(
            f"upload at most {limits.max_images} images (got {n}); remove {n - limits.max_images}"
        )


def file_digest(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def discard_uploads(
    paths: list[str] | None, cache_dir: str | os.PathLike, keep_digests: frozenset[str] = frozenset()
) -> int:
    """Delete uploaded files that live under Gradio's upload folder `cache_dir`. Files whose SHA-256 is in
    `keep_digests` stay: those are the bundled example images, whose cached copies Gradio serves to every
    visitor. Empty per-upload folders go too; files outside `cache_dir` (paths given when the handler is
    called directly) are never touched.

    Returns:
        How many files were deleted.
    """
    root = Path(cache_dir).resolve()
    deleted = 0
    for raw in paths or []:
        path = Path(raw).resolve()
        if root not in path.parents:
            continue
        try:
            if keep_digests and file_digest(path) in keep_digests:
                continue
            path.unlink()
            deleted += 1
        except FileNotFoundError:
            continue
        except OSError as err:  # never fail a request over clean-up; say so in the log
            logger.warning("could not delete upload %s: %s", path, err)
            continue
        parent = path.parent
        if parent != root:
            with contextlib.suppress(OSError):
                parent.rmdir()  # Gradio puts each upload in its own hashed folder
    return deleted
