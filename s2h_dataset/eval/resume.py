"""Safe resume: a folder's answers are reused only when they were made with the same answer settings.

run.json keeps, per task, the settings that can change a reply (`config.answer_settings`). A rerun whose
settings differ for a task either refuses (one line naming each changed setting) or, with
`--resume fresh`, moves that task's old answers to `replaced-<UTC time>.jsonl` beside them (nothing is
deleted) and asks again. Each prediction also keeps its rendered prompt: a reply whose prompt text
differs from today's rendering is asked again, so a changed template never mixes into old answers.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..redact import redact_obj
from .config import EvalConfig, answer_settings
from .report import PREDICTIONS, RUN_JSON, json_line, read_predictions, read_run

__all__ = ["prepare_folder", "write_json_atomic"]


def write_json_atomic(path: Path, value: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    """`value` as indented JSON, credentials redacted, written to a temporary and moved over `path`."""
    tmp.write_text(json.dumps(redact_obj(value), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    keys = sorted(set(old) | set(new))
    return [
        f"`{k}` was {json.dumps(old.get(k))}, now {json.dumps(new.get(k))}"
        for k in keys
        if old.get(k) != new.get(k)
    ]


def _set_aside(out: Path, tasks: set[str]) -> Path:
    """Move `tasks`' records out of predictions.jsonl into replaced-<time>.jsonl; rewrite the rest atomically."""
    records = read_predictions(out)
    aside = out / time.strftime("replaced-%Y%m%dT%H%M%SZ.jsonl", time.gmtime())
    with open(aside, "a", encoding="utf-8") as f:
        for record in records:
            if record["task"] in tasks:
                f.write(json_line(record))
    tmp = out / f".{PREDICTIONS}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for record in records:
            if record["task"] not in tasks:
                f.write(json_line(record))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, out / PREDICTIONS)
    return aside


def prepare_folder(
    out: Path, config: EvalConfig, versions: dict[str, str], generator: str | None = None
) -> dict[str, Any]:
    """Check OUT against `config` (refuse or set aside changed tasks); write run.json; return it."""
    out.mkdir(parents=True, exist_ok=True)
    run = read_run(out)
    keys = run.setdefault("answer_settings", {})
    answered = {r["task"] for r in read_predictions(out)}
    changed = {}
    for task in config.task_list:
        settings = redact_obj(answer_settings(config, task, generator))  # a URL's credentials never count
        if task in answered and task in keys and redact_obj(keys[task]) != settings:
            changed[task] = _changes(keys[task], settings)
        elif task in answered and task not in keys:
            changed[task] = ["the folder has no record of the settings its answers were made with"]
        keys[task] = settings
    if changed and config.resume == "refuse":
        task, reasons = next(iter(changed.items()))
        raise UserError(
            f"{out} holds `{task}` answers made with other settings ({'; '.join(reasons)}); "
            "pass a new `--out`, or `--resume fresh` to ask again (old answers are kept aside)"
        )
    if changed:
        _set_aside(out, set(changed))
    run.update(
        {"model": config.model_name_or_path, "revision": config.model_revision, "protocol": config.protocol}
    )
    run["versions"] = versions
    write_json_atomic(out / RUN_JSON, run)
    return run
