"""Evaluation harness: BLINK, MANTIS-Eval, NLVR2, MMStar, POPE and the Level-3 probe.

    from s2h_dataset.eval import run_eval, markdown_table
    results = run_eval("out/checkpoint", "blink,l3probe", "out/eval", limit=50)
    print(markdown_table(results))

Modules: `tasks` (benchmark definitions), `probe` (Level-3 probe), `items` (one question), `scoring`, `generate` (transformers, greedy, batched), `runner`, `report`.
Replies are read by `s2h_dataset.vlm.replies`, the parser the Space uses too.
"""

from .report import markdown_report, markdown_table
from .runner import ALL_TASKS, EvalConfig, evaluate, rescore, run_eval

__all__ = ["ALL_TASKS", "EvalConfig", "evaluate", "markdown_report", "markdown_table", "rescore", "run_eval"]
