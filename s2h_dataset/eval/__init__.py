"""Evaluation harness: BLINK, MANTIS-Eval, NLVR2, MMStar, POPE, the Level-3 probe and s2h_test.

    from s2h_dataset.eval import EvalConfig, markdown_table, run_eval
    config = EvalConfig(
        model_name_or_path="out/checkpoint", eval_tasks="blink,l3probe", out="out/eval", eval_limit=50
    )
    results = run_eval(config)
    print(markdown_table(results))

Modules: `spec` (the task registry), `benchmarks/` (the five Hub benchmarks, one module each, with their
protocol prompts), `probe` (Level-3 probe), `items` (one question), `loading`, `config` (`EvalConfig`,
resume key), `resume`, `scoring`, `generate` (transformers, greedy, batched), `runner`, `report`.
Replies are read by `s2h_dataset.vlm.replies`, the parser the Space uses too.
"""

from .config import EvalConfig
from .report import markdown_report, markdown_table
from .runner import evaluate, rescore, run_eval

__all__ = ["EvalConfig", "evaluate", "markdown_report", "markdown_table", "rescore", "run_eval"]
