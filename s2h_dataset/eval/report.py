"""Result files: predictions.jsonl in, results.json and results.md out; the Markdown table for model cards."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..redact import error_line, redact_obj

__all__ = [
    "PREDICTIONS",
    "RESULTS_JSON",
    "RESULTS_MD",
    "json_line",
    "latest_predictions",
    "markdown_report",
    "markdown_table",
    "open_jsonl_append",
    "read_jsonl",
    "read_predictions",
    "read_run",
    "reference_table",
    "write_results",
]

PREDICTIONS, RESULTS_JSON, RESULTS_MD, RUN_JSON = (
    "predictions.jsonl",
    "results.json",
    "results.md",
    "run.json",
)

logger = logging.getLogger(__name__)


def _record(raw: bytes) -> dict[str, Any]:
    record = json.loads(raw)
    if not isinstance(record, dict):
        raise ValueError(f"a JSON {type(record).__name__}, not an object")
    return record


def json_line(record: dict[str, Any]) -> str:
    """One JSON line for predictions.jsonl / judge.jsonl, credentials redacted (`redact.redact_obj`)."""
    return json.dumps(redact_obj(record), ensure_ascii=False) + "\n"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a JSON-lines file (none when it does not exist), blank lines skipped. A last line
    that does not parse is what a kill or a full disk leaves: skipped with one warning (the next append
    drops it, `open_jsonl_append`); a bad line before it is a `UserError` naming the file and line."""
    if not path.exists():
        return []
    lines = [(number, raw) for number, raw in enumerate(path.read_bytes().split(b"\n"), 1) if raw.strip()]
    records = []
    for number, raw in lines:
        try:
            records.append(_record(raw))
        except ValueError as err:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            if number == lines[-1][0]:
                logger.warning("%s: ignored its unfinished last line %d (an interrupted write)", path, number)
                continue
            raise UserError(
                f"{path}:{number}: not a JSON record ({error_line(err, 120)}); fix or delete that line and rerun"
            ) from None
    return records


def open_jsonl_append(path: Path):
    """`path` opened for appending records, after dropping an unfinished last line (a torn write) so the
    next record starts on a line of its own and the file reads back whole."""
    if path.exists():
        data = path.read_bytes()
        tail = data[data.rfind(b"\n") + 1 :]
        if tail.strip():
            try:
                _record(tail)
                keep = len(data)  # a whole record without its newline: end it
            except ValueError:
                keep = len(data) - len(tail)
            with open(path, "r+b") as f:
                f.truncate(keep)
                if keep == len(data):
                    f.seek(keep)
                    f.write(b"\n")
    return open(path, "a", encoding="utf-8")


def read_run(out_dir: str | Path) -> dict[str, Any]:
    """OUT/run.json (empty when there is none); `UserError` in one line when it is not a JSON object."""
    path = Path(out_dir) / RUN_JSON
    if not path.exists():
        return {}
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        run = err
    if not isinstance(run, dict):
        why = f"{type(run).__name__}" if isinstance(run, Exception) else f"a JSON {type(run).__name__}"
        raise UserError(
            f"{path} is not a readable run record ({why}); restore it, or delete it and rerun "
            "(`s2h eval` then asks again with `--resume fresh`)"
        )
    return run


def read_predictions(out_dir: str | Path) -> list[dict[str, Any]]:
    return read_jsonl(Path(out_dir) / PREDICTIONS)


def latest_predictions(out_dir: str | Path) -> dict[tuple[str, str], dict[str, Any]]:
    """One record per (task, id): the last one written (a re-asked question supersedes its old reply)."""
    return {(r["task"], r["id"]): r for r in read_predictions(out_dir)}


def _pct(value: float) -> str:
    return f"{100 * value:.2f}"


def _spec(task: str):
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
        if "multimodal_gain" in scores:  # `--blank-images both`
            key = scores["blank_images"]["metric"]
            lines.append(
                f"| {_title(task)} | {key} with blank images | {_pct(scores[key + '_blank_images'])} "
                f"| {scores['blank_images']['n']} | |"
            )
            lines.append(
                f"| {_title(task)} | multi-modal gain (points) | {_pct(scores['multimodal_gain'])} | | |"
            )
    return "\n".join(lines)


def reference_table(results: dict[str, Any]) -> str:
    """Beside our numbers, the same replies as the protocol's reference scores them (`references.py`):
    both aggregated the reference's way, so only the reading rule differs. "" when no task has one."""
    lines = []
    for task, scores in results.items():
        ref = scores.get("reference")
        if not ref:
            continue
        lines.append(
            f"| {_title(task)} | {ref['reference']} | {ref['headline']} | {_pct(ref['ours']['headline'])} "
            f"| {_pct(ref['as_reference']['headline'])} | {_pct(ref['agreement'])} | {ref['n']} |"
        )
    if not lines:
        return ""
    head = (
        "| benchmark | reference | its headline | ours (strict parser) | as the reference scores it "
        "| items scored alike (%) | items |\n|---|---|---|---|---|---|---|"
    )
    notes = sorted(
        {
            f"{s['reference']['reference']}: {s['reference']['note']}"
            for s in results.values()
            if s.get("reference", {}).get("note")
        }
    )
    return "\n".join([head, *lines, *([""] + [f"- {n}" for n in notes] if notes else [])])


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
    from .blank import blank_table

    blanked = blank_table(results)
    if blanked:
        parts += ["## Without the images (`--blank-images both`)", "", blanked, ""]
    references = reference_table(results)
    if references:
        parts += ["## As the references score these replies", "", references, ""]
    for task, scores in results.items():
        parts += [f"## {_title(task)}", "", _subtask_table(task, scores), ""]
    return "\n".join(parts)


def write_results(out_dir: str | Path, results: dict[str, Any]) -> None:
    out = Path(out_dir)
    run = read_run(out)
    results, run = redact_obj(results), redact_obj(run)  # nothing of the machine's credentials is written
    from .lmms_layout import lmms_results

    document = lmms_results(results, run)  # lmms-eval's layout; our full scores under "s2h"
    (out / RESULTS_JSON).write_text(json.dumps(document, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    (out / RESULTS_MD).write_text(markdown_report(results, run), encoding="utf-8")
