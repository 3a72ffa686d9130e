"""`s2h reproduce`: the paper's runs (Tables 1, 3, 4, 5, Figure 5) as commands, and their results table.

    s2h reproduce --dry-run                    # print the commands of every run (builds once each)
    s2h reproduce --table 3 --dry-run          # only Table 3's runs
    s2h reproduce --run t3-l1-l23              # build what is missing, train, evaluate (one GPU machine)
    s2h reproduce --results                    # the paper's scores beside those in runs/paper/*/eval

Each run's training command is `training/<method>.py --config <recipe>` plus its data settings, with
`--eval_tasks blink,mantis,nlvr2`, so one command per row trains and evaluates; base models are evaluated
with `s2h eval` and the processor settings the trained models get.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

HELP = "print or run the commands of every paper run (Tables 1, 3-5, Fig. 5) and tabulate their results"

logger = logging.getLogger(__name__)


@dataclass
class ReproduceArgs:
    """Arguments of `s2h reproduce`.

    Parameters:
        run (`list[str]`, *optional*, defaults to `[]`):
            Run names (see --dry-run); default: all (of --table when given).
        table (`str | None`, *optional*):
            Only the runs of this table: 1, 3, 4, 5, fig5.
        dry_run (`bool`, *optional*, defaults to `False`):
            Print the commands, run nothing.
        results (`bool`, *optional*, defaults to `False`):
            Print the paper's scores beside the runs' own.
        root (`str`, *optional*, defaults to `"."`):
            Repository root the commands run in.
    """

    run: list[str] = field(
        default_factory=list,
        metadata={"help": "Run names (see --dry-run); default: all (of --table when given)."},
    )
    table: str | None = field(
        default=None, metadata={"help": "Only the runs of this table: 1, 3, 4, 5, fig5."}
    )
    dry_run: bool = field(default=False, metadata={"help": "Print the commands, run nothing."})
    results: bool = field(default=False, metadata={"help": "Print the paper's scores beside the runs' own."})
    root: str = field(default=".", metadata={"help": "Repository root the commands run in."})


ARGS = (ReproduceArgs,)
RESUMES = True  # each run skips what it finished (builds, trainings and evaluations resume)


def _selected(args: ReproduceArgs):
    from ..errors import UserError
    from ..training.experiments import RUNS

    runs = [r for r in RUNS if args.table is None or args.table in r.tables]
    if args.run:
        known = {r.name: r for r in RUNS}
        unknown = [name for name in args.run if name not in known]
        if unknown:
            raise UserError(f"unknown run {', '.join(unknown)}; `s2h reproduce --dry-run` lists them")
        runs = [r for r in runs if r.name in args.run]
    if not runs:
        raise UserError(f"no run in table `{args.table}`; tables are 1, 3, 4, 5 and fig5")
    return runs


def _execute(argv: list[str], root: str, name: str) -> None:
    from ..errors import UserError
    from ..training.experiments import shell

    # `python` and `s2h` as printed; run with this interpreter so the same environment trains
    real = (
        [sys.executable, *argv[1:]]
        if argv[0] == "python"
        else [sys.executable, "-m", "s2h_dataset.cli", *argv[1:]]
    )
    code = subprocess.run(real, cwd=root).returncode
    if code:
        raise UserError(f"{name}: `{shell(argv)}` exited with {code}; rerun the same command to resume")


def run(args: ReproduceArgs) -> int:
    from ..training.experiments import commands, results_table, shell

    runs = _selected(args)
    if args.results:
        print(results_table(runs, root=Path(args.root)))
        return 0
    built = {d for d in {r.data for r in runs} if os.path.isdir(os.path.join(args.root, d))}
    for item in runs:
        steps = commands(item, built)
        if item.method != "base":  # its data is built (or was) by now
            built.add(item.data)
        print(f"# {item.name}: Table {', '.join(item.tables)}, {item.label}")
        for argv in steps:
            print(shell(argv), flush=True)
            if not args.dry_run:
                _execute(argv, args.root, item.name)
    return 0
