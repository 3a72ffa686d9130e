"""The paper's runs as data (Tables 1-5, the L3-probe claim, Figure 5), the exact commands that reproduce
each, and a results table filled from the runs' evaluation outputs beside every printed row (`paper_tables`).

A run is one training (or, for a base model, none) with one output folder under `runs/paper/`, evaluated on
every benchmark its rows report. Its commands are: the `s2h build` of the data it needs (shared between
runs, skipped when the folder exists), `training/<method>.py --config <recipe>` with the run's data
settings, then `s2h eval --protocol vlmevalkit` of the trained model (for a curriculum, of its last stage)
into `<model folder>/eval`. Runs that appear in several tables (LLaVA-1.5 DPO is Table 1's, Table 2's,
Table 4's "+DPO" and the probe's fine-tuned model) run once. Rows another paper published (MIA-DPO and the
other baselines) are listed as published references and never re-run.

Data size: the paper trains on "20K samples for each level" (section 2.3). `s2h build --n-per-level` counts
train + test, so the builds ask for `N_PER_LEVEL` rows, the count whose train split is exactly 20,000 at
`--test-fraction 0.05` (the test rows come on top, for `s2h_test`).

Protocol: the paper does not name its evaluation harness. Its LLaVA-v1.5 and MIA-DPO rows are MIA-DPO's
published numbers, which MIA-DPO evaluated with VLMEvalKit (github.com/Liuziyu77/MIA-DPO README, "Evaluation"), so every
evaluation here runs `--protocol vlmevalkit` for the comparison to hold; `PROTOCOL` changes it.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path

from ..plan import split_sizes
from ..vlm.processor_defaults import processor_kwargs_for
from .paper_tables import NOTES, ROWS, TABLES, Row

__all__ = [
    "BENCHMARKS",
    "BUILDS",
    "N_PER_LEVEL",
    "ROWS",
    "RUNS",
    "Run",
    "commands",
    "eval_dir",
    "note_line",
    "results_table",
    "row_line",
    "run_scores",
]

BENCHMARKS = ("blink", "mantis", "nlvr2")
SINGLE_IMAGE = ("mmstar", "pope")
RUNS_DIR = "runs/paper"
RECIPES = "training/recipes"
PROTOCOL = "vlmevalkit"
TRAIN_ROWS, TEST_FRACTION = 20000, 0.05  # the paper's 20K per level; the build's default test share
# the probe as section 5 describes it: ImageNet validation images, 500 questions (none of them trained on)
PROBE = [
    "--probe-source",
    "hub:ILSVRC/imagenet-1k@validation",
    "--probe-questions",
    "500",
    "--probe-holdout",
    "0",
]


def _rows_for_train(train: int, test_fraction: float) -> int:
    """The smallest `--n-per-level` whose train split (`plan.split_sizes`) holds `train` rows."""
    n = round(train / (1 - test_fraction))
    while split_sizes(n, test_fraction)["train"] < train:
        n += 1
    while split_sizes(n - 1, test_fraction)["train"] >= train:
        n -= 1
    return n


N_PER_LEVEL = _rows_for_train(TRAIN_ROWS, TEST_FRACTION)
_SIZE = ["--n-per-level", str(N_PER_LEVEL), "--test-fraction", str(TEST_FRACTION)]
# data folder -> the `s2h build` flags that make it (20K train rows per level, 3 distractors)
BUILDS = {
    "build/s2h-dpo": _SIZE,
    **{f"build/s2h-dpo-l3-d{n}": [*_SIZE, "--levels", "3", "--distractors", str(n)] for n in (2, 3, 4, 5)},
}

MODELS = {
    "llava": ("llava-hf/llava-1.5-7b-hf", "llava"),
    "qwen2.5": ("Qwen/Qwen2.5-VL-7B-Instruct", "qwen2_5_vl"),
    "qwen3": ("Qwen/Qwen3-VL-2B-Instruct", "qwen3_vl"),
}


@dataclass(frozen=True)
class Run:
    """One training (or a base model's evaluation): which model, method, data and level schedule."""

    name: str
    model: str  # key of MODELS
    method: str = "dpo"  # dpo, sft, grpo, or base (no training: evaluate the model as released)
    data: str = "build/s2h-dpo"
    levels: str = "all"  # dataset_config
    curriculum: str | None = None
    kind: str = "lora"  # recipe variant

    @property
    def output_dir(self) -> str:
        return f"{RUNS_DIR}/{self.name}"

    @property
    def recipe(self) -> str | None:
        if self.method == "base":
            return None
        return f"{RECIPES}/{MODELS[self.model][0]}/{self.method}/config_{self.kind}.yaml"

    @property
    def rows(self) -> list[Row]:
        return [row for row in ROWS if row.run == self.name]

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(row.table for row in self.rows))

    @property
    def tasks(self) -> list[str]:
        """The benchmarks its rows report (in the order `s2h eval` runs them)."""
        wanted = {key for row in self.rows for key in row.scores if key != "mean"}
        wanted |= set(BENCHMARKS) if "fig5" in self.tables else set()
        return [t for t in (*BENCHMARKS, *SINGLE_IMAGE, "l3probe") if t in wanted]


