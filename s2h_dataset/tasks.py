"""The level-task registry: every task of every level, defined once, as data.

`LEVEL_TASKS` (schema, validate), `NEEDS`, `TASKS` and `task_slots` (planner) and the card's task list all
derive from `REGISTRY`. Adding a task is one generator function `fn(ctx, rng, slot) -> RowSpec` plus one
`LevelTask` line here (or a `register(...)` call from a plugin or a test). This module imports nothing
of the package but `layout`, so the schema and the validator can read it without loading any generator.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from .layout import LEVELS

__all__ = [
    "ANSWER_KINDS",
    "LEVEL_TASKS",
    "NEEDS",
    "POOL_WORDS",
    "REGISTRY",
    "TASKS",
    "LevelTask",
    "filtered_tasks",
    "get",
    "register",
    "task_list",
    "task_slots",
    "unregister",
]


def _positions(n_images: int) -> int:
    return n_images


def _two(n_images: int) -> int:
    return 2  # yes or no


def _operators(n_images: int) -> int:
    return 3 if n_images >= 3 else 2  # total needs three named images


def _errors(n_images: int) -> int:
    return 3  # omitted, swapped, conflated


def _attribute_answers(n_images: int) -> int:
    return 8 * n_images  # a target's position x one or two targets x swap or miss/add x colour or kind


# what a task's chosen reply gives, one vocabulary for the package: "yes/no", "number", "image" (one image
# position), "images" (one or more positions) or "text" (free text). `vlm.replies.TASK_READERS` maps each
# short kind to the parser's reader; GRPO's rewards check replies through it.
ANSWER_KINDS = ("yes/no", "number", "image", "images", "text")


@dataclass(frozen=True, kw_only=True)
class LevelTask:
    """One task, built by keyword (`LevelTask(name="compare", level=2, pool="objects", answer="yes/no", ...)`).

    name: the `task` column value. level: 1, 2 or 3. pool: the `Sources` field its images come from
    (`objects`, `shapes`, `qa`, `faces`). answer: the kind of answer its chosen reply gives (`ANSWER_KINDS`);
    everything that reads a task's replies (GRPO's rewards, the parser's reader) derives from it.
    slots: number of answer values the planner balances, from the images per row (target positions, yes/no,
    operators). generator: `module:function` of `fn(ctx, rng, slot) -> RowSpec`, or the function itself.
    free_text: the similarity filter applies (captions); not the same as `answer="text"`: minimal pairs
    (yes/no flips, one-number changes, another image named, one-word VQA answers) are similar by design and
    are never filtered. about: one line for the card. supports: `module:function` of `fn(pool) -> bool` when
    a non-empty pool is not enough (None: it is). needs: what `supports` checks, as the build report and the
    card name it when a split lacks it ("two images of one kind"). The planner also draws a few rows of
    every task (`plan.task_skips`): a task whose draw fails is skipped with the generator's own message.
    """

    name: str
    level: int
    pool: str
    answer: str
    slots: Callable[[int], int]
    generator: str | Callable
    free_text: bool = False
    about: str = ""
    supports: str | Callable | None = None
    needs: str = ""

    def __post_init__(self):
        if self.answer not in ANSWER_KINDS:
            raise ValueError(f"task `{self.name}`: answer must be one of {ANSWER_KINDS}, got {self.answer!r}")
        if self.level not in LEVELS:
            raise ValueError(f"task `{self.name}`: level must be one of {LEVELS}, got {self.level}")
        if self.pool not in ("objects", "shapes", "qa", "faces"):
            raise ValueError(
                f"task `{self.name}`: pool must be objects, shapes, qa or faces, got {self.pool}"
            )

    def generate(self):
        return _resolve(self.generator)

    def missing(self, pool) -> str | None:
        """Why a split's `Sources` cannot feed this task, in words (None: it can, as far as its pool says)."""
        if not getattr(pool, self.pool):
            return f"no {POOL_WORDS[self.pool]}"
        if self.supports is not None and not _resolve(self.supports)(pool):
            return f"no {self.needs or 'images of what it asks about'}"
        return None

    def usable(self, pool) -> bool:
        """Whether a split's `Sources` can feed this task."""
        return self.missing(pool) is None


# a pool, as a skipped task's reason names it ("no shape images")
POOL_WORDS = {
    "objects": "labelled images",
    "shapes": "shape images",
    "qa": "VQA samples",
    "faces": "face images",
}


def _resolve(target: str | Callable) -> Callable:
    if callable(target):
        return target
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)


