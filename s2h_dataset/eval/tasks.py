"""Declarative benchmark definitions: where each one lives on the Hub and how a row becomes an `Item`.

| task | hub id | configs / splits | images | answer |
|---|---|---|---|---|
| blink | BLINK-Benchmark/BLINK | 14 subtask configs / `val` | `image_1`..`image_4` (None unused) | letter |
| mantis | TIGER-Lab/Mantis-Eval | `mantis_eval` / `test` | `images`, `<image>` in question | letter or short |
| nlvr2 | TIGER-Lab/NLVR2 | `nlvr2` / `test` | `images` (2) | True / False |
| mmstar | Lin-Chen/MMStar | `val` / `val` | `image` | letter A-D |
| pope | lmms-lab/POPE | `Full` / adversarial, popular, random | `image` | yes / no |

The Level-3 probe (`l3probe`) is generated, not downloaded: see `probe.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import UserError
from ..vlm.replies import option_text
from .items import LETTERS, Item, format_options, interleave

__all__ = ["BENCHMARKS", "TaskSpec", "load_units"]

logger = logging.getLogger(__name__)

LETTER_HINT = "Answer with the option's letter from the given choices directly."
BLINK_CONFIGS = (
    "Art_Style",
    "Counting",
    "Forensic_Detection",
    "Functional_Correspondence",
    "IQ_Test",
    "Jigsaw",
    "Multi-view_Reasoning",
    "Object_Localization",
    "Relative_Depth",
    "Relative_Reflectance",
    "Semantic_Correspondence",
    "Spatial_Relation",
    "Visual_Correspondence",
    "Visual_Similarity",
)


@dataclass(frozen=True)
class TaskSpec:
    """One benchmark: Hub location, the (config, split) units it is read from, the row -> Item builder.

    metrics: "accuracy" (per-subtask, pooled and unweighted mean) or "pope" (adds precision, recall, F1 and
    the yes-ratio of predictions, per split).
    """

    name: str
    hub_id: str
    configs: tuple[str, ...]
    splits: tuple[str, ...]
    build: Callable[[dict[str, Any], str, str], Item]
    metrics: str = "accuracy"


def _letter_gold(answer: str, row_id: str) -> str:
    letters = [c for c in str(answer).strip("()[]\n .") if c.isalpha()]
    if not letters:
        raise UserError(f"row {row_id}: answer {answer!r} holds no choice letter; is this the right dataset?")
    return letters[0].upper()


def blink_item(row: dict[str, Any], config: str, split: str) -> Item:
    images = [row[f"image_{i}"] for i in range(1, 5) if row.get(f"image_{i}") is not None]
    choices = tuple(LETTERS[: len(row["choices"])])
    text = (
        row.get("prompt") or ""
    ).strip() or f"{row['question']}\n{format_options(row['choices'], choices)}"
    return Item(
        id=str(row["idx"]),
        subtask=config,
        images=images,
        content=[{"type": "image"} for _ in images] + [{"type": "text", "text": f"{text}\n{LETTER_HINT}"}],
        gold=_letter_gold(row["answer"], row["idx"]),
        answer_type="letter",
        choices=choices,
        options=tuple(row["choices"]),
    )


def mantis_item(row: dict[str, Any], config: str, split: str) -> Item:
    options = list(row.get("options") or [])
    if row["question_type"] == "short-answer":
        text = f'{row["question"]}\nAnswer with a single word or phrase, as "Final Answer: <answer>".'
        gold, answer_type, choices = str(row["answer"]).strip().lower(), "short", ()
    else:
        choices = tuple(LETTERS[: len(options)])
        text = f"{row['question']}\n{format_options(options, choices)}\n{LETTER_HINT}"
        gold, answer_type = _letter_gold(row["answer"], row["id"]), "letter"
    return Item(
        id=str(row["id"]),
        subtask=row["question_type"],
        images=list(row["images"]),
        content=interleave(text, len(row["images"])),
        gold=gold,
        answer_type=answer_type,
        choices=choices,
        options=tuple(options) if choices else (),
    )


def nlvr2_item(row: dict[str, Any], config: str, split: str) -> Item:
    options = list(row.get("options") or [])
    choices = tuple(LETTERS[: len(options)])
    answer = str(row["answer"]).strip("()[] .")
    if answer.upper() in choices and answer.lower() not in ("true", "false"):
        answer = option_text(options[choices.index(answer.upper())])
    gold = answer.strip().lower()
    if gold not in ("true", "false"):
        raise UserError(
            f"nlvr2 row {row['id']}: answer {row['answer']!r} is neither True/False nor an option letter"
        )
    text = f"{row['question']}\nAnswer with True or False."
    return Item(
        id=str(row["id"]),
        subtask="nlvr2",
        images=list(row["images"]),
        content=interleave(text, len(row["images"])),
        gold=gold,
        answer_type="truefalse",
        choices=choices,
        options=tuple(options),
    )


def mmstar_item(row: dict[str, Any], config: str, split: str) -> Item:
    text = f"{row['question'].strip()}\n{LETTER_HINT}"
    return Item(
        id=str(row["index"]),
        subtask=row["category"],
        images=[row["image"]],
        content=[{"type": "image"}, {"type": "text", "text": text}],
        gold=_letter_gold(row["answer"], row["index"]),
        answer_type="letter",
        choices=("A", "B", "C", "D"),
    )


def pope_item(row: dict[str, Any], config: str, split: str) -> Item:
    gold = str(row["answer"]).strip().lower()
    if gold not in ("yes", "no"):
        raise UserError(f"pope row {row['question_id']}: answer {row['answer']!r} is not yes/no")
    text = f"{row['question'].strip()}\nAnswer with yes or no."
    return Item(
        id=f"{split}/{row['question_id']}",
        subtask=split,
        images=[row["image"]],
        content=[{"type": "image"}, {"type": "text", "text": text}],
        gold=gold,
        answer_type="yesno",
    )


BENCHMARKS: dict[str, TaskSpec] = {
    spec.name: spec
    for spec in (
        TaskSpec("blink", "BLINK-Benchmark/BLINK", BLINK_CONFIGS, ("val",), blink_item),
        TaskSpec("mantis", "TIGER-Lab/Mantis-Eval", ("mantis_eval",), ("test",), mantis_item),
        TaskSpec("nlvr2", "TIGER-Lab/NLVR2", ("nlvr2",), ("test",), nlvr2_item),
        TaskSpec("mmstar", "Lin-Chen/MMStar", ("val",), ("val",), mmstar_item),
        TaskSpec("pope", "lmms-lab/POPE", ("Full",), ("adversarial", "popular", "random"), pope_item, "pope"),
    )
}


@dataclass
class Unit:
    """One (config, split) of a benchmark, loaded lazily row by row."""

    spec: TaskSpec
    config: str
    split: str
    dataset: Any

    def __len__(self) -> int:
        return len(self.dataset)

    def __iter__(self) -> Iterator[Item]:
        for row in self.dataset:
            yield self.spec.build(row, self.config, self.split)


def _configs(spec: TaskSpec, path: str | None) -> tuple[str, ...]:
    """All configs from the Hub; from a local copy, the ones it holds (a partial copy is logged)."""
    if path is None or len(spec.configs) == 1:
        return spec.configs
    import datasets

    present = set(datasets.get_dataset_config_names(path))
    configs = tuple(c for c in spec.configs if c in present)
    if not configs:
        raise UserError(f"{spec.name}: {path} holds none of the configs {', '.join(spec.configs)}")
    if len(configs) < len(spec.configs):
        logger.warning(
            "%s: %s holds %d of %d configs; missing: %s",
            spec.name,
            path,
            len(configs),
            len(spec.configs),
            ", ".join(c for c in spec.configs if c not in present),
        )
    return configs


def load_units(
    spec: TaskSpec, path: str | None = None, revision: str | None = None, limit: int | None = None
) -> list[Unit]:
    """Load every (config, split) of `spec` with `datasets`, from `path` when given, first `limit` rows each."""
    import datasets

    units = []
    for config in _configs(spec, path):
        for split in spec.splits:
            try:
                dataset = datasets.load_dataset(
                    path or spec.hub_id, config, split=split, revision=None if path else revision
                )
            except Exception as err:
                reason = str(err).splitlines()[0] if str(err) else ""
                raise UserError(
                    f"{spec.name}: cannot load {path or spec.hub_id} config `{config}` split `{split}` "
                    f"({type(err).__name__}: {reason}); pass --dataset-path {spec.name}=LOCAL_COPY to use a local copy"
                ) from None
            if limit is not None:
                dataset = dataset.select(range(min(limit, len(dataset))))
            units.append(Unit(spec, config, split, dataset))
    return units
