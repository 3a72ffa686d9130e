"""Run tasks through a generator, append predictions.jsonl as it goes, score, write results; or rescore.

`run_eval(config)` is the Python entry point (the DPO recipe calls it after training); `s2h eval` builds the
same `EvalConfig` from flags or YAML. Every task comes from the registry (`spec.REGISTRY`): its units,
prompts and parser. A run resumes: questions already in OUT/predictions.jsonl with the same answer
settings and the same prompt are not asked again (`resume.py`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..redact import redact
from ..vlm.replies import read_reply
from .blank import BLANK_DIR, attach_blank_run, blank_images
from .config import EvalConfig
from .items import Item, rotations
from .loading import even_sample, load_units, provenance
from .report import (
    PREDICTIONS,
    RUN_JSON,
    json_line,
    latest_predictions,
    open_jsonl_append,
    read_predictions,
    read_run,
    write_results,
)
from .resume import prepare_folder, write_json_atomic
from .scoring import score_records
from .spec import TaskSpec, get_task

__all__ = ["evaluate", "read_record", "rescore", "run_eval", "task_items", "task_units"]

logger = logging.getLogger(__name__)


def read_record(record: dict[str, Any]) -> None:
    """Read `record["raw"]` with the one reply parser (`vlm.replies`): sets `parsed` (None when unreadable)
    and `failure` (why, for the per-task breakdown)."""
    reading = read_reply(record["answer_type"], record["raw"], record["choices"], record["options"])
    record["parsed"] = reading.value
    if reading.ok:
        record.pop("failure", None)
    else:
        record["failure"] = reading.failure


def _all_units(spec: TaskSpec, config: EvalConfig) -> list:
    if spec.load is not None:
        return spec.load(spec, config)
    hub_id = config.prompt(spec.name).hub_id  # the copy the protocol's reference reads
    read = dataclasses.replace(spec, hub_id=hub_id) if hub_id else spec
    return load_units(read, config.dataset_paths.get(spec.name), config.revisions.get(spec.name))


def _limited(units: list, config: EvalConfig) -> list:
    return even_sample(units, config.eval_limit, config.eval_limit_seed) if config.eval_limit else units


def task_units(spec: TaskSpec, config: EvalConfig) -> list:
    """The task's units, `--eval-limit` applied."""
    return _limited(_all_units(spec, config), config)


def task_items(spec: TaskSpec, unit, config: EvalConfig) -> Iterator[Item]:
    """The unit's questions as Items under `config.protocol` (one per option rotation with `--circular`)."""
    prompt = spec.prompt(config.protocol, config.family)
    for question in unit:
        for shown in rotations(question) if config.circular and spec.circular else [question]:
            item = shown.to_item(prompt.render(shown), prompt.parser or None)
            if config.blank_images == "yes":
                item.images = blank_images(item.images)
            yield item


