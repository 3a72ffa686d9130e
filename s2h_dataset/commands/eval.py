"""`s2h eval`: score a model on BLINK, MANTIS-Eval, NLVR2, MMStar, POPE, the Level-3 probe and s2h_test.

s2h eval --model-name-or-path ID_OR_PATH --eval-tasks blink,mantis,nlvr2,mmstar,pope,l3probe --out DIR
         [--eval-limit N] [--protocol s2h|lmms-eval|vlmevalkit|official] [--circular] [--batch-size B]
         [--dataset-path blink=/data/BLINK ...] [--revision blink=COMMIT ...] [--processor-kwargs JSON]
         [--backend openai:BASE_URL#MODEL] [--judge openai:BASE_URL#MODEL] [--resume refuse|fresh]
s2h eval --rescore DIR      # recompute results.json / results.md from DIR/predictions.jsonl, print the table
"""

from __future__ import annotations

from ..eval.config import EvalConfig

ARGS = (EvalConfig,)
RESUMES = True  # answers already saved in --out are kept (the resume key)


def uses_hub(config: EvalConfig) -> bool:
    return not config.rescore


def run(config: EvalConfig) -> int:
    from ..eval.report import markdown_table
    from ..eval.runner import rescore, run_eval

    results = rescore(config.rescore) if config.rescore else run_eval(config)
    print(markdown_table(results))
    return 0
