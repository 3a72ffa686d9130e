"""Scores from prediction records (one dict per question, as in predictions.jsonl); no model needed.

A record carries `subtask`, `gold` and `parsed` (None when the reply could not be read). Unreadable replies
count as wrong in every metric and are reported per subtask as `parse_failures`.

- every task: accuracy per subtask, pooled (`accuracy`) and the unweighted mean of the subtask
  accuracies (`accuracy_mean_of_subtasks`; lmms-eval's BLINK headline; lmms-eval's MMStar "average" is
  the mean of the 18 l2-category means instead, reported as `accuracy_mean_of_l2_categories`);
- `pope`: per split precision, recall and F1 of "yes" and their means over the splits (the paper's POPE
  figure is the F1 mean). An unreadable reply is the wrong answer for every metric: a false negative
  when the gold is yes, a false positive when it is no, so accuracy and F1 count it the same way.
  `yes_ratio` is the share of replies read as "yes" (an unreadable reply is no "yes");
- `mmstar`: also the l2-category breakdown (`l2_categories`);
- `probe`: chance (1 / images) and bootstrap 95% intervals (`ci95`) per N and overall;
- with `--circular`, the rotations of one question are one item, right only when every rotation is;
- replies a judge read (`judge`) give a second set of numbers, `with_judge`, beside the rule-only ones.

`METRICS` maps a spec's `metrics` kind to the extra per-subtask scores. `pope_scores`, `probe_scores` and
`preference_scores` are the computations the `evaluate` modules in `eval/metrics/` wrap.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "METRICS",
    "bootstrap_ci",
    "collapse_rotations",
    "pope_scores",
    "preference_scores",
    "probe_scores",
    "score_records",
    "score_task",
]

DIGITS = 6
BOOTSTRAP_SAMPLES = 1000


def _rounded(value: Any) -> Any:
    """Floats rounded to DIGITS places, everywhere in a nested result (counts stay ints)."""
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return round(float(value), DIGITS) if isinstance(value, float) else value


def is_correct(record: dict[str, Any]) -> bool:
    if "correct" in record:  # a CircularEval group (`collapse_rotations`)
        return record["correct"]
    return record["parsed"] is not None and record["parsed"] == record["gold"]


def bootstrap_ci(correct: list[bool], samples: int = BOOTSTRAP_SAMPLES, seed: int = 0) -> list[float]:
    """Percentile bootstrap 95% interval of the mean of `correct` (seeded, so results are byte-stable)."""
    rng = random.Random(seed)
    n = len(correct)
    means = sorted(sum(rng.choices(correct, k=n)) / n for _ in range(samples))
    return [means[int(0.025 * samples)], means[int(0.975 * samples) - 1]]


def pope_scores(predictions: list[str | None], references: list[str]) -> dict[str, float]:
    """Accuracy, precision / recall / F1 of "yes" and the yes-ratio. A prediction that is neither "yes"
    nor "no" (an unreadable reply) is the wrong answer everywhere: a false negative when the reference is
    "yes", a false positive when it is "no"."""
    tp = fp = tn = fn = 0
    for pred, ref in zip(predictions, references, strict=True):
        says_yes = pred == "yes" if pred in ("yes", "no") else ref == "no"
        if ref == "yes":
            tp, fn = tp + says_yes, fn + (not says_yes)
        else:
            fp, tn = fp + says_yes, tn + (not says_yes)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "accuracy": (tp + tn) / len(references),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "yes_ratio": sum(p == "yes" for p in predictions) / len(predictions),
    }


def probe_scores(predictions: list[str | None], references: list[str], n_images: list[int]) -> dict[str, Any]:
    """Probe accuracy, its chance level (mean of 1 / images) and a bootstrap 95% interval."""
    correct = [p is not None and p == r for p, r in zip(predictions, references, strict=True)]
    return {
        "accuracy": sum(correct) / len(correct),
        "chance": sum(1 / n for n in n_images) / len(n_images),
        "ci95": bootstrap_ci(correct),
    }


def preference_scores(chosen: list[float], rejected: list[float]) -> dict[str, float]:
    """Share of pairs whose chosen completion scores above the rejected one, and the margins."""
    margins = [c - r for c, r in zip(chosen, rejected, strict=True)]
    return {
        "accuracy": sum(m > 0 for m in margins) / len(margins),
        "margin_mean": sum(margins) / len(margins),
        "margin_min": min(margins),
    }


def _pope(records: list[dict[str, Any]]) -> dict[str, float]:
    scores = pope_scores([r["parsed"] for r in records], [r["gold"] for r in records])
    scores.pop("accuracy")
    return scores


def _probe(records: list[dict[str, Any]]) -> dict[str, Any]:
    scores = probe_scores(
        [r["parsed"] for r in records],
        [r["gold"] for r in records],
        [r["meta"]["n_distractors"] + 1 for r in records],
    )
    if any("correct" in r for r in records):  # CircularEval groups: the bootstrap resamples their verdicts
        scores["ci95"] = bootstrap_ci([is_correct(r) for r in records])
    scores.pop("accuracy")
    return scores


def _none(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {}


# spec.metrics -> extra scores of a subtask (and of the pooled items)
def _preference(records: list[dict[str, Any]]) -> dict[str, Any]:
    scores = preference_scores([r["chosen"] for r in records], [r["rejected"] for r in records])
    scores.pop("accuracy")
    return scores


METRICS: dict[str, Callable[[list[dict[str, Any]]], dict[str, Any]]] = {
    "accuracy": _none,
    "preference": _preference,
    "mmstar": _none,
    "pope": _pope,
    "probe": _probe,
}
MEAN_OVER_SUBTASKS = {"pope": ("precision", "recall", "f1", "yes_ratio")}


def _subtask(records: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    correct = sum(is_correct(r) for r in records)
    scores: dict[str, Any] = {
        "n": len(records),
        "correct": correct,
        "accuracy": correct / len(records),
        "parse_failures": sum(r["parsed"] is None for r in records),
    }
    scores.update(METRICS.get(kind, _none)(records))
    return scores


def collapse_rotations(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """CircularEval: one record per original question, right only if every rotation was right."""
    groups: dict[str, list[dict[str, Any]]] = {}
    out = []
    for record in records:
        original = (record.get("meta") or {}).get("circular_of")
        if original is None:
            out.append(record)
        else:
            if original not in groups:
                groups[original] = []
                out.append({"_circular": original})
            groups[original].append(record)
    collapsed = []
    for record in out:
        if "_circular" not in record:
            collapsed.append(record)
            continue
        rotations = groups[record["_circular"]]
        wrong = [r for r in rotations if not is_correct(r)]
        unreadable = any(r["parsed"] is None for r in wrong)
        collapsed.append(
            {
                **rotations[0],
                "id": record["_circular"],
                "parsed": None if unreadable else rotations[0]["parsed"],
                "correct": not wrong,
                "rotations": len(rotations),
            }
        )
    return collapsed


def _kind(task: str) -> str:
    from ..errors import UserError
    from .spec import get_task

    try:
        return get_task(task).metrics
    except UserError:  # a task no longer registered (an old folder): plain accuracy
        return "accuracy"


def score_task(task: str, records: list[dict[str, Any]], kind: str | None = None) -> dict[str, Any]:
    """All scores of one task; subtasks in sorted order so results are byte-stable."""
    if not records:
        raise ValueError(f"{task}: no predictions to score")
    if kind is None:
        kind = _kind(task)
    asked = len(records)
    records = collapse_rotations(records)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        groups[record["subtask"]].append(record)
    subtasks = {name: _subtask(groups[name], kind) for name in sorted(groups)}
    pooled = _subtask(records, kind)
    result: dict[str, Any] = {
        "n": pooled["n"],
        "correct": pooled["correct"],
        "accuracy": pooled["accuracy"],
        "accuracy_mean_of_subtasks": sum(s["accuracy"] for s in subtasks.values()) / len(subtasks),
        "parse_failures": pooled["parse_failures"],
        "parse_failure_rate": pooled["parse_failures"] / pooled["n"],
    }
    if asked != len(records):
        result["circular"] = {"questions": len(records), "replies": asked}
    for metric in MEAN_OVER_SUBTASKS.get(kind, ()):
        result[f"{metric}_mean_of_splits"] = sum(s[metric] for s in subtasks.values()) / len(subtasks)
    if kind == "probe":
        result.update({k: pooled[k] for k in ("chance", "ci95")})
    if kind == "mmstar":
        l2: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in records:
            l2[(record.get("meta") or {}).get("l2_category", "")].append(record)
        result["l2_categories"] = {name: _subtask(l2[name], "accuracy") for name in sorted(l2)}
        result["accuracy_mean_of_l2_categories"] = sum(
            s["accuracy"] for s in result["l2_categories"].values()
        ) / len(l2)
    if kind == "preference":  # per level (the subtasks are level/task), and their unweighted mean
        levels: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for record in records:
            levels[f"level{record['level']}"].append(record)
        result["levels"] = {name: _subtask(levels[name], kind) for name in sorted(levels)}
        result["accuracy_mean_of_levels"] = sum(s["accuracy"] for s in result["levels"].values()) / len(
            levels
        )
        result.update({k: pooled[k] for k in ("margin_mean", "margin_min")})
    result["subtasks"] = subtasks
    if any("judge" in r for r in records):
        judged = [
            {
                **{k: v for k, v in r.items() if k != "judge"},
                "parsed": r["parsed"] if r["parsed"] is not None else r.get("judge"),
            }
            for r in records
        ]
        with_judge = score_task(task, judged, kind)
        result["with_judge"] = {k: v for k, v in with_judge.items() if k != "subtasks"}
        result["judge_asked"] = sum("judge" in r for r in records)
    return _rounded(result)


def score_records(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """{task: score_task(...)} for every task in `records`, tasks in first-seen order."""
    by_task: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_task.setdefault(record["task"], []).append(record)
    return {task: score_task(task, items) for task, items in by_task.items()}
