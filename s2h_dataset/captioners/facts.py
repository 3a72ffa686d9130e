"""Visual facts computed from an image's own pixels, for captions that claim nothing the image does not show.

With an alpha channel (the bundled renders) the object is the opaque pixels: its dominant colours, how much
of the frame it fills and where it sits are measured on them, and the background is the white the build
composites onto. Without one (photos) nothing tells object from background, so only the colours of the
whole picture are stated: no size, no position, no background claim.
"""

from __future__ import annotations

import colorsys
import logging
from collections import Counter
from dataclasses import dataclass

from PIL import Image

from ..labels import COLOUR_NAMES

logger = logging.getLogger(__name__)

__all__ = ["COLOUR_NAMES", "Facts", "colour_name", "image_facts", "record_facts"]

SIDE = 48  # facts are measured on a thumbnail: colours and layout do not need more pixels
SECOND_COLOUR = 0.25  # a second colour is named when it covers this share of the object


@dataclass(frozen=True)
class Facts:
    colours: tuple[str, ...]  # one or two colour names, most frequent first
    size: str | None = None  # "small", "medium-sized", "large": share of the frame the object covers
    position: str | None = None  # "in the centre", "on the left", "at the top right", ...
    on_white: bool = False  # the object sits on the white the build composites transparent pixels onto


def colour_name(r: int, g: int, b: int) -> str:
    """A basic colour name by hue, saturation and value."""
    h, s, v = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)
    if v < 0.2:
        return "black"
    if s < 0.18:
        return "white" if v > 0.85 else "grey"
    hue = h * 360
    if hue < 15 or hue >= 345:
        return "red" if v > 0.45 else "brown"
    if hue < 45:
        return "orange" if v > 0.7 and s > 0.45 else "brown"
    if hue < 70:
        return "yellow"
    if hue < 165:
        return "green"
    if hue < 255:
        return "blue"
    if hue < 290:
        return "purple"
    return "pink"


def _position(cx: float, cy: float) -> str:
    col = "left" if cx < 0.4 else "right" if cx > 0.6 else ""
    row = "top" if cy < 0.4 else "bottom" if cy > 0.6 else ""
    if not col and not row:
        return "in the centre"
    if not row:
        return f"on the {col}"
    return f"at the {row} {col}".rstrip()


def image_facts(image: Image.Image) -> Facts:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    small = image.convert("RGBA" if has_alpha else "RGB")
    small.thumbnail((SIDE, SIDE))
    width, height = small.size
    pixels = list(small.getdata())
    if has_alpha:
        points = [(i % width, i // width, p[:3]) for i, p in enumerate(pixels) if p[3] >= 128]
    else:
        points = [(i % width, i // width, p) for i, p in enumerate(pixels)]
    if not points:
        return Facts(colours=("white",))
    counts = Counter(colour_name(*rgb) for _, _, rgb in points)
    (first, _), *rest = counts.most_common(2)
    colours = (first,) + tuple(c for c, n in rest if n >= SECOND_COLOUR * len(points))
    if not has_alpha:
        return Facts(colours=colours)
    share = len(points) / (width * height)
    size = "small" if share < 0.15 else "medium-sized" if share < 0.4 else "large"
    cx = sum(x for x, _, _ in points) / len(points) / width
    cy = sum(y for _, y, _ in points) / len(points) / height
    return Facts(colours=colours, size=size, position=_position(cx, cy), on_white=share < 0.9)


_MEMO: dict[tuple[str, str], Facts | None] = {}


def record_facts(record) -> Facts | None:
    """A record's facts, measured once per process and image signature (None when its image cannot be read).
    Facts are a pure function of the pixels, so the memo never changes an output; a file changed on disk
    (another size or mtime) is measured again, and a record without a signature every time."""
    signature = record.signature()
    key = (record.source_id, signature)
    if signature is not None and key in _MEMO:
        return _MEMO[key]
    try:
        facts = image_facts(record.load())
    except Exception as err:  # an unreadable image is reported by the build; here: no facts
        logger.debug("%s: no visual facts (%s)", record.source_id, err)
        facts = None
    if signature is not None:
        _MEMO[key] = facts
    return facts
