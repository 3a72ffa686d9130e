"""Decode any Pillow-readable input into a clean RGB image and encode it once for the parquet shards.

Odd-but-valid inputs are converted (CMYK, greyscale of any bit depth scaled by its real range, palette or
alpha images, EXIF rotation); unreadable
ones raise `BadImage` with a reason the build report lists (truncated, empty, not an image, too large).
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import xxhash
from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = ["BadImage", "decode_rgb", "encode_image", "encode_rgb", "load_checked", "pixel_digest", "to_rgb"]

BACKGROUND = (255, 255, 255)  # transparent pixels are composited on white, as viewers show them


class BadImage(ValueError):
    """An input image that cannot be used; str() is the reason recorded in build_report.json.

    `kind` says which check refused it (`not_an_image`, `unreadable`, `bomb`, `too_large`, `too_small`),
    so a caller with its own wording (the Space's upload messages) can phrase each case."""

    def __init__(self, reason: str, kind: str = "unreadable"):
        super().__init__(reason)
        self.kind = kind


def _deep_grey_to_8(image: Image.Image) -> Image.Image:
    """Greyscale of any depth (16/32-bit integer, float) -> 8 bits, scaled by the values it really holds.

    Only the pixel values say how deep the data is: a 12-bit scan stored in a 16-bit PNG peaks at 4095, a
    low-range 16-bit image may peak at a few hundred, a float image may hold 0..1 or any range. Dividing
    by the container's maximum (65535) would turn all of these black. Values already in the 8-bit range
    (or 0..1 for floats) keep their absolute brightness; anything else is stretched from its minimum to
    its maximum, so the content and its contrast survive."""
    array = np.asarray(image, dtype=np.float64)
    finite = array[np.isfinite(array)]
    if finite.size == 0:
        return Image.new("L", image.size, 0)
    low, high = float(finite.min()), float(finite.max())
    if high == low:  # a flat image has no range of its own: place it within its container's
        peak = 1.0 if image.mode == "F" else 255.0 if high <= 255 else 65535.0 if high <= 65535 else high
        return Image.new("L", image.size, int(np.clip(high / peak * 255.0 + 0.5, 0, 255)))
    if image.mode == "F" and low >= 0.0 and high <= 1.0:
        low, high = 0.0, 1.0
    elif low >= 0.0 and high <= 255.0:
        low, high = 0.0, 255.0
    scaled = (np.nan_to_num(array, nan=low) - low) / max(high - low, 1e-12) * 255.0
    return Image.fromarray(np.clip(scaled + 0.5, 0, 255).astype(np.uint8), mode="L")


def to_rgb(image: Image.Image) -> Image.Image:
    """Any mode -> RGB, alpha composited on white, deep (16-bit, 32-bit, float) greyscale rescaled to 8 bits."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        image = _deep_grey_to_8(image)
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, BACKGROUND)
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return image.convert("RGB") if image.mode != "RGB" else image


def load_checked(loader, max_pixels: int | None = None, min_side: int = 8) -> Image.Image:
    """Call `loader` (which opens an image) and turn every way an input can be broken into `BadImage`.

    The one decode guard of the package (the build's encoder and the Space's uploads use it):
    decompression bombs, unidentifiable and truncated files; with `max_pixels`, an image over that size
    is refused from its header, before its pixels are decoded."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = loader()
            width, height = image.size
            if max_pixels is not None and width * height > max_pixels:
                raise BadImage(
                    f"{width}x{height} px ({width * height / 1e6:.1f} MP); the limit is {max_pixels / 1e6:.1f} MP",
                    kind="too_large",
                )
            image.load()
        except BadImage:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as err:
            raise BadImage(f"over Pillow's decompression-bomb limit ({err})", kind="bomb") from None
        except UnidentifiedImageError:
            raise BadImage(
                "not an image Pillow can identify (empty, truncated header or another file type)",
                kind="not_an_image",
            ) from None
        except (OSError, SyntaxError, ValueError) as err:
            raise BadImage(f"unreadable image data: {err}") from None
    if image.width < min_side or image.height < min_side:
        raise BadImage(
            f"too small ({image.width}x{image.height} px; need at least {min_side}x{min_side})",
            kind="too_small",
        )
    return image


def decode_rgb(loader) -> Image.Image:
    """`loader`'s image, checked (`load_checked`) and normalised to RGB (`to_rgb`): what a build encodes."""
    return to_rgb(load_checked(loader))


def pixel_digest(image: Image.Image) -> str:
    """A 128-bit digest of an image's decoded pixels, mode and size: its content, whatever file format or
    metadata carried it. What a build keys encoded images and model captions by (never a path or a name).
    xxHash (XXH3-128), the hash `datasets` fingerprints its cache with: 50x faster than SHA-256 here, which
    matters at 10,000 photos (a build hashes every image it decodes)."""
    digest = xxhash.xxh3_128(f"{image.mode}:{image.width}x{image.height}:".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()


def encode_rgb(image: Image.Image, max_side: int, fmt: str) -> bytes:
    """Shrink an RGB image (in place) so its longer side is at most `max_side`; encode it as `fmt`."""
    if max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if fmt == "jpeg":
        image.save(buffer, format="JPEG", quality=90, optimize=True)
    elif fmt == "webp":
        image.save(buffer, format="WEBP", quality=90, method=4)
    else:
        image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def encode_image(loader, max_side: int, fmt: str) -> bytes:
    """Load, normalise to RGB, shrink so the longer side is at most `max_side`, encode as `fmt`."""
    return encode_rgb(decode_rgb(loader), max_side, fmt)
