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
from typing import NamedTuple

import numpy as np
from PIL import Image

from ..labels import COLOUR_NAMES
from ..sources.base import RecordMemo
from .colour import ColourVote, colour_vote

logger = logging.getLogger(__name__)

__all__ = [
    "COLOUR_NAMES",
    "LEFT",
    "SIZE_RANGES",
    "Facts",
    "image_facts",
    "measurable_colours",
    "record_facts",
    "render_facts",
    "thumbnail",
]

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


class Thumbnail(NamedTuple):
    pixels: np.ndarray  # (n, 3) RGB rows of the thumbnail, row-major
    keep: np.ndarray  # (n,) the object's pixels: the opaque ones of an image with alpha, else all
    size: tuple[int, int]  # (width, height)
    alpha: bool  # the image has an alpha channel (a render: the object is its opaque pixels)


def thumbnail(image: Image.Image, side: int, *, photo_mode: str = "RGB") -> Thumbnail:
    """The image at most `side` pixels a side, with the mask of its object's pixels: the one place that
    tells a transparent render (object = pixels of alpha >= 128) from a photo (nothing tells them apart).
    `photo_mode`: the mode a photo is shrunk in (`fine_vote`: RGBA, whose resampling rounds a little
    differently: kept so its votes do not change)."""
    alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    small = image.convert("RGBA" if alpha else photo_mode)
    small.thumbnail((side, side))
    pixels = np.asarray(small).reshape(-1, len(small.getbands()))
    keep = pixels[:, 3] >= 128 if alpha else np.ones(len(pixels), dtype=bool)
    return Thumbnail(pixels[:, :3], keep, small.size, alpha)


def image_facts(image: Image.Image) -> Facts:
    pixels, keep, (width, height), has_alpha = thumbnail(image, SIDE)
    if not keep.any():
        return Facts(colours=("white",))
    vote = colour_vote(pixels[keep])
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


def _measure(record) -> Facts | None:
    try:
        return image_facts(record.load())
    except Exception as err:  # an unreadable image is reported by the build; here: no facts
        logger.debug("%s: no visual facts (%s)", record.source_id, err)
        return None


# a record's facts, measured once per process and image signature (None when its image cannot be read)
record_facts = RecordMemo(_measure)


def render_facts(record) -> Facts | None:
    """The record's facts when its image is a transparent render, whose object (the opaque pixels) was
    measured; None for a photo (its colours are its background's too) or an unreadable image."""
    facts = record_facts(record)
    return facts if facts is not None and facts.size is not None else None


def measurable_colours(records) -> bool:
    """Whether these records' objects have measurable colours: transparent renders (judged on a sample of
    50)."""
    return any(render_facts(r) is not None for r in records[:50])
