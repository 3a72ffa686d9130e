"""`s2h reproduce`: every row of the paper's Tables 1-5 and its probe claim listed (ours to run, or a
published reference), a command for every run, each parsing through the parser that will run it, and the
results table read from the runs' eval outputs under each table's own columns."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest

from s2h_dataset.cli import main as s2h
from s2h_dataset.cli import parse
from s2h_dataset.plan import split_sizes
from s2h_dataset.training.experiments import MODELS, ROWS, RUNS, results_table
from s2h_dataset.training.script import parse_args

REPO = Path(__file__).resolve().parents[2]
# rows per table as printed in the paper (Delta rows left out); the probe claim is two numbers in the text
PAPER_ROWS = {"1": 20, "2": 17, "3": 9, "4": 3, "5": 3, "probe": 2, "fig5": 4}


def _dry_run(capsys, *flags) -> list[str]:
    assert s2h(["reproduce", "--dry-run", *flags]) == 0
    return capsys.readouterr().out.splitlines()


def _row(table: str, label: str):
    return next(r for r in ROWS if r.table == table and r.label.startswith(label))


def test_dry_run_lists_every_row_and_every_command_parses(capsys, tmp_path, monkeypatch):
    lines = _dry_run(capsys)
    listed = [line for line in lines if line.startswith("# Table ") and " note: " not in line]
    assert any(line.startswith("# Table 5 note: columns as printed") for line in lines)
    assert len(listed) == len(ROWS) and {t: sum(r.table == t for r in ROWS) for t in PAPER_ROWS} == PAPER_ROWS
    for row in ROWS:
        assert any(f"# Table {row.table} | {row.label} |" in line for line in listed), row
    # published references are listed as such and no run stands for them
    mia = [line for line in listed if "MIA-DPO" in line]
    assert len(mia) == 4 and all("published reference" in line and "not re-run" in line for line in mia)
    assert _row("3", "+L1 (Liu").run is None and _row("3", "+L1 (Liu").scores == _row("1", "+ MIA-DPO").scores
    assert not any(r.levels == "level1" and not r.curriculum and r.method != "base" for r in RUNS)
    # numbers as printed: Table 5 under its own header, Table 2, the probe claim
    assert _row("5", "Qwen3-VL-2B").scores == {"mantis": 47.00, "blink": 79.61, "nlvr2": 49.71}
    assert _row("5", "+ DPO").scores["blink"] == 81.71 == _row("1", "+ S2H-DPO (Ours) 2B").scores["mantis"]
    assert _row("2", "+ S2H-DPO (Ours) 2B").scores == {"mmstar": 53.62, "pope": 85.46, "mean": 69.54}
    assert _row("probe", "fine-tuned").scores == {"l3probe": 31.05}
    assert (
        round(_row("probe", "fine-tuned").scores["l3probe"] - _row("probe", "LLaVA").scores["l3probe"], 2)
        == 6.94
    )

    commands, by_run = [], {}
    for line in lines:
        if line.startswith("# run "):
            current = by_run.setdefault(line.split(":")[0][len("# run ") :], [])
        elif not line.startswith("#"):
            commands.append(shlex.split(line))
            current.append(commands[-1])
    assert set(by_run) == {r.name for r in RUNS}
    monkeypatch.chdir(tmp_path)  # the trained models' folders exist where the eval commands read them
    for run in RUNS:
        *train, evaluation = by_run[run.name]
        if run.method != "base":
            argv = train[-1]
            assert argv[1] == f"training/{run.method}.py"
            argv[argv.index("--config") + 1] = str(REPO / argv[argv.index("--config") + 1])
            script_args, training_args, model_args = parse_args(run.method, [*argv[2:], "--use_cpu", "true"])
            assert (
                model_args.model_name_or_path == MODELS[run.model][0] and script_args.dataset_name == run.data
            )
            assert not script_args.tasks  # evaluated by the `s2h eval` command below, with its protocol
            assert training_args.output_dir == f"runs/paper/{run.name}"
            assert script_args.curriculum == run.curriculum
            assert run.curriculum or script_args.dataset_config == run.levels
            (tmp_path / evaluation[evaluation.index("--model-name-or-path") + 1]).mkdir(parents=True)
        _, (config,) = parse("eval", evaluation[2:])  # the CLI's own parser and checks accept every flag
        assert config.protocol == "vlmevalkit"
        wanted = {k for row in run.rows for k in row.scores if k != "mean"} or {"blink", "mantis", "nlvr2"}
        assert set(config.task_list) == wanted
        if "l3probe" in wanted:
            assert config.probe_source.startswith("hub:ILSVRC/imagenet-1k") and config.probe_questions == 500
    assert {r.name for r in RUNS if "mmstar" in r.tasks} == {
        f"{m}-{k}" for m in MODELS for k in ("base", "dpo")
    }
    builds = [c for c in commands if c[:2] == ["s2h", "build"]]
    assert len(builds) == len({c[3] for c in builds}) == 5  # each dataset built once
    for build in builds:
        _, (config,) = parse("build", build[2:])
        assert split_sizes(config.n_per_level, config.test_fraction)["train"] == 20000  # the paper's 20K
    grpo = next(c for c in commands if c[1] == "training/grpo.py")
    assert "Qwen/Qwen3-VL-2B-Instruct/grpo/config_lora.yaml" in grpo[grpo.index("--config") + 1]
    fig5 = [c for c in builds if "--distractors" in c]
    assert sorted(c[c.index("--distractors") + 1] for c in fig5) == ["2", "3", "4", "5"]


def test_table_filter_and_unknown_run(capsys):
    lines = _dry_run(capsys, "--table", "3")
    assert sum(line.startswith("# Table 3 |") for line in lines) == 9
    assert sum(line.startswith("# run t3-") for line in lines) == 7 and "# run llava-base" in "\n".join(lines)
    assert sum(line.startswith("# Table 2 |") for line in _dry_run(capsys, "--table", "2")) == 17
    assert s2h(["reproduce", "--run", "nope", "--dry-run"]) == 2
    assert "unknown run nope" in capsys.readouterr().err


@pytest.fixture
def evaluated(tmp_path):
    def results(folder, **scores):
        (folder / "eval").mkdir(parents=True)
        from s2h_dataset.eval.spec import get_task

        data = {
            task: {"accuracy": 0.0, get_task(task).headline[0][1]: value} for task, value in scores.items()
        }
        (folder / "eval" / "results.json").write_text(json.dumps(data))

    results(tmp_path / "runs/paper/llava-dpo", blink=0.4321, mantis=0.5, mmstar=0.3, pope=0.8, l3probe=0.3)
    results(tmp_path / "runs/paper/qwen3-dpo", blink=0.6, mantis=0.9, nlvr2=0.5)
    results(tmp_path / "runs/paper/t3-l1-l23/stage-2-level2+level3", blink=0.25, mantis=0.125)  # last stage
    return tmp_path


def _line(table: str, label: str, text: str) -> str:
    title = {"probe": "L3 probe (section 5)"}.get(table, f"Table {table}")
    part = text.split(f"{title}\n\n")[1].split("\n\n")[0]
    return next(line for line in part.splitlines() if line.startswith(f"| {label}"))


def test_results_table_reads_eval_outputs_under_each_tables_columns(evaluated, capsys):
    table = results_table(root=evaluated)
    row = _line("1", "+ S2H-DPO (Ours) 7B", table)
    assert "43.40 / 43.21" in row and "47.93 / 50.00" in row and "55.59 / -" in row and "48.97 / -" in row
    assert "33.62 / 30.00" in _line("2", "+ S2H-DPO (Ours) 7B", table)
    assert "31.05 / 30.00" in _line("probe", "fine-tuned", table)
    row = _line("3", "L1 -> (L2 u L3)", table)
    assert "40.17 / 25.00" in row and "41.00 / 12.50" in row
    # Table 5 as printed: MANTIS first; our MANTIS (90.00) sits under the paper's printed MANTIS (53.92)
    head = table.split("Table 5\n")[1].splitlines()[1]
    assert head.startswith("| row | run | mantis paper / ours | blink paper / ours")
    assert "| 53.92 / 90.00 | 81.71 / 60.00 | 50.61 / 50.00 |" in _line("5", "+ DPO", table)
    assert "Note: columns as printed" in table.split("Table 5\n")[1] and "inconsistent" in table
    mia = _line("3", "+L1 (Liu et al., 2025)", table)
    assert "published" in mia and "not re-run" in mia and "/" not in mia.split("|", 3)[3]
    assert s2h(["reproduce", "--results", "--table", "4", "--root", str(evaluated)]) == 0
    out = capsys.readouterr().out
    assert "Table 4" in out and "+SFT" in out and "Table 3" not in out
