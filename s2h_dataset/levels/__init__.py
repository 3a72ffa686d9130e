"""Task generators of the three S2H levels (paper section 2.2).

Each task is `fn(ctx, rng, slot) -> RowSpec`, where `slot` is the answer the planner balances: the target
position for localized / search tasks, yes or no for `compare`, the operator for `arithmetic`.
"""

from __future__ import annotations

from .common import LevelContext, PlanError, image_ref
from .kinship import kinship
from .level1 import caption_indexed, vqa_indexed
from .level2 import OPERATORS, arithmetic, compare
from .level3 import caption_search, which_image
from .vqa import vqa_gold

__all__ = ["NEEDS", "TASKS", "LevelContext", "PlanError", "image_ref", "task_slots"]

TASKS = {
    "caption_indexed": caption_indexed,
    "vqa_indexed": vqa_indexed,
    "compare": compare,
    "arithmetic": arithmetic,
    "caption_search": caption_search,
    "which_image": which_image,
    "vqa_gold": vqa_gold,
    "kinship": kinship,
}

# the record pool (a `Sources` field) each task draws its images from
NEEDS = {
    "caption_indexed": "objects",
    "vqa_indexed": "objects",
    "compare": "objects",
    "caption_search": "objects",
    "which_image": "objects",
    "arithmetic": "shapes",
    "vqa_gold": "qa",
    "kinship": "faces",
}


def task_slots(task: str, n_images: int) -> int:
    """How many answer values a task cycles through so each appears equally often."""
    if task in ("compare", "kinship"):
        return 2
    if task == "arithmetic":
        return len(OPERATORS) if n_images >= 3 else 2
    return n_images
