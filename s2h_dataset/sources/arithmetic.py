"""Procedurally drawn shape images with tracked counts, for the level-2 visual arithmetic task.

Each image holds two or three kinds of "colour shape" (e.g. "red circle"), one to five of each, drawn in
distinct cells of a jittered grid so shapes never overlap and every instance can be counted. An image is a
pure function of (seed, index): records carry the counts and draw their pixels only when loaded.
"""

from __future__ import annotations

import math
import random
from functools import partial

from PIL import Image, ImageDraw

from ..schema import GENERATOR_VERSION
from .base import Record

__all__ = ["COLOURS", "MAX_COUNT", "SHAPES", "arithmetic_records", "draw_shapes"]

SHAPES = ("circle", "square", "triangle", "star", "diamond")
COLOURS = {
    "red": (220, 40, 40),
    "blue": (40, 90, 220),
    "green": (40, 160, 70),
    "yellow": (235, 200, 30),
    "purple": (140, 60, 190),
    "orange": (240, 130, 20),
}
MAX_COUNT = 5  # instances of one colour shape per image, at most
GRID = 4  # cells per side; at most GRID * GRID shapes per image
CANVAS = 256  # drawn size in pixels; the build resizes to --image-size


def _layout(seed: int, index: int) -> list[tuple[str, str, int]]:
    """The (colour, shape, cell) of every instance in image `index`; counts follow from it."""
    rng = random.Random(f"arithmetic:{seed}:{index}")
    kinds = rng.sample([(c, s) for c in COLOURS for s in SHAPES], k=rng.randint(2, 3))
    counts = [rng.randint(1, MAX_COUNT) for _ in kinds]
    cells = rng.sample(range(GRID * GRID), k=sum(counts))
    instances, start = [], 0
    for (colour, shape), count in zip(kinds, counts):
        instances += [(colour, shape, cell) for cell in cells[start : start + count]]
        start += count
    return instances


def _polygon(shape: str, cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    if shape == "triangle":
        angles, radii = [90, 210, 330], [r] * 3
    elif shape == "diamond":
        angles, radii = [90, 180, 270, 0], [r] * 4
    else:  # star
        angles, radii = [90 + 36 * i for i in range(10)], [r if i % 2 == 0 else r * 0.45 for i in range(10)]
    return [
        (cx + q * math.cos(math.radians(a)), cy - q * math.sin(math.radians(a)))
        for a, q in zip(angles, radii)
    ]


def draw_shapes(seed: int, index: int) -> Image.Image:
    rng = random.Random(f"arithmetic-draw:{seed}:{index}")
    image = Image.new("RGB", (CANVAS, CANVAS), (250, 250, 247))
    draw = ImageDraw.Draw(image)
    cell = CANVAS / GRID
    for colour, shape, c in _layout(seed, index):
        r = cell * rng.uniform(0.28, 0.38)
        cx = (c % GRID + 0.5) * cell + rng.uniform(-0.08, 0.08) * cell
        cy = (c // GRID + 0.5) * cell + rng.uniform(-0.08, 0.08) * cell
        fill = COLOURS[colour]
        if shape == "circle":
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fill)
        elif shape == "square":
            draw.rectangle((cx - r * 0.85, cy - r * 0.85, cx + r * 0.85, cy + r * 0.85), fill=fill)
        else:
            draw.polygon(_polygon(shape, cx, cy, r), fill=fill)
    return image


def arithmetic_records(seed: int, pool_size: int = 2000) -> list[Record]:
    """`pool_size` shape images; `counts` maps "colour shape" to its number of instances."""
    records = []
    for index in range(pool_size):
        counts: dict[str, int] = {}
        for colour, shape, _ in _layout(seed, index):
            counts[f"{colour} {shape}"] = counts.get(f"{colour} {shape}", 0) + 1
        records.append(
            Record(
                source_id=f"arithmetic:{seed}:{index}",
                label="shapes",
                load=partial(draw_shapes, seed, index),
                counts=tuple(sorted(counts.items())),
                synthetic=True,
                stamp=f"drawn:{GENERATOR_VERSION}",  # a function of the arguments (seed, index) and the code
            )
        )
    return records
