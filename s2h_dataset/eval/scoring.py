"""Scores from prediction records (one dict per question, as in predictions.jsonl); no model needed.

A record carries `subtask`, `gold` and `parsed` (None when the reply could not be read). Unreadable replies
count as wrong in every metric and are reported per subtask as `parse_failures`.

Every task gets accuracy per subtask, pooled (`accuracy`) and the unweighted mean of the subtask accuracies
(`accuracy_mean_of_subtasks`); with `--circular`, the rotations of one question are one item, right only when
every rotation is; replies a judge read (`judge`) give a second set of numbers, `with_judge`, beside the
rule-only ones. Anything else a task reports (an F1, a chance level, a second breakdown) is its spec's
`Scoring`, kept with the task in `eval/benchmarks/`, `probe.py` or `preference.py`; this module names no task,
and the helpers below (`group_scores`, `breakdown`, `mean_of`, `bootstrap_ci`) are what those hooks build on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from .spec import Scoring

__all__ = [
    "bootstrap_ci",
    "breakdown",
    "collapse_rotations",
    "group_scores",
    "is_correct",
    "mean_of",
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
    """Percentile bootstrap 95% interval of the mean of `correct` (`scipy.stats.bootstrap`, seeded, so
    results are byte-stable); one item gives [its value, its value]."""
    import numpy as np
    from scipy.stats import bootstrap

    data = np.asarray(correct, dtype=float)
    if len(data) < 2:  # scipy needs two observations; every resample of one is that one
        return [float(data.mean())] * 2
    found = bootstrap(
        (data,), np.mean, n_resamples=samples, method="percentile", rng=np.random.default_rng(seed)
    )
    return [float(found.confidence_interval.low), float(found.confidence_interval.high)]


def group_scores(records: list[dict[str, Any]], scoring: Scoring | None = None) -> dict[str, Any]:
    """n, correct, accuracy and parse failures of a group of records, plus `scoring.group`'s own scores."""
    correct = sum(is_correct(r) for r in records)
    scores: dict[str, Any] = {
        "n": len(records),
        "correct": correct,
        "accuracy": correct / len(records),
        "parse_failures": sum(r["parsed"] is None for r in records),
    }
    if scoring is not None and scoring.group is not None:
        scores.update(scoring.group(records))
    return scores


def breakdown(
    records: list[dict[str, Any]], key: Callable[[dict[str, Any]], str], scoring: Scoring | None = None
) -> dict[str, dict[str, Any]]:
    """`group_scores` of the records grouped by `key(record)`, groups in sorted order (byte-stable results)."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        groups[key(record)].append(record)
    return {name: group_scores(groups[name], scoring) for name in sorted(groups)}


def mean_of(groups: dict[str, dict[str, Any]], metric: str) -> float:
    """The unweighted mean of `metric` over the groups' scores."""
    return sum(s[metric] for s in groups.values()) / len(groups)


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


def _scoring(task: str) -> Scoring:
    from ..errors import UserError
    from .spec import get_task

    try:
        return get_task(task).scoring
    except UserError:  # a task no longer registered (an old folder): plain accuracy
        return Scoring()


def score_task(task: str, records: list[dict[str, Any]], scoring: Scoring | None = None) -> dict[str, Any]:
    """All scores of one task (its spec's `Scoring` unless `scoring` is given); subtasks in sorted order so
    results are byte-stable."""
    if not records:
        raise ValueError(f"{task}: no predictions to score")
    if scoring is None:
        scoring = _scoring(task)
    asked = len(records)
    records = collapse_rotations(records)
    subtasks = breakdown(records, lambda r: r["subtask"], scoring)
    pooled = group_scores(records, scoring)
    result: dict[str, Any] = {
        "n": pooled["n"],
        "correct": pooled["correct"],
        "accuracy": pooled["accuracy"],
        "accuracy_mean_of_subtasks": mean_of(subtasks, "accuracy"),
        "parse_failures": pooled["parse_failures"],
        "parse_failure_rate": pooled["parse_failures"] / pooled["n"],
    }
    if asked != len(records):
        result["circular"] = {"questions": len(records), "replies": asked}
    if scoring.task is not None:
        result.update(scoring.task(records, subtasks, pooled))
    result["subtasks"] = subtasks
    if any("judge" in r for r in records):
        judged = [
            {
                **{k: v for k, v in r.items() if k != "judge"},
                "parsed": r["parsed"] if r["parsed"] is not None else r.get("judge"),
            }
            for r in records
        ]
        with_judge = score_task(task, judged, scoring)
        result["with_judge"] = {k: v for k, v in with_judge.items() if k != "subtasks"}
        result["judge_asked"] = sum("judge" in r for r in records)
    return _rounded(result)


def score_records(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """{task: score_task(...)} for every task in `records`, tasks in first-seen order."""
    by_task: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_task.setdefault(record["task"], []).append(record)
    return {task: score_task(task, items) for task, items in by_task.items()}
