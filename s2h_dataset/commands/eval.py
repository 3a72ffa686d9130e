"""`s2h eval`: score a model on BLINK, MANTIS-Eval, NLVR2, MMStar, POPE and the Level-3 probe.

s2h eval --model ID_OR_PATH --tasks blink,mantis,nlvr2,mmstar,pope,l3probe --out DIR [--limit N]
         [--batch-size B] [--dataset-path blink=/data/BLINK ...] [--revision REV]
s2h eval --rescore DIR      # recompute results.json / results.md from DIR/predictions.jsonl
"""

from __future__ import annotations

from ..eval.runner import EvalConfig

HELP = "evaluate a VLM on BLINK, MANTIS, NLVR2, MMStar, POPE and the Level-3 probe (or --rescore DIR)"
ARGS = (EvalConfig,)


def run(config: EvalConfig) -> int:
    from ..eval.runner import rescore, run_eval

    if config.rescore:
        rescore(config.rescore)
        return 0
    options = {
        k: v for k, v in vars(config).items() if k not in ("model", "tasks", "out", "limit", "rescore")
    }
    run_eval(config.model, config.tasks, config.out, limit=config.limit, **options)
    return 0