def _batches(items, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


VERSIONED = (
    "s2h-dataset",
    "torch",
    "transformers",
    "datasets",
    "trl",
    "peft",
    "accelerate",
    "huggingface-hub",
    "vllm",
)


def _versions() -> dict[str, str]:
    """The installed version of every library that can change an answer or a score (None: not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    from .. import __version__

    found: dict[str, str] = {}
    for name in VERSIONED:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = __version__ if name == "s2h-dataset" else None
    return found


def _git_commit() -> str | None:
    """The toolkit's git commit when it runs from a checkout (None otherwise)."""
    import subprocess

    try:
        done = subprocess.run(
            ["git", "-C", str(Path(__file__).resolve().parent), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def _ask(task: str, units: list, spec: TaskSpec, config: EvalConfig, generator, sink, done: dict) -> None:
    from tqdm.auto import tqdm

    generator.max_new_tokens = config.max_tokens(task)
    with tqdm(total=sum(len(u) for u in units), desc=task, unit="q") as bar:
        for unit in units:
            size = max(config.batch_size, getattr(generator, "batch_hint", 1))
            for batch in _batches(task_items(spec, unit, config), size):
                todo = [item for item in batch if done.get((task, item.id)) != redact(item.prompt_text())]
                replies = generator.generate(todo) if todo else []
                for item, reply in zip(todo, replies, strict=True):
                    record = {"task": task, **item.record(), "raw": reply}
                    read_record(record)
                    sink.write(json_line(record))
                    done[(task, item.id)] = redact(item.prompt_text())  # as json_line wrote it
                sink.flush()
                bar.update(sum(item.meta.get("rotation", 0) == 0 for item in batch))


def evaluate(config: EvalConfig, generator) -> dict[str, Any]:
    """Ask every question of `config.eval_tasks` that OUT does not hold yet, then score everything in OUT."""
    out = Path(config.out)
    name = getattr(generator, "name", type(generator).__name__)
    run = prepare_folder(out, config, _versions(), name)
    from datetime import datetime, timezone

    run.update(
        {
            "generator": name,
            "eval_limit": config.eval_limit,  # the real limit: run.json says how many were asked
            "eval_limit_seed": config.eval_limit_seed,
            "model_family": config.family or None,
            "git_commit": _git_commit(),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
    )
    done = {(r["task"], r["id"]): r.get("prompt") for r in read_predictions(out)}
    datasets_read = run.setdefault("datasets", {})
    questions = run.setdefault("questions", {})
    with open_jsonl_append(out / PREDICTIONS) as sink:
        for task in config.task_list:
            spec = get_task(task)
            if spec.run is not None:
                datasets_read[task] = spec.run(spec, config, generator, sink, done)
                continue
            every = _all_units(spec, config)
            units = _limited(every, config)
            questions[task] = {"available": sum(len(u) for u in every), "asked": sum(len(u) for u in units)}
            datasets_read[task] = provenance(units)
            _ask(task, units, spec, config, generator, sink, done)
    write_json_atomic(out / RUN_JSON, run)
    if config.judge:
        from .judge import judge_unreadable

        judge_unreadable(out, config.judge, config.concurrency)
    return rescore(out)


def rescore(out_dir: str | Path) -> dict[str, Any]:
    """Re-read every reply in OUT/predictions.jsonl with the current parser; rewrite the results files."""
    out = Path(out_dir)
    records = list(latest_predictions(out).values())
    if not records:
        raise UserError(
            f"{out / PREDICTIONS} is missing or empty; run `s2h eval --model-name-or-path ... --out {out}` first"
        )
    from .judge import read_judged

    judged = read_judged(out)
    changed = 0
    for record in records:
        if "raw" not in record:  # tasks scored, not asked (`TaskSpec.run`) keep numbers
            continue
        before = record.get("parsed")
        read_record(record)
        changed += record["parsed"] != before
        verdict = judged.get((record["task"], record["id"]))
        if record["parsed"] is None and verdict and verdict["raw"] == record["raw"]:
            record["judge"] = verdict["judge"]
    if changed:
        logger.warning(
            "%d replies read differently from when they were saved; results use the current reading", changed
        )
    results = score_records(records)
    run = read_run(out)
    for task, scores in results.items():
        if task in run.get("datasets", {}):
            scores["dataset"] = run["datasets"][task]
        if "protocol" in run:
            scores["protocol"] = run["protocol"]
            reference = _reference(task, run["protocol"], [r for r in records if r["task"] == task])
            if reference:
                scores["reference"] = reference
    if (out / BLANK_DIR / PREDICTIONS).is_file():  # `--blank-images both`: the run without images
        attach_blank_run(results, rescore(out / BLANK_DIR), run, read_run(out / BLANK_DIR))
    write_results(out, results)
    for task, scores in results.items():
        logger.info(
            "%s: accuracy %.4f over %d (%d unreadable)",
            task,
            scores["accuracy"],
            scores["n"],
            scores["parse_failures"],
        )
    return results


def _reference(task: str, protocol: str, records: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The task's replies as the reference of the protocol its prompts came from scores them."""
    from ..errors import UserError as _Unknown
    from .references import reference_scores
    from .scoring import _rounded

    try:
        used = get_task(task).prompt_protocol(protocol)
    except _Unknown:  # a task no longer registered (an old folder)
        return None
    scores = reference_scores(task, used, records)
    return _rounded(scores) if scores else None


def make_generator(config: EvalConfig):
    """The backend named by `config.backend`: transformers in process, or an OpenAI-compatible server."""
    from .generate import HFGenerator

    if config.backend != "transformers":
        from .backends import openai_generator

        return openai_generator(config)
    return HFGenerator(
        config.model_name_or_path,
        config.model_revision,
        config.device,
        config.dtype,
        config.max_tokens(config.task_list[0]),
        config.trust_remote_code,
        processor_kwargs=config.processor_options,
    )


def run_eval(config: EvalConfig, generator=None) -> dict[str, Any]:
    """Evaluate `config.model_name_or_path` on `config.eval_tasks` into `config.out`; returns results.json's content."""
    if not isinstance(config, EvalConfig):
        raise TypeError(
            "run_eval takes one EvalConfig, e.g. run_eval(EvalConfig(model_name_or_path=..., eval_tasks=..., out=...))"
        )
    generator = generator or make_generator(config)
    if (
        config.blank_images == "both"
    ):  # the blanked run first, into OUT/blank-images; OUT's results carry both
        blank = dataclasses.replace(config, blank_images="yes", out=str(Path(config.out) / BLANK_DIR))
        evaluate(blank, generator)
        config = dataclasses.replace(config, blank_images="no")
    return evaluate(config, generator)