RUNS: tuple[Run, ...] = (
    Run("llava-base", "llava", "base"),
    Run("llava-dpo", "llava"),
    Run("qwen2.5-base", "qwen2.5", "base"),
    Run("qwen2.5-dpo", "qwen2.5"),
    Run("qwen3-base", "qwen3", "base"),
    Run("qwen3-dpo", "qwen3"),
    # Table 3: A -> B trains B after A, one full training per stage (each with the recipe's full epoch count)
    Run("t3-l1-l2", "llava", curriculum="1;2"),
    Run("t3-l2", "llava", levels="level2"),
    Run("t3-l1-l3", "llava", curriculum="1;3"),
    Run("t3-l3", "llava", levels="level3"),
    Run("t3-l1-l23", "llava", curriculum="1;2,3"),
    Run("t3-l23", "llava", levels="level2,level3"),
    Run("t3-l1-l2-l3", "llava", curriculum="1;2;3"),
    Run("t4-llava-sft", "llava", "sft"),
    Run("t5-qwen3-grpo", "qwen3", "grpo"),
    *(Run(f"f5-l3-d{n}", "llava", data=f"build/s2h-dpo-l3-d{n}", levels="level3") for n in (2, 3, 4, 5)),
)


def _family_processor(model_key: str) -> list[str]:
    settings = processor_kwargs_for(MODELS[model_key][1])
    return ["--processor-kwargs", json.dumps(settings, separators=(",", ":"))] if settings else []


def train_argv(run: Run) -> list[str]:
    """The arguments after `python training/<method>.py` (a curriculum or a level subset over the recipe)."""
    argv = ["--config", run.recipe, "--dataset_name", run.data, "--output_dir", run.output_dir]
    return argv + (["--curriculum", run.curriculum] if run.curriculum else ["--dataset_config", run.levels])


def eval_argv(run: Run) -> list[str]:
    """`s2h eval` of the run's model on the benchmarks its rows report, under the paper's `PROTOCOL`."""
    base = run.method == "base"
    model = MODELS[run.model][0] if base else eval_dir(run)
    argv = ["s2h", "eval", "--model-name-or-path", model, "--eval-tasks", ",".join(run.tasks)]
    argv += ["--protocol", PROTOCOL, "--out", f"{run.output_dir}/eval" if base else f"{eval_dir(run)}/eval"]
    argv += PROBE if "l3probe" in run.tasks else []
    # a base model gets the processor settings the trained models were saved with
    return argv + (_family_processor(run.model) if base else [])


def commands(run: Run, built: set[str] | None = None) -> list[list[str]]:
    """The argv lists that reproduce `run`: its data build (unless in `built`), training, evaluation."""
    out = []
    if run.method != "base":
        if run.data not in (built or set()):
            out.append(["s2h", "build", "--out", run.data, *BUILDS[run.data]])
        out.append(["python", f"training/{run.method}.py", *train_argv(run)])
    out.append(eval_argv(run))
    return out


def shell(argv: list[str]) -> str:
    return shlex.join(argv)


def eval_dir(run: Run) -> str:
    """Where a run's model (and its eval/) ends up: the output_dir, or a curriculum's last stage folder."""
    from .arguments import parse_stages
    from .curriculum import stage_dirs

    if not run.curriculum:
        return run.output_dir
    return str(stage_dirs(run.output_dir, parse_stages(run.curriculum))[-1])


def run_scores(run: Run, root: Path = Path(".")) -> dict[str, float] | None:
    """The run's headline score (%) per benchmark from its `eval/results.json`, or None before it ran."""
    path = root / (run.output_dir if run.method == "base" else eval_dir(run)) / "eval" / "results.json"
    if not path.is_file():
        return None
    from ..eval.lmms_layout import read_results
    from ..eval.spec import get_task

    results = read_results(path)
    scores = {}
    for task in (*BENCHMARKS, *SINGLE_IMAGE, "l3probe"):
        if task in results:
            key = get_task(task).headline[0][1]
            scores[task] = round(100 * results[task][key], 2)
    return scores


def _cell(row: Row, key: str, ours: dict[str, float]) -> str:
    paper = f"{row.scores[key]:.2f}" if key in row.scores else "-"
    if row.source:
        return paper
    if key == "mean":
        keys = [k for k in row.scores if k != "mean"]
        value = sum(ours[k] for k in keys) / len(keys) if keys and all(k in ours for k in keys) else None
    else:
        value = ours.get(key)
    return f"{paper} / {value:.2f}" if value is not None else f"{paper} / -"


def results_table(rows=ROWS, root: Path = Path(".")) -> str:
    """Markdown, one table per paper table: every printed row, the paper's scores and ours (`-` where a run
    has not been evaluated yet); a published reference shows the paper's number and who published it."""
    runs = {run.name: run for run in RUNS}
    parts = []
    for table in TABLES:
        chosen = [row for row in rows if row.table == table]
        if not chosen:
            continue
        keys = list(dict.fromkeys(k for row in chosen for k in row.scores)) or list(BENCHMARKS)
        head = ["row", "run"] + [f"{k} paper / ours" for k in keys]
        title = {"probe": "L3 probe (section 5)", "fig5": "Figure 5"}.get(table, f"Table {table}")
        lines = [title, ""]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for row in chosen:
            ours = (run_scores(runs[row.run], root) or {}) if row.run else {}
            who = row.run or f"published ({row.source}), not re-run"
            cells = [_cell(row, key, ours) for key in keys]
            lines.append(f"| {row.label} | {who} | " + " | ".join(cells) + " |")
        lines += ["", f"Note: {NOTES[table]}"] if table in NOTES else []
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def note_line(table: str) -> str | None:
    """The paper's inconsistency in `table`, as a dry run prints it (None when there is none)."""
    return f"# Table {table} note: {NOTES[table]}" if table in NOTES else None


def row_line(row: Row) -> str:
    """One row as `s2h reproduce --dry-run` lists it (a shell comment)."""
    who = f"run {row.run}" if row.run else f"published reference ({row.source}), not re-run"
    scores = " ".join(f"{k} {v:g}" for k, v in row.scores.items()) or "no numbers printed"
    return f"# Table {row.table} | {row.label} | {who} | {scores}"
