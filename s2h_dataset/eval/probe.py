"""The Level-3 probe (paper, section 5): find the image of class c among N in {2, 3, 4} distractors.

Generated from any labelled source (`emoji`, `imagefolder:PATH`, `hub:ID[:CONFIG][@SPLIT]`), seeded: the
same source, seed and size give the same questions. Per question N is drawn uniformly from {2, 3, 4}, the
target position uniformly from the N + 1 slots, and the distractors from labels that do not conflict with
the target's (`labels.conflicts`: no near-synonyms) nor with each other. The prompt is "Which of the
following images contains a <c>?" with lettered (A. Image 1 ...) or numbered options; chance is 1 / (N + 1).

`holdout` keeps only the source images a build with `--test-fraction holdout` holds out of training
(`layout.split_of`; a smaller fraction selects a subset of a larger one's held-out images), so a model trained
on a default build is probed on images it never saw. 0 uses every image.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import UserError
from ..labels import conflicts, with_article
from ..layout import split_of
from ..sources import Record, load_sources
from .items import LETTERS, Item

__all__ = ["PROBE_DISTRACTORS", "ProbeQuestion", "ProbeUnit", "plan_probe", "probe_unit"]

PROBE_DISTRACTORS = (2, 3, 4)
STYLES = ("letter", "number")


@dataclass(frozen=True)
class ProbeQuestion:
    index: int
    label: str
    records: tuple[Record, ...]  # in display order
    target: int  # 0-based position of the target


def _draw_distractors(rng: random.Random, records: list[Record], target: Record, n: int) -> list[Record]:
    chosen: list[Record] = []
    for _ in range(200 * n):
        candidate = rng.choice(records)
        if not any(conflicts(candidate.label, r.label) for r in [target, *chosen]):
            chosen.append(candidate)
            if len(chosen) == n:
                return chosen
    raise UserError(
        f"probe: could not find {n} distractors whose labels differ from `{target.label}` and each other; "
        "use a source with more distinct labels"
    )


def plan_probe(records: list[Record], n_questions: int, seed: int) -> list[ProbeQuestion]:
    """The questions (records and target position only; no pixels are read)."""
    if len({r.label for r in records}) < max(PROBE_DISTRACTORS) + 1:
        raise UserError(
            f"probe: the source has {len({r.label for r in records})} distinct labels; need at least 5"
        )
    rng = random.Random(seed)
    plan = []
    for index in range(n_questions):
        target = rng.choice(records)
        n_distractors = rng.choice(PROBE_DISTRACTORS)
        position = rng.randrange(n_distractors + 1)
        shown = _draw_distractors(rng, records, target, n_distractors)
        shown.insert(position, target)
        plan.append(ProbeQuestion(index, target.label, tuple(shown), position))
    return plan


def _item(question: ProbeQuestion, style: str) -> Item:
    k = len(question.records)
    choices = tuple(LETTERS[:k])
    options = tuple(f"Image {i + 1}" for i in range(k))
    ask = f"Which of the following images contains {with_article(question.label)}?"
    if style == "letter":
        listing = "\n".join(f"{c}. {o}" for c, o in zip(choices, options))
        text = f"{ask}\n{listing}\nAnswer with the option's letter from the given choices directly."
    else:
        text = f"{ask}\nThe images are numbered 1 to {k} in the order shown. Answer with the image's number."
    return Item(
        id=f"l3probe-{question.index:04d}",
        subtask=f"N={k - 1}",
        images=[r.load() for r in question.records],
        content=[{"type": "image"} for _ in range(k)] + [{"type": "text", "text": text}],
        gold=choices[question.target],
        answer_type="position",
        choices=choices,
        options=options,
        meta={
            "n_distractors": k - 1,
            "target": question.target,
            "label": question.label,
            "source_ids": [r.source_id for r in question.records],
        },
    )


@dataclass
class ProbeUnit:
    """The probe as one lazily built unit: images are read only when an item is generated."""

    plan: list[ProbeQuestion]
    style: str = "letter"

    def __len__(self) -> int:
        return len(self.plan)

    def __iter__(self) -> Iterator[Item]:
        for question in self.plan:
            yield _item(question, self.style)


def probe_unit(
    source: str = "emoji",
    n_questions: int = 500,
    seed: int = 0,
    style: str = "letter",
    limit: int | None = None,
    holdout: float = 0.0,
) -> ProbeUnit:
    if style not in STYLES:
        raise UserError(f"`probe_style` must be one of {', '.join(STYLES)}, got `{style}`")
    if n_questions < 1:
        raise UserError(f"`probe_questions` must be at least 1, got {n_questions}")
    if not 0.0 <= holdout < 0.5:
        raise UserError(f"`probe_holdout` must be in [0, 0.5), got {holdout}")
    records = load_sources([source], seed=seed).objects
    if holdout > 0:
        records = [r for r in records if split_of(r.source_id, holdout) == "test"]
    if not records:
        raise UserError(
            f"probe: source `{source}` has no labelled images (holdout {holdout}); "
            "use emoji, imagefolder:PATH or hub:ID, or a smaller `probe_holdout` (0 = all images)"
        )
    plan = plan_probe(records, n_questions, seed)
    return ProbeUnit(plan[:limit] if limit is not None else plan, style)
