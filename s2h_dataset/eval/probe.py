"""The Level-3 probe (paper, section 5): find the image of class c among N in {2, 3, 4} distractors.

Generated from any labelled source (`emoji`, `imagefolder:PATH`, `hub:ID[:CONFIG][@SPLIT]`), seeded: the
same source, seed and size give the same questions. Per question N is drawn uniformly from {2, 3, 4}, the
target position uniformly from the N + 1 slots, and the distractors from labels that do not conflict with
the target's (`labels.conflicts`: no near-synonyms) nor with each other. The prompt is "Which of the
following images contains a <c>?" with lettered (A. Image 1 ...) or numbered options; chance is 1 / (N + 1).
Scored per N with chance (mean of 1 / images) and a bootstrap 95% interval (`ci95`); `probe_scores` is also
what the `evaluate` module `eval/metrics/probe_accuracy` wraps.

`holdout` keeps only the source images a build with `--test-fraction holdout` holds out of training
(`layout.split_of`; a smaller fraction selects a subset of a larger one's held-out images), so a model trained
on a default build is probed on images it never saw. 0 uses every image.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import UserError
from ..labels import conflicts, with_article
from ..layout import split_of
from ..sources import Record, load_sources
from .items import LETTERS, Question
from .scoring import bootstrap_ci, is_correct
from .spec import S2H_TOKENS, Prompt, Scoring, TaskSpec, register

__all__ = [
    "PROBE_DISTRACTORS",
    "PROBE_SPEC",
    "ProbeQuestion",
    "ProbeUnit",
    "plan_probe",
    "probe_records",
    "probe_unit",
]

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


PROBE_HINT = "Answer with the option's letter from the given choices directly."


def _question(question: ProbeQuestion, style: str) -> Question:
    k = len(question.records)
    return Question(
        id=f"l3probe-{question.index:04d}",
        subtask=f"N={k - 1}",
        images=[r.load() for r in question.records],
        stem=f"Which of the following images contains {with_article(question.label)}?",
        gold=LETTERS[question.target],
        answer_type="position",
        options=tuple(f"Image {i + 1}" for i in range(k)),
        meta={
            "n_distractors": k - 1,
            "target": question.target,
            "label": question.label,
            "source_ids": [r.source_id for r in question.records],
            "style": style,
        },
    )


def probe_text(q: Question) -> str:
    """The paper's question; options lettered ("A. Image 1") or the images numbered."""
    if q.meta.get("style", "letter") == "letter":
        listing = "\n".join(f"{c}. {o}" for c, o in zip(q.choices, q.options))
        return f"{q.stem}\n{listing}\n{PROBE_HINT}"
    k = len(q.options)
    return f"{q.stem}\nThe images are numbered 1 to {k} in the order shown. Answer with the image's number."


@dataclass
class ProbeUnit:
    """The probe as one lazily built unit: images are read only when an item is generated."""

    plan: list[ProbeQuestion]
    style: str = "letter"
    config: str = "probe"
    split: str = "test"

    def __len__(self) -> int:
        return len(self.plan)

    def __iter__(self) -> Iterator[Question]:
        for question in self.plan:
            yield _question(question, self.style)

    def subtasks(self) -> list[str]:
        return [f"N={len(q.records) - 1}" for q in self.plan]

    def select(self, indices: list[int]) -> ProbeUnit:
        return ProbeUnit([self.plan[i] for i in indices], self.style)


def probe_unit(
    source: str = "emoji",
    n_questions: int = 500,
    seed: int = 0,
    style: str = "letter",
    limit: int | None = None,
    holdout: float = 0.0,
    records: list[Record] | None = None,
) -> ProbeUnit:
    """The probe's questions; `records` are `probe_records(source, seed, holdout)` when already loaded."""
    if style not in STYLES:
        raise UserError(f"`probe_style` must be one of {', '.join(STYLES)}, got `{style}`")
    if n_questions < 1:
        raise UserError(f"`probe_questions` must be at least 1, got {n_questions}")
    if not 0.0 <= holdout < 0.5:
        raise UserError(f"`probe_holdout` must be in [0, 0.5), got {holdout}")
    if records is None:
        records = probe_records(source, seed, holdout)
    plan = plan_probe(records, n_questions, seed)
    return ProbeUnit(plan[:limit] if limit is not None else plan, style)


def probe_records(source: str, seed: int = 0, holdout: float = 0.0) -> list[Record]:
    """The labelled source images the probe draws from (only the held-out ones when `holdout` > 0)."""
    records = load_sources([source], seed=seed).objects
    if holdout > 0:
        records = [r for r in records if split_of(r.source_id, holdout) == "test"]
    if not records:
        raise UserError(
            f"probe: source `{source}` has no labelled images (holdout {holdout}); "
            "use emoji, imagefolder:PATH or hub:ID, or a smaller `probe_holdout` (0 = all images)"
        )
    return records


def _load(spec, config) -> list[ProbeUnit]:
    records = None
    if config.train_dataset:  # the same records are checked against the build and asked about: load once
        from .holdout import check_holdout

        records = probe_records(config.probe_source, config.probe_seed, config.probe_holdout)
        check_holdout(config.train_dataset, config.probe_source, records)
    return [
        probe_unit(
            config.probe_source,
            config.probe_questions,
            config.probe_seed,
            config.probe_style,
            None,
            config.probe_holdout,
            records,
        )
    ]


def probe_scores(predictions: list[str | None], references: list[str], n_images: list[int]) -> dict[str, Any]:
    """Probe accuracy, its chance level (mean of 1 / images) and a bootstrap 95% interval."""
    correct = [p is not None and p == r for p, r in zip(predictions, references, strict=True)]
    return {
        "accuracy": sum(correct) / len(correct),
        "chance": sum(1 / n for n in n_images) / len(n_images),
        "ci95": bootstrap_ci(correct),
    }


def _group_scores(records: list[dict[str, Any]]) -> dict[str, Any]:
    scores = probe_scores(
        [r["parsed"] for r in records],
        [r["gold"] for r in records],
        [r["meta"]["n_distractors"] + 1 for r in records],
    )
    if any("correct" in r for r in records):  # CircularEval groups: the bootstrap resamples their verdicts
        scores["ci95"] = bootstrap_ci([is_correct(r) for r in records])
    scores.pop("accuracy")
    return scores


def _pooled_chance(records, subtasks, pooled: dict[str, Any]) -> dict[str, Any]:
    return {k: pooled[k] for k in ("chance", "ci95")}


PROBE_SPEC = register(
    TaskSpec(
        name="l3probe",
        title="Level-3 probe",
        build=_question,
        prompts={
            "s2h": Prompt(
                probe_text,
                S2H_TOKENS,
                "position",
                "S2H-DPO paper, section 5",
                '"Which of the following images contains a <c>?" + "A. Image 1" options',
            )
        },
        scoring=Scoring(group=_group_scores, task=_pooled_chance),
        headline=(("accuracy (chance)", "accuracy"),),
        load=_load,
        key_fields=("probe_source", "probe_questions", "probe_seed", "probe_style", "probe_holdout"),
    )
)
