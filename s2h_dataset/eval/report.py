"""Result files: predictions.jsonl in, results.json and results.md out; the Markdown table for model cards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..redact import redact_obj

__all__ = [
    "PREDICTIONS",
    "RESULTS_JSON",
    "RESULTS_MD",
    "json_line",
    "latest_predictions",
    "markdown_report",
    "markdown_table",
    "read_jsonl",
    "read_predictions",
    "write_results",
]

PREDICTIONS, RESULTS_JSON, RESULTS_MD, RUN_JSON = (
    "predictions.jsonl",
    "results.json",
    "results.md",
    "run.json",
)


def json_line(record: dict[str, Any]) -> str:
    """One JSON line for predictions.jsonl / judge.jsonl, credentials redacted (`redact.redact_obj`)."""
    return json.dumps(redact_obj(record), ensure_ascii=False) + "\n"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a JSON-lines file (none when it does not exist), blank lines skipped."""
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_predictions(out_dir: str | Path) -> list[dict[str, Any]]:
    return read_jsonl(Path(out_dir) / PREDICTIONS)


def latest_predictions(out_dir: str | Path) -> dict[tuple[str, str], dict[str, Any]]:
    """One record per (task, id): the last one written (a re-asked question supersedes its old reply)."""
    return {(r["task"], r["id"]): r for r in read_predictions(out_dir)}


def _pct(value: float) -> str:
    return f"{100 * value:.2f}"


def _spec(task: str):
    from ..errors import UserError
    from .spec import get_task

    try:
        return get_task(task)
    except UserError:
        return None


def _title(task: str) -> str:
    spec = _spec(task)
    return spec.title if spec else task


def _headline(task: str, scores: dict[str, Any]) -> list[tuple[str, str]]:
    """(metric, value) pairs for the summary table, as the task's spec lists them."""
    spec = _spec(task)
    rows = []
    for label, key in spec.headline if spec else (("accuracy", "accuracy"),):
        if key not in scores:
            continue
        value = _pct(scores[key])
        if key == "accuracy" and "chance" in scores:
            low, high = scores["ci95"]
            value += f" ({_pct(scores['chance'])}; 95% CI {_pct(low)}-{_pct(high)})"
        rows.append((label, value))
        if "with_judge" in scores and key in scores["with_judge"]:
            rows.append((f"{label}, rules + judge", _pct(scores["with_judge"][key])))
    return rows


def markdown_table(results: dict[str, Any]) -> str:
    """The summary table (one or two rows per task) that goes into a model card."""
    lines = ["| benchmark | metric | score (%) | items | unreadable replies |", "|---|---|---|---|---|"]
    for task, scores in results.items():
        for metric, value in _headline(task, scores):
            lines.append(
                f"| {_title(task)} | {metric} | {value} | {scores['n']} | {scores['parse_failures']} |"
            )
    return "\n".join(lines)


def _subtask_table(task: str, scores: dict[str, Any]) -> str:
    extra = [
        m
        for m in ("precision", "recall", "f1", "yes_ratio", "chance")
        if m in next(iter(scores["subtasks"].values()))
    ]
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
        "Scores in %. Greedy decoding. Unreadable replies count as wrong"
        + (f"; prompts: `{run['protocol']}` protocol." if run.get("protocol") else "."),
        "",
    ]
    for task, scores in results.items():
        parts += [f"## {_title(task)}", "", _subtask_table(task, scores), ""]
    return "\n".join(parts)


def write_results(out_dir: str | Path, results: dict[str, Any]) -> None:
    out = Path(out_dir)
    run_path = out / RUN_JSON
    run = json.loads(run_path.read_text(encoding="utf-8")) if run_path.exists() else {}
    results, run = redact_obj(results), redact_obj(run)  # nothing of the machine's credentials is written
    (out / RESULTS_JSON).write_text(json.dumps(results, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    (out / RESULTS_MD).write_text(markdown_report(results, run), encoding="utf-8")
