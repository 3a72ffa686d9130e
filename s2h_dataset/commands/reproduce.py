"""`s2h reproduce`: the paper's runs (Tables 1-5, the L3-probe claim, Figure 5) as commands, and their results.

    s2h reproduce --dry-run                    # every table row, then the commands of every run
    s2h reproduce --table 3 --dry-run          # only Table 3's runs
    s2h reproduce --run t3-l1-l23              # build what is missing, train, evaluate (one GPU machine)
    s2h reproduce --results                    # the paper's scores beside those in runs/paper/*/eval

Each run's commands are its data build (once per dataset), `training/<method>.py --config <recipe>` plus its
data settings, and `s2h eval --protocol vlmevalkit` on every benchmark its rows report (base models with
the processor settings the trained models get). Rows other papers published (MIA-DPO, ...) are listed as
published references and not re-run (`s2h_dataset.training.paper_tables`).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)


@dataclass
class ReproduceArgs:
    """Arguments of `s2h reproduce`.

    Parameters:
        run (`list[str]`, *optional*, defaults to `[]`):
            Run names (see --dry-run); default: all (of --table when given).
        table (`str | None`, *optional*):
            Only the runs of this table: 1-5, probe or fig5.
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
        default=None, metadata={"help": "Only the rows and runs of this table: 1, 2, 3, 4, 5, probe, fig5."}
    )
    dry_run: bool = field(default=False, metadata={"help": "Print the commands, run nothing."})
    results: bool = field(default=False, metadata={"help": "Print the paper's scores beside the runs' own."})
    root: str = field(default=".", metadata={"help": "Repository root the commands run in."})


ARGS = (ReproduceArgs,)
RESUMES = True  # each run skips what it finished (builds, trainings and evaluations resume)


def _rows(args: ReproduceArgs):
    from ..training.experiments import ROWS

    rows = [r for r in ROWS if args.table is None or r.table == args.table]
    return [r for r in rows if not args.run or r.run in args.run]


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
        raise UserError(f"no run in table `{args.table}`; tables are 1, 2, 3, 4, 5, probe and fig5")
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
    from ..training.experiments import commands, note_line, results_table, row_line, shell

    runs = _selected(args)
    if args.results:
        print(results_table(_rows(args), root=Path(args.root)))
        return 0
    noted = set()
    for row in _rows(args):  # every printed row: which run reproduces it, or whose published number it is
        if row.table not in noted and note_line(row.table):
            print(note_line(row.table))
        noted.add(row.table)
        print(row_line(row))
    built = {d for d in {r.data for r in runs} if os.path.isdir(os.path.join(args.root, d))}
    for item in runs:
        steps = commands(item, built)
        if item.method != "base":  # its data is built (or was) by now
            built.add(item.data)
        print(f"# run {item.name}: Table {', '.join(item.tables)}")
        for argv in steps:
            print(shell(argv), flush=True)
            if not args.dry_run:
                _execute(argv, args.root, item.name)
    return 0
