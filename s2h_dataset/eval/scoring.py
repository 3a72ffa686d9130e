"""Scores from prediction records (one dict per question, as in predictions.jsonl); no model needed.

A record carries `subtask`, `gold` and `parsed` (None when the reply could not be read). Unreadable replies
count as wrong and are reported per subtask as `parse_failures`: they are never given an answer.

- every task: accuracy per subtask, pooled over all items (`accuracy`) and the unweighted mean of the
  subtask accuracies (`accuracy_mean_of_subtasks`; BLINK subtasks, MMStar categories, POPE splits);
- `pope`: per split precision, recall and F1 of "yes", and `yes_ratio` = share of replies read as "yes"
  (an unreadable reply is not a "yes"), each also averaged over the splits;
- `l3probe`: the chance level (1 / images) per N and over the items drawn, beside the accuracy.

The `evaluate` package's metrics are scripts fetched from the Hub on first use (`evaluate.load("accuracy")`
fails offline), so precision/recall/F1 come from scikit-learn, accuracy from plain counting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

__all__ = ["METRIC_KINDS", "score_records", "score_task"]

METRIC_KINDS = {"pope": "pope", "l3probe": "probe"}  # every other task: plain accuracy
DIGITS = 6


def _rounded(value: Any) -> Any:
    """Floats rounded to DIGITS places, everywhere in a nested result (counts stay ints)."""
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return round(float(value), DIGITS) if isinstance(value, float) else value


def _pope_metrics(records: list[dict[str, Any]]) -> dict[str, float]:
    from sklearn.metrics import precision_recall_fscore_support

    gold = [r["gold"] == "yes" for r in records]
    pred = [r["parsed"] == "yes" for r in records]
    precision, recall, f1, _ = precision_recall_fscore_support(
        gold, pred, average="binary", pos_label=True, zero_division=0
    )
    return {
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "yes_ratio": sum(pred) / len(pred),
    }


def _subtask(records: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    correct = sum(r["parsed"] is not None and r["parsed"] == r["gold"] for r in records)
    scores: dict[str, Any] = {
        "n": len(records),
        "correct": correct,
        "accuracy": correct / len(records),
        "parse_failures": sum(r["parsed"] is None for r in records),
    }
    if kind == "pope":
        scores.update(_pope_metrics(records))
    if kind == "probe":
        scores["chance"] = sum(1 / (r["meta"]["n_distractors"] + 1) for r in records) / len(records)
    return scores


def score_task(task: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    """All scores of one task; subtasks in sorted order so results are byte-stable."""
    if not records:
        raise ValueError(f"{task}: no predictions to score")
    kind = METRIC_KINDS.get(task, "accuracy")
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        groups[record["subtask"]].append(record)
    subtasks = {name: _subtask(groups[name], kind) for name in sorted(groups)}
    pooled = _subtask(records, "accuracy")
    result: dict[str, Any] = {
        "n": pooled["n"],
        "correct": pooled["correct"],
        "accuracy": pooled["accuracy"],
        "accuracy_mean_of_subtasks": sum(s["accuracy"] for s in subtasks.values()) / len(subtasks),
        "parse_failures": pooled["parse_failures"],
        "parse_failure_rate": pooled["parse_failures"] / pooled["n"],
    }
    if kind == "pope":
        for metric in ("precision", "recall", "f1", "yes_ratio"):
            result[f"{metric}_mean_of_splits"] = sum(s[metric] for s in subtasks.values()) / len(subtasks)
    if kind == "probe":
        result["chance"] = _subtask(records, "probe")["chance"]
    result["subtasks"] = subtasks
    return _rounded(result)


def score_records(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """{task: score_task(...)} for every task in `records`, tasks in first-seen order."""
    by_task: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_task.setdefault(record["task"], []).append(record)
    return {task: score_task(task, items) for task, items in by_task.items()}
