"""Result files: predictions.jsonl in, results.json and results.md out; the Markdown table for model cards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = [
    "PREDICTIONS",
    "RESULTS_JSON",
    "RESULTS_MD",
    "markdown_report",
    "markdown_table",
    "read_predictions",
    "write_results",
]

PREDICTIONS, RESULTS_JSON, RESULTS_MD, RUN_JSON = (
    "predictions.jsonl",
    "results.json",
    "results.md",
    "run.json",
)
TITLES = {
    "blink": "BLINK (val)",
    "mantis": "MANTIS-Eval",
    "nlvr2": "NLVR2",
    "mmstar": "MMStar",
    "pope": "POPE",
    "l3probe": "Level-3 probe",
}


def read_predictions(out_dir: str | Path) -> list[dict[str, Any]]:
    path = Path(out_dir) / PREDICTIONS
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _pct(value: float) -> str:
    return f"{100 * value:.2f}"


def _headline(task: str, scores: dict[str, Any]) -> list[tuple[str, str]]:
    """(metric, value) pairs for the summary table."""
    if task == "pope":
        return [
            (
                "accuracy / F1 / yes-ratio (mean of 3 splits)",
                (
                    f"{_pct(scores['accuracy_mean_of_subtasks'])} / {_pct(scores['f1_mean_of_splits'])} / "
                    f"{_pct(scores['yes_ratio_mean_of_splits'])}"
                ),
            )
        ]
    if task == "l3probe":
        return [("accuracy (chance)", f"{_pct(scores['accuracy'])} ({_pct(scores['chance'])})")]
    rows = [("accuracy", _pct(scores["accuracy"]))]
    if len(scores["subtasks"]) > 1 and task in ("blink", "mmstar"):
        rows.append(("mean of subtask accuracies", _pct(scores["accuracy_mean_of_subtasks"])))
    return rows


def markdown_table(results: dict[str, Any]) -> str:
    """The summary table (one or two rows per task) that goes into a model card."""
    lines = ["| benchmark | metric | score (%) | items | unreadable replies |", "|---|---|---|---|---|"]
    for task, scores in results.items():
        for metric, value in _headline(task, scores):
            lines.append(
                f"| {TITLES.get(task, task)} | {metric} | {value} | {scores['n']} | {scores['parse_failures']} |"
            )
    return "\n".join(lines)


def _subtask_table(task: str, scores: dict[str, Any]) -> str:
    extra = {"pope": ["precision", "recall", "f1", "yes_ratio"], "l3probe": ["chance"]}.get(task, [])
    head = ["subtask", "items", "accuracy", *extra, "unreadable"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, s in scores["subtasks"].items():
        cells = [
            name,
            str(s["n"]),
            _pct(s["accuracy"]),
            *(_pct(s[m]) for m in extra),
            str(s["parse_failures"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown_report(results: dict[str, Any], run: dict[str, Any] | None = None) -> str:
    run = run or {}
    parts = ["# Evaluation results", ""]
    if run.get("model"):
        parts += [
            f"Model: `{run['model']}`" + (f" (revision `{run['revision']}`)" if run.get("revision") else ""),
            "",
        ]
    parts += [
        markdown_table(results),
        "",
        "Scores in %. Greedy decoding. Unreadable replies count as wrong.",
        "",
    ]
    for task, scores in results.items():
        parts += [f"## {TITLES.get(task, task)}", "", _subtask_table(task, scores), ""]
    return "\n".join(parts)


def write_results(out_dir: str | Path, results: dict[str, Any]) -> None:
    out = Path(out_dir)
    run_path = out / RUN_JSON
    run = json.loads(run_path.read_text(encoding="utf-8")) if run_path.exists() else {}
    (out / RESULTS_JSON).write_text(json.dumps(results, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    (out / RESULTS_MD).write_text(markdown_report(results, run), encoding="utf-8")
