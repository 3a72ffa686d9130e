"""Run the evaluation harness (`s2h_dataset.eval`, the code behind `s2h eval`) on a trained checkpoint.

Kept behind one function so the training scripts do not depend on the harness: when it cannot be imported
(a trimmed install), training still finishes and the log says why nothing was evaluated.
"""

from __future__ import annotations

import logging
import os

__all__ = ["run_eval_tasks"]

logger = logging.getLogger(__name__)


def run_eval_tasks(
    model_path: str | os.PathLike, tasks: list[str], out_dir: str | os.PathLike, limit: int | None = None
) -> tuple[dict, str] | None:
    """Evaluate `model_path` on `tasks` into `out_dir`; return (results, Markdown table), or None if skipped."""
    if not tasks:
        return None
    try:
        from s2h_dataset.eval import EvalConfig, markdown_table, run_eval
    except ImportError as err:
        logger.warning(
            "eval_tasks=%s skipped: the evaluation harness is not importable (%s); run `s2h eval` later",
            ",".join(tasks),
            err,
        )
        return None
    logger.info(
        "evaluating %s on %s%s", model_path, ", ".join(tasks), f" (first {limit} items each)" if limit else ""
    )
    results = run_eval(
        EvalConfig(
            model_name_or_path=str(model_path),
            eval_tasks=",".join(tasks),
            out=str(out_dir),
            eval_limit=limit,
        )
    )
    return results, markdown_table(results)
