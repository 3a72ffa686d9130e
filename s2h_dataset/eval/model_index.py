"""Eval results as `model-index` metadata (huggingface_hub `EvalResult`), so the Hub shows them on the model page.

`eval_results(results)` turns our scores into one `EvalResult` per headline metric of each task (the
rows of the summary table), with the dataset id, config, split and resolved revision the answers were
read from. Values are in %, as in the table; metric types are plain (`accuracy`, `f1`), with the chance
level and the number of items scored beside them (`metric_args`) and in the name. The training card passes them to `ModelCardData(eval_results=...)`.
"""

from __future__ import annotations

from typing import Any

from .spec import get_task

__all__ = ["METRIC_TYPES", "eval_results"]

TASK_TYPE, TASK_NAME = "image-text-to-text", "Multi-image question answering"
# result key -> the plain metric a leaderboard reads; how it was aggregated goes in the metric's name
METRIC_TYPES = {
    "accuracy": "accuracy",
    "accuracy_mean_of_subtasks": "accuracy",
    "accuracy_mean_of_levels": "accuracy",
    "f1_mean_of_splits": "f1",
    "yes_ratio_mean_of_splits": "yes_ratio",
    "multimodal_gain": "multimodal_gain",
}


def _name(label: str, scores: dict[str, Any]) -> str:
    """The metric's name: its aggregation, the protocol, and how many items it was scored on."""
    name = label.replace(" (chance)", "")
    if scores.get("protocol"):
        name += f", {scores['protocol']} protocol"
    return f"{name} ({scores['n']} items)" if "n" in scores else name


def eval_results(results: dict[str, Any], dataset_id: str | None = None) -> list:
    """One `EvalResult` per headline metric. Metric types are plain (`accuracy`, `f1`); the chance level, the
    item count, the `--eval-limit` draw and the protocol go in `metric_args`. A generated task (the probe,
    s2h_test) is listed under `dataset_id` (the S2H-DPO dataset's Hub id) and left out without one: the
    Hub needs a dataset id there."""
    from huggingface_hub import EvalResult

    from ..errors import UserError

    out = []
    for task, scores in results.items():
        if not isinstance(scores, dict):  # e.g. a trainer's flat eval_loss
            continue
        try:
            spec = get_task(task)
        except UserError:
            continue
        dataset_type = spec.hub_id or dataset_id
        if not dataset_type:
            continue
        provenance = scores.get("dataset") or {}
        args = {
            "items": scores.get("n"),
            "chance": round(100 * scores["chance"], 2) if "chance" in scores else None,
            "ci95": [round(100 * v, 2) for v in scores["ci95"]] if "ci95" in scores else None,
            "protocol": scores.get("protocol"),
            "task": task if not spec.hub_id else None,
        }
        rows = [(label, key) for label, key in spec.headline if key in scores]
        if "multimodal_gain" in scores:  # `--blank-images both`: MMStar's MG, in points
            metric = scores["blank_images"]["metric"]
            rows += [
                (f"{metric} with blank images", f"{metric}_blank_images"),
                (
                    f"multi-modal gain ({metric} with images minus with blank images, points)",
                    "multimodal_gain",
                ),
            ]
        for label, key in rows:
            out.append(
                EvalResult(
                    task_type=TASK_TYPE,
                    task_name=TASK_NAME,
                    dataset_type=dataset_type,
                    dataset_name=spec.title,
                    dataset_config=",".join(spec.configs) if len(spec.configs) == 1 else None,
                    dataset_split=",".join(spec.splits) or None,
                    dataset_revision=provenance.get("resolved_revision") or provenance.get("revision"),
                    metric_type=METRIC_TYPES.get(key, key),
                    metric_name=_name(label, scores),
                    metric_value=round(100 * scores[key], 2),
                    metric_args={k: v for k, v in args.items() if v is not None} or None,
                )
            )
    return out
