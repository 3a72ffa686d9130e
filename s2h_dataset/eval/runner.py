"""Run tasks through a generator, append predictions.jsonl as it goes, score, write results; or rescore.

`run_eval(model_path, tasks, out_dir, limit=...)` is the Python entry point (the DPO recipe calls it after
training); `s2h eval` builds the same `EvalConfig` from flags or YAML. A run resumes: questions already in
OUT/predictions.jsonl (same model) are not asked again.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..vlm.replies import read_reply
from .generate import Generator, HFGenerator
from .probe import probe_unit
from .report import PREDICTIONS, RUN_JSON, read_predictions, write_results
from .scoring import score_records
from .tasks import BENCHMARKS, load_units

__all__ = ["ALL_TASKS", "EvalConfig", "evaluate", "rescore", "run_eval"]

logger = logging.getLogger(__name__)

ALL_TASKS = (*BENCHMARKS, "l3probe")


@dataclass
class EvalConfig:
    """Arguments of `s2h eval` and `run_eval`.

    model (str, None): Hub id or local folder of an image-text-to-text model. Required unless `rescore`.
    tasks (str, all): comma-separated subset of blink, mantis, nlvr2, mmstar, pope, l3probe.
    out (str, None): output folder (predictions.jsonl, results.json, results.md, run.json).
    rescore (str, None): recompute results of a finished folder from its predictions, no model.
    limit (int, None): first N questions of each subtask config / split (and of the probe).
    batch_size (int, 1): questions per generate call (left padding); 1 gives the reproducible numbers.
    dataset_path (list[str], []): TASK=PATH local copies laid out like the Hub repo (offline use).
    revision (str, None): model revision. max_new_tokens (int, 32). device (str, auto). dtype (str, auto).
    trust_remote_code (bool, False). probe_source (str, emoji). probe_questions (int, 500).
    probe_seed (int, 0). probe_style (str, letter). probe_holdout (float, 0.05).
    """

    model: str | None = field(
        default=None, metadata={"help": "Hub id or local folder of the model to evaluate."}
    )
    tasks: str = field(
        default=",".join(ALL_TASKS), metadata={"help": f"Comma-separated tasks: {','.join(ALL_TASKS)}."}
    )
    out: str | None = field(default=None, metadata={"help": "Output folder for predictions and results."})
    rescore: str | None = field(
        default=None, metadata={"help": "Recompute results in this folder from predictions.jsonl (no model)."}
    )
    limit: int | None = field(
        default=None, metadata={"help": "Only the first N questions of each config/split (and of the probe)."}
    )
    batch_size: int = field(
        default=1, metadata={"help": "Questions per generate call; 1 is the reproducible setting."}
    )
    dataset_path: list[str] = field(
        default_factory=list,
        metadata={"help": "TASK=PATH: read TASK from a local copy laid out like its Hub repo."},
    )
    revision: str | None = field(default=None, metadata={"help": "Model revision (branch, tag or commit)."})
    max_new_tokens: int = field(default=32, metadata={"help": "Tokens generated per reply (greedy)."})
    device: str = field(default="auto", metadata={"help": "auto, cpu, cuda or cuda:N."})
    dtype: str = field(
        default="auto",
        metadata={"help": "auto (bfloat16 on GPU, float32 on CPU), float16, bfloat16, float32."},
    )
    trust_remote_code: bool = field(
        default=False, metadata={"help": "Allow model code from the Hub repo (off by default)."}
    )
    probe_source: str = field(
        default="emoji",
        metadata={"help": "Level-3 probe images: emoji, imagefolder:PATH or hub:ID[:CONFIG][@SPLIT]."},
    )
    probe_questions: int = field(default=500, metadata={"help": "Questions in the Level-3 probe."})
    probe_seed: int = field(default=0, metadata={"help": "Seed of the Level-3 probe."})
    probe_style: str = field(
        default="letter", metadata={"help": "Probe options: letter (A. Image 1 ...) or number."}
    )
    probe_holdout: float = field(
        default=0.05,
        metadata={
            "help": "Probe only on source images a build with this --test-fraction holds out of training "
            "(the build default is 0.05); 0 uses every image."
        },
    )

    def __post_init__(self):
        if self.rescore:
            return
        if not self.model:
            raise UserError("`--model` is required (a Hub id or a local folder); or use `--rescore DIR`")
        if not self.out:
            raise UserError("`--out` is required: the folder for predictions.jsonl and results")
        unknown = [t for t in self.task_list if t not in ALL_TASKS]
        if unknown or not self.task_list:
            raise UserError(
                f"`--tasks`: unknown {', '.join(unknown) or '(empty)'}; choose from {','.join(ALL_TASKS)}"
            )
        if self.limit is not None and self.limit < 1:
            raise UserError(f"`--limit` must be at least 1, got {self.limit}")
        if self.batch_size < 1:
            raise UserError(f"`--batch-size` must be at least 1, got {self.batch_size}")
        for entry in self.dataset_path:
            task, sep, path = entry.partition("=")
            if not sep or task not in BENCHMARKS or not path:
                raise UserError(
                    f"`--dataset-path {entry}`: use TASK=PATH with TASK one of {', '.join(BENCHMARKS)}"
                )

    @property
    def task_list(self) -> list[str]:
        return [t.strip() for t in self.tasks.split(",") if t.strip()]

    @property
    def dataset_paths(self) -> dict[str, str]:
        return dict(entry.split("=", 1) for entry in self.dataset_path)


def _units(task: str, config: EvalConfig) -> list:
    if task == "l3probe":
        return [
            probe_unit(
                config.probe_source,
                config.probe_questions,
                config.probe_seed,
                config.probe_style,
                config.limit,
                config.probe_holdout,
            )
        ]
    return load_units(BENCHMARKS[task], config.dataset_paths.get(task), None, config.limit)


def _check_run(out: Path, config: EvalConfig, generator: Generator) -> None:
    path = out / RUN_JSON
    if path.exists():
        previous = json.loads(path.read_text(encoding="utf-8"))
        if previous.get("model") != generator.name:
            raise UserError(
                f"{out} holds predictions of `{previous.get('model')}`; pass a new `--out` for `{generator.name}`"
            )
        return
    import datasets
    import transformers

    run = {
        "model": generator.name,
        "revision": config.revision,
        "config": asdict(config),
        "versions": {"transformers": transformers.__version__, "datasets": datasets.__version__},
    }
    path.write_text(json.dumps(run, indent=2) + "\n", encoding="utf-8")


def _batches(items, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def evaluate(config: EvalConfig, generator: Generator) -> dict[str, Any]:
    """Ask every question of `config.tasks` that OUT does not hold yet, then score everything in OUT."""
    from tqdm.auto import tqdm

    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    _check_run(out, config, generator)
    done = {(r["task"], r["id"]) for r in read_predictions(out)}
    with open(out / PREDICTIONS, "a", encoding="utf-8") as sink:
        for task in config.task_list:
            units = _units(task, config)
            with tqdm(total=sum(len(u) for u in units), desc=task, unit="q") as bar:
                for unit in units:
                    for batch in _batches(unit, config.batch_size):
                        todo = [item for item in batch if (task, item.id) not in done]
                        replies = generator.generate(todo) if todo else []
                        for item, reply in zip(todo, replies, strict=True):
                            parsed = read_reply(item.answer_type, reply, item.choices, item.options).value
                            record = {"task": task, **item.record(), "raw": reply, "parsed": parsed}
                            sink.write(json.dumps(record, ensure_ascii=False) + "\n")
                            done.add((task, item.id))
                        sink.flush()
                        bar.update(len(batch))
    return rescore(out)


def rescore(out_dir: str | Path) -> dict[str, Any]:
    """Re-read every reply in OUT/predictions.jsonl with the current reply parser; rewrite the results files."""
    out = Path(out_dir)
    records = read_predictions(out)
    if not records:
        raise UserError(
            f"{out / PREDICTIONS} is missing or empty; run `s2h eval --model ... --out {out}` first"
        )
    changed = 0
    for record in records:
        parsed = read_reply(record["answer_type"], record["raw"], record["choices"], record["options"]).value
        changed += parsed != record["parsed"]
        record["parsed"] = parsed
    if changed:
        logger.warning(
            "%d replies read differently from when they were saved; results use the current reading", changed
        )
    results = score_records(records)
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


def run_eval(
    model_path: str, tasks: str | list[str], out_dir: str | Path, limit: int | None = None, **kwargs: Any
) -> dict[str, Any]:
    """Evaluate a saved model; returns results.json's content. `kwargs`: any other `EvalConfig` field."""
    tasks = tasks if isinstance(tasks, str) else ",".join(tasks)
    config = EvalConfig(model=str(model_path), tasks=tasks, out=str(out_dir), limit=limit, **kwargs)
    generator = HFGenerator(
        config.model,
        config.revision,
        config.device,
        config.dtype,
        config.max_new_tokens,
        config.trust_remote_code,
    )
    return evaluate(config, generator)
