"""results.json in lmms-eval's layout, so its tooling and readers work on our runs.

The layout is lmms-eval's (EvolvingLMMs-Lab/lmms-eval@75571cf: `evaluator.py` builds it, `utils.make_table`
reads it): `results` -> task -> `"<metric>,<filter>"` with `"<metric>_stderr,<filter>"` beside it (a float
or "N/A"); `configs` (the task's dataset, split, generation settings), `versions`, `n-shot`,
`higher_is_better`, `n-samples` (`original`: questions available, `effective`: questions asked), `config`
(model, model args, batch size, limit, seed), `git_hash` and `date`. The filter is `none` for our parser's
reading and `as-<reference>` for the same replies scored by the protocol's reference (`references.py`).

Our complete scores (subtasks, per-split POPE, the reference block) stay under `s2h` in the same file:
`read_results` returns them for every reader of this package, and reads the flat files of earlier runs too.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

__all__ = ["MEAN_METRICS", "lmms_results", "read_results"]

# metrics that are means of a 0/1 verdict per item: their stderr is the sample standard error of the mean
MEAN_METRICS = ("accuracy",)
LOWER_IS_BETTER = ("parse_failure_rate", "parse_failures", "yes_ratio_mean_of_splits", "margin_min")
_SKIP = ("n", "correct", "parse_failures")  # counts, not metrics (n-samples carries n)
TASK_VERSION = "1.0"  # bumps when a task's questions or scoring change meaning


def _stderr(p: float, n: int) -> float | str:
    """lmms-eval's `mean_stderr` of n 0/1 values with mean p: the sample standard deviation / sqrt(n)."""
    if n < 2:
        return "N/A"
    return math.sqrt(p * (1 - p) * n / (n - 1) / n)


def _metrics(scores: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in scores.items():
        if key in _SKIP or isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        out[f"{key},none"] = value
        out[f"{key}_stderr,none"] = _stderr(value, scores["n"]) if key in MEAN_METRICS else "N/A"
    reference = scores.get("reference")
    if reference:
        tag = f"as-{reference['reference'].lower()}"
        for key in ("headline", "accuracy"):
            value = reference["as_reference"].get(key)
            if isinstance(value, (int, float)):
                out[f"reference_{key},{tag}"] = value
                out[f"reference_{key}_stderr,{tag}"] = "N/A"
    return out


def _config(task: str, scores: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
    from .spec import get_task

    settings = (run.get("answer_settings") or {}).get(task, {})
    config: dict[str, Any] = {"task": task, "output_type": "generate_until"}
    try:
        spec = get_task(task)
        config.update(
            {
                "dataset_path": spec.hub_id or None,
                "dataset_name": list(spec.configs) or None,
                "test_split": list(spec.splits) or None,
                "metric_list": [
                    {"metric": key, "aggregation": "mean", "higher_is_better": True}
                    for _, key in spec.headline
                ],
            }
        )
    except Exception:  # a task no longer registered (an old folder): what the run recorded is enough
        pass
    dataset = scores.get("dataset")
    if isinstance(dataset, dict) and dataset.get("source"):
        config["dataset_path"] = dataset["source"]
    config["generation_kwargs"] = {
        "max_new_tokens": settings.get("max_new_tokens"),
        "do_sample": False,
        "temperature": 0,
        "num_beams": 1,
    }
    config["protocol"] = settings.get("protocol", run.get("protocol"))
    return config


def lmms_results(results: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
    """`results` (task -> our scores) and `run` (run.json) as one lmms-eval results document."""
    questions = run.get("questions") or {}
    settings = run.get("answer_settings") or {}
    first = next(iter(settings.values()), {})
    model_args = ",".join(
        f"{k}={v}"
        for k, v in (
            ("pretrained", run.get("model")),
            ("revision", run.get("revision")),
            ("dtype", first.get("dtype")),
            (
                "processor_kwargs",
                json.dumps(first.get("processor_kwargs")) if first.get("processor_kwargs") else None,
            ),
            ("backend", first.get("backend")),
        )
        if v is not None
    )
    return {
        "results": {task: {"alias": task, **_metrics(scores)} for task, scores in results.items()},
        "group_subtasks": {task: [] for task in results},
        "configs": {task: _config(task, scores, run) for task, scores in results.items()},
        "versions": dict.fromkeys(results, TASK_VERSION),
        "n-shot": dict.fromkeys(results, 0),
        "higher_is_better": {
            task: {
                k.split(",")[0]: k.split(",")[0] not in LOWER_IS_BETTER
                for k in _metrics(scores)
                if "_stderr" not in k
            }
            for task, scores in results.items()
        },
        "n-samples": {
            task: {
                "original": questions.get(task, {}).get("available", scores.get("n")),
                "effective": questions.get(task, {}).get("asked", scores.get("n")),
            }
            for task, scores in results.items()
        },
        "config": {
            "model": "s2h-eval",
            "model_args": model_args,
            "batch_size": first.get("batch_size"),
            "device": None,
            "limit": run.get("eval_limit"),
            "random_seed": run.get("eval_limit_seed"),
            "protocol": run.get("protocol"),
            "model_family": run.get("model_family"),
            "git_commit": run.get("git_commit"),
            "versions": run.get("versions", {}),
        },
        "git_hash": run.get("git_commit"),
        "date": run.get("date"),
        "s2h": results,
    }


def read_results(path: str | Path) -> dict[str, Any]:
    """Our scores (task -> scores) from a results.json: the `s2h` block of the lmms-eval layout, or the
    whole file when it is the flat layout of earlier runs."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data["s2h"] if isinstance(data, dict) and "s2h" in data and "results" in data else data
