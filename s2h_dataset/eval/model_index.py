"""Eval results as `model-index` metadata (huggingface_hub `EvalResult`), so the Hub shows them on the model page.

`eval_results(results)` turns results.json into one `EvalResult` per headline metric of each task (the
rows of the summary table), with the dataset id, config, split and resolved revision the answers were
read from. Values are in %, as in the table. The training card passes them to `ModelCardData(eval_results=...)`.
"""

from __future__ import annotations

from typing import Any

from .spec import get_task

__all__ = ["eval_results"]

TASK_TYPE, TASK_NAME = "image-text-to-text", "Multi-image question answering"


def eval_results(results: dict[str, Any]) -> list:
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
        provenance = scores.get("dataset") or {}
        for label, key in spec.headline:
            if key not in scores:
                continue
            out.append(
                EvalResult(
                    task_type=TASK_TYPE,
                    task_name=TASK_NAME,
                    dataset_type=spec.hub_id or f"s2h-dpo/{task}",
                    dataset_name=spec.title,
                    dataset_config=",".join(spec.configs) if len(spec.configs) == 1 else None,
                    dataset_split=",".join(spec.splits) or None,
                    dataset_revision=provenance.get("resolved_revision") or provenance.get("revision"),
                    metric_type=key,
                    metric_name=label
                    + (f" ({scores['protocol']} protocol)" if scores.get("protocol") else ""),
                    metric_value=round(100 * scores[key], 2),
                )
            )
    return out