_L = "s2h_dataset.levels."
REGISTRY: tuple[LevelTask, ...] = (
    LevelTask(
        name="caption_indexed",
        level=1,
        pool="objects",
        answer="text",
        slots=_positions,
        generator=_L + "level1:caption_indexed",
        free_text=True,
        about="caption the named image; rejected: another image's caption",
    ),
    LevelTask(
        name="vqa_indexed",
        level=1,
        pool="objects",
        answer="text",
        slots=_positions,
        generator=_L + "level1:vqa_indexed",
        about="name the object in the named image; rejected: another image's object",
    ),
    LevelTask(
        name="vqa_gold",
        level=1,
        pool="qa",
        answer="text",
        slots=_positions,
        generator=_L + "vqa:vqa_gold",
        about="a VQA question about the named image; rejected: a wrong answer",
    ),
    LevelTask(
        name="compare",
        level=2,
        pool="objects",
        answer="yes/no",
        slots=_two,
        generator=_L + "level2:compare",
        about="do two named images show the same kind of thing? yes/no, length-matched",
        supports=_L + "level2:has_kind_pairs",
        needs="two images of one kind (a shared label or a curated kind)",
    ),
    LevelTask(
        name="compare_colour",
        level=2,
        pool="objects",
        answer="yes/no",
        slots=_two,
        generator=_L + "compare:compare_colour",
        about="are two named objects mostly the same colour? yes/no, from their pixels",
        supports=_L + "compare:has_object_colours",
        needs="objects of measurable colour (transparent renders)",
    ),
    LevelTask(
        name="arithmetic",
        level=2,
        pool="shapes",
        answer="number",
        slots=_operators,
        generator=_L + "level2:arithmetic",
        about="add, subtract or total counted shapes across named images; rejected: one miscount",
    ),
    LevelTask(
        name="more_than",
        level=2,
        pool="shapes",
        answer="yes/no",
        slots=_two,
        generator=_L + "compare:more_than",
        about="does one named image hold more of a shape than another? yes/no",
    ),
    LevelTask(
        name="describe_each",
        level=2,
        pool="objects",
        answer="text",
        slots=_errors,
        generator=_L + "describe:describe_each",
        about="caption every image in order; rejected: one omitted (an absent image in its place), two swapped or two conflated",
    ),
    LevelTask(
        name="kinship",
        level=2,
        pool="faces",
        answer="yes/no",
        slots=_two,
        generator=_L + "kinship:kinship",
        about="is the person in one named image related to the person in another?",
    ),
    LevelTask(
        name="caption_search",
        level=3,
        pool="objects",
        answer="text",
        slots=_positions,
        generator=_L + "level3:caption_search",
        free_text=True,
        about="caption the image holding the query; rejected: a form- and length-matched near miss",
    ),
    LevelTask(
        name="which_image",
        level=3,
        pool="objects",
        answer="image",
        slots=_positions,
        generator=_L + "level3:which_image",
        about="which image holds the query? rejected: another image, same wording",
    ),
    LevelTask(
        name="attribute_search",
        level=3,
        pool="objects",
        answer="images",
        slots=_attribute_answers,
        generator=_L + "attribute:attribute_search",
        about="which images have a colour or a kind (1-2 targets)? rejected: one image swapped, missed or added",
        supports=_L + "attribute:has_attributes",
        needs="objects of a clearly measured colour or a known kind (transparent renders, curated subcategories)",
    ),
)

TASKS: dict[str, LevelTask] = {}
LEVEL_TASKS: dict[int, tuple[str, ...]] = {}
NEEDS: dict[str, str] = {}


def register(task: LevelTask) -> None:
    """Add (or replace) a task; every derived table is updated in place, so importers see it."""
    TASKS[task.name] = task
    NEEDS[task.name] = task.pool
    for level in LEVELS:
        LEVEL_TASKS[level] = tuple(t.name for t in TASKS.values() if t.level == level)


def unregister(name: str) -> None:
    TASKS.pop(name, None)
    NEEDS.pop(name, None)
    for level in LEVELS:
        LEVEL_TASKS[level] = tuple(t.name for t in TASKS.values() if t.level == level)


def get(name: str) -> LevelTask:
    return TASKS[name]


def task_list(present: set[str]) -> str:
    """The card's task list: level, task and what it asks, for the tasks a build holds."""
    lines = [f"- level {t.level} `{t.name}`: {t.about}" for t in TASKS.values() if t.name in present]
    return "\n".join(lines) or "- (none)"


def filtered_tasks() -> str:
    """The free-text tasks the similarity filter applies to, as the card names them."""
    return ", ".join(f"`{t.name}`" for t in TASKS.values() if t.free_text)


def task_slots(task: str, n_images: int) -> int:
    """How many answer values a task cycles through so each appears equally often."""
    return TASKS[task].slots(n_images)


for _task in REGISTRY:
    register(_task)
