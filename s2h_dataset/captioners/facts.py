"""Visual facts computed from an image's own pixels, for captions that claim nothing the image does not show.

With an alpha channel (the bundled renders) the object is the opaque pixels: its dominant colours, how much
of the frame it fills and where it sits are measured on them, and the background is the white the build
composites onto. Without one (photos) nothing tells object from background, so only the colours of the
whole picture are stated: no size, no position, no background claim. Colours are named as people name them,
by the votes of the pixels in CIE Lab (`colour.py`); the vote is kept, so callers can refuse unclear cases.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from ..labels import COLOUR_NAMES
from .colour import ColourVote, colour_vote

logger = logging.getLogger(__name__)

__all__ = ["COLOUR_NAMES", "LEFT", "SIZE_RANGES", "Facts", "image_facts", "record_facts"]

SIDE = 48  # facts are measured on a thumbnail: colours and layout do not need more pixels
SECOND_COLOUR = 0.35  # a second colour is named when it covers this share of the object (at 0.25 shading
# tints were named: "a tractor in green and purple"; 100 -> 111 of 120 eye-labelled objects have only true colours)
# size classes by the share of the frame the object covers, and the edge of the centre band
SIZE_RANGES = {"small": (0.0, 0.15), "medium-sized": (0.15, 0.4), "large": (0.4, 1.01)}
LEFT = 0.4  # an object whose centre is left of this is "on the left" (right of 1 - LEFT: "on the right")


@dataclass(frozen=True)
class Facts:
    colours: tuple[str, ...]  # one or two colour names, most frequent first
    size: str | None = None  # "small", "medium-sized", "large": share of the frame the object covers
    position: str | None = None  # "in the centre", "on the left", "at the top right", ...
    on_white: bool = False  # the object sits on the white the build composites transparent pixels onto
    share: float | None = field(default=None, compare=False)  # share of the frame the object covers
    centre: tuple[float, float] | None = field(default=None, compare=False)  # (x, y) of its pixels, 0-1
    vote: ColourVote | None = field(default=None, compare=False)  # how sure the colour naming is


def _position(cx: float, cy: float) -> str:
    col = "left" if cx < LEFT else "right" if cx > 1 - LEFT else ""
    row = "top" if cy < LEFT else "bottom" if cy > 1 - LEFT else ""
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
    pixels = np.asarray(small).reshape(-1, 4 if has_alpha else 3)
    keep = pixels[:, 3] >= 128 if has_alpha else np.ones(len(pixels), dtype=bool)
    if not keep.any():
        return Facts(colours=("white",))
    vote = colour_vote(pixels[keep, :3])
    colours = tuple(c for i, (c, share) in enumerate(vote.shares[:2]) if i == 0 or share >= SECOND_COLOUR)
    if not has_alpha:
        return Facts(colours=colours, vote=vote)
    ys, xs = np.divmod(np.flatnonzero(keep), width)
    share = len(xs) / (width * height)
    size = next(name for name, (low, high) in SIZE_RANGES.items() if low <= share < high)
    cx, cy = float(xs.mean()) / width, float(ys.mean()) / height
    return Facts(
        colours=colours,
        size=size,
        position=_position(cx, cy),
        on_white=share < 0.9,
        vote=vote,
        share=share,
        centre=(cx, cy),
    )


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
