"""The paper's runs as data (Tables 1, 3, 4, 5 and Figure 5), the exact commands that reproduce each, and a
results table filled from the runs' evaluation outputs beside the paper's numbers.

A run is one training (or, for a base model, one evaluation) with one output folder under `runs/paper/`.
Its commands are: the `s2h build` of the data it needs (shared between runs, skipped when the folder exists),
then `training/<method>.py --config <recipe>` with the run's data settings and `--eval_tasks`, so the
scores land in `<output_dir>/eval/results.json` (for a curriculum, in the last stage's folder). Runs that
appear in several tables (LLaVA-1.5 DPO is Table 1's row and Table 4's "+DPO") are listed once.

Scores are those the paper prints (%, BLINK / MANTIS / NLVR2). Figure 5 gives no numbers, and Table 5
prints the Qwen3-VL-2B base and DPO rows with BLINK and MANTIS the other way round from Table 1; the
table here follows each table's own header.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from ..vlm.processor_defaults import processor_kwargs_for

__all__ = ["BENCHMARKS", "BUILDS", "RUNS", "Run", "commands", "results_table", "run_scores"]

BENCHMARKS = ("blink", "mantis", "nlvr2")
RUNS_DIR = "runs/paper"
RECIPES = "training/recipes"

# data folder -> the `s2h build` flags that make it (the paper: 20K samples per level, 3 distractors)
BUILDS = {
    "build/s2h-dpo": [],
    **{f"build/s2h-dpo-l3-d{n}": ["--levels", "3", "--distractors", str(n)] for n in (2, 3, 4, 5)},
}

MODELS = {
    "llava": ("llava-hf/llava-1.5-7b-hf", "llava"),
    "qwen2.5": ("Qwen/Qwen2.5-VL-7B-Instruct", "qwen2_5_vl"),
    "qwen3": ("Qwen/Qwen3-VL-2B-Instruct", "qwen3_vl"),
}


@dataclass(frozen=True)
class Run:
    """One row of the paper: which model, method, data and level schedule, and what the paper scored."""

    name: str
    tables: tuple[str, ...]  # where the paper reports it: "1", "3", "4", "5", "fig5"
    label: str  # the row's label in the paper
    model: str  # key of MODELS
    method: str = "dpo"  # dpo, sft, grpo, or base (no training: evaluate the model as released)
    data: str = "build/s2h-dpo"
    levels: str = "all"  # dataset_config
    curriculum: str | None = None
    kind: str = "lora"  # recipe variant
    paper: dict[str, float] = field(default_factory=dict)  # benchmark -> score (%)

    @property
    def output_dir(self) -> str:
        return f"{RUNS_DIR}/{self.name}"

    @property
    def recipe(self) -> str | None:
        if self.method == "base":
            return None
        return f"{RECIPES}/{MODELS[self.model][0]}/{self.method}/config_{self.kind}.yaml"


def _scores(blink=None, mantis=None, nlvr2=None) -> dict[str, float]:
    return {k: v for k, v in {"blink": blink, "mantis": mantis, "nlvr2": nlvr2}.items() if v is not None}


RUNS: tuple[Run, ...] = (
    # Table 1 (and Tables 3-5 for the base rows)
    Run("llava-base", ("1", "3", "4"), "LLaVA-v1.5", "llava", "base", paper=_scores(37.1, 41.9, 52.1)),
    Run("llava-dpo", ("1", "4"), "+ S2H-DPO / +DPO", "llava", paper=_scores(43.40, 47.93, 55.59)),
    Run("qwen2.5-base", ("1",), "Qwen2.5-VL", "qwen2.5", "base", paper=_scores(54.29, 68.66, 74.28)),
    Run("qwen2.5-dpo", ("1",), "+ S2H-DPO", "qwen2.5", paper=_scores(55.85, 74.19, 74.67)),
    Run("qwen3-base", ("1", "5"), "Qwen3-VL (2B)", "qwen3", "base", paper=_scores(51.61, 79.61, 49.71)),
    Run("qwen3-dpo", ("1", "5"), "+ S2H-DPO (2B)", "qwen3", paper=_scores(53.92, 81.71, 50.61)),
    # Table 3: curriculum (A -> B: B trained after A, one full training per stage) vs flat, LLaVA-1.5
    Run("t3-l1", ("3",), "+L1", "llava", levels="level1", paper=_scores(42.9, 44.2, 54.2)),
    Run("t3-l1-l2", ("3",), "L1 -> L2", "llava", curriculum="1;2", paper=_scores(40.2, 39.6, 54.7)),
    Run("t3-l2", ("3",), "L2 flat", "llava", levels="level2", paper=_scores(44.1, 44.7, 55.6)),
    Run("t3-l1-l3", ("3",), "L1 -> L3", "llava", curriculum="1;3", paper=_scores(37.03, 41.0, 54.7)),
    Run("t3-l3", ("3",), "L3 flat", "llava", levels="level3", paper=_scores(43.8, 42.8, 55.2)),
    Run(
        "t3-l1-l23", ("3",), "L1 -> (L2 u L3)", "llava", curriculum="1;2,3", paper=_scores(40.17, 41.0, 55.5)
    ),
    Run("t3-l23", ("3",), "(L2 u L3) flat", "llava", levels="level2,level3", paper=_scores(43.2, 41.4, 55.0)),
    Run(
        "t3-l1-l2-l3", ("3",), "L1 -> L2 -> L3", "llava", curriculum="1;2;3", paper=_scores(39.96, 41.4, 55.3)
    ),
    # Table 4: SFT on the same rows (the DPO row is llava-dpo)
    Run("t4-llava-sft", ("4",), "+SFT", "llava", "sft", paper=_scores(40.52, 45.15, 55.09)),
    # Table 5: GRPO on Qwen3-VL-2B (its DPO row is qwen3-dpo; the table's own column order)
    Run(
        "t5-qwen3-grpo",
        ("5",),
        "+ GRPO",
        "qwen3",
        "grpo",
        paper=_scores(mantis=61.29, blink=70.62, nlvr2=61.73),
    ),
    # Figure 5: LLaVA-1.5 DPO on level 3 built with 2-5 distractors (20K samples each; no numbers printed)
    *(
        Run(
            f"f5-l3-d{n}",
            ("fig5",),
            f"L3, {n} distractors",
            "llava",
            data=f"build/s2h-dpo-l3-d{n}",
            levels="level3",
        )
        for n in (2, 3, 4, 5)
    ),
)


def _family_processor(model_key: str) -> list[str]:
    settings = processor_kwargs_for(MODELS[model_key][1])
    return ["--processor-kwargs", json.dumps(settings, separators=(",", ":"))] if settings else []


def train_argv(run: Run) -> list[str]:
    """The arguments after `python training/<method>.py` (a curriculum or a level subset over the recipe)."""
    argv = ["--config", run.recipe, "--dataset_name", run.data, "--output_dir", run.output_dir]
    argv += ["--curriculum", run.curriculum] if run.curriculum else ["--dataset_config", run.levels]
    return [*argv, "--eval_tasks", ",".join(BENCHMARKS)]


def commands(run: Run, built: set[str] | None = None) -> list[list[str]]:
    """The argv lists that reproduce `run`: its data build (unless in `built`), then training or evaluation."""
    out = []
    if run.method != "base" and run.data not in (built or set()):
        out.append(["s2h", "build", "--out", run.data, *BUILDS[run.data]])
    if run.method == "base":  # the released model, with the processor settings the trained models get
        model = MODELS[run.model][0]
        out.append(
            [
                "s2h",
                "eval",
                "--model-name-or-path",
                model,
                "--eval-tasks",
                ",".join(BENCHMARKS),
                "--out",
                f"{run.output_dir}/eval",
            ]
            + _family_processor(run.model)
        )
    else:
        out.append(["python", f"training/{run.method}.py", *train_argv(run)])
    return out


def shell(argv: list[str]) -> str:
    return shlex.join(argv)


def _final_dir(run: Run, root: Path) -> Path:
    """Where a run's model (and its eval/) ends up: the output_dir, or a curriculum's last stage folder."""
    from .arguments import parse_stages
    from .curriculum import stage_dirs

    folder = root / run.output_dir
    return stage_dirs(folder, parse_stages(run.curriculum))[-1] if run.curriculum else folder


def run_scores(run: Run, root: Path = Path(".")) -> dict[str, float] | None:
    """The run's headline score (%) per benchmark from its `eval/results.json`, or None before it ran."""
    path = _final_dir(run, root) / "eval" / "results.json"
    if not path.is_file():
        return None
    from ..eval.lmms_layout import read_results
    from ..eval.spec import get_task

    results = read_results(path)
    scores = {}
    for task in BENCHMARKS:
        if task in results:
            key = get_task(task).headline[0][1]
            scores[task] = round(100 * results[task][key], 2)
    return scores


def results_table(runs=RUNS, root: Path = Path(".")) -> str:
    """Markdown: every run, the paper's scores and ours (`-` where a run has not been evaluated yet)."""
    head = ["run", "table", "paper row"] + [f"{b} paper / ours" for b in BENCHMARKS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for run in runs:
        ours = run_scores(run, root) or {}
        cells = [f"{run.paper[b]:.2f}" if b in run.paper else "-" for b in BENCHMARKS]
        cells = [
            f"{p} / {ours[b]:.2f}" if b in ours else f"{p} / -"
            for p, b in zip(cells, BENCHMARKS, strict=True)
        ]
        lines.append(f"| {run.name} | {', '.join(run.tables)} | {run.label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
