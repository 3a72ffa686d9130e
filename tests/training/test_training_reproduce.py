"""`s2h reproduce`: a command for every paper run, each parsing through the parser that will run it, and the
results table read from the runs' eval outputs."""

from __future__ import annotations

import json
import shlex

from s2h_dataset.cli import main as s2h
from s2h_dataset.cli import parse
from s2h_dataset.training.experiments import MODELS, RUNS, results_table
from s2h_dataset.training.script import parse_args


def run_models() -> set[str]:
    return {model for model, _ in MODELS.values()}


def _dry_run(capsys, *flags) -> list[str]:
    assert s2h(["reproduce", "--dry-run", *flags]) == 0
    return capsys.readouterr().out.splitlines()


def test_every_paper_run_has_a_command_that_parses(capsys, tmp_path):
    lines = _dry_run(capsys, "--root", str(tmp_path))
    headers = [line for line in lines if line.startswith("# ")]
    assert [h.split(":")[0][2:] for h in headers] == [r.name for r in RUNS]
    tables = {t for r in RUNS for t in r.tables}
    assert tables == {"1", "3", "4", "5", "fig5"}
    assert {r.curriculum for r in RUNS if r.curriculum} == {"1;2", "1;3", "1;2,3", "1;2;3"}
    assert {r.method for r in RUNS} == {"base", "dpo", "sft", "grpo"}
    commands, by_run = [], {}
    for line in lines:
        if line.startswith("# "):
            current = by_run.setdefault(line.split(":")[0][2:], [])
        else:
            commands.append(shlex.split(line))
            current.append(commands[-1])
    builds = [c for c in commands if c[:2] == ["s2h", "build"]]
    assert len(builds) == len({c[3] for c in builds}) == 5  # each dataset built once
    for run in RUNS:
        argv = by_run[run.name][-1]  # the training or evaluation command
        if run.method == "base":
            _, (config,) = parse(argv[1], argv[2:])  # the CLI's own parser accepts every flag
            assert config.model_name_or_path in run_models() and config.eval_tasks == "blink,mantis,nlvr2"
            continue
        assert argv[1] == f"training/{run.method}.py"
        script_args, training_args, model_args = parse_args(run.method, [*argv[2:], "--use_cpu", "true"])
        assert model_args.model_name_or_path in run_models() and script_args.dataset_name == run.data
        assert script_args.tasks == ["blink", "mantis", "nlvr2"]
        assert training_args.output_dir == f"runs/paper/{run.name}"
        assert script_args.curriculum == run.curriculum
        assert run.curriculum or script_args.dataset_config == run.levels
    for build in builds:
        _, (config,) = parse("build", build[2:])
        assert config.out == build[3]
    grpo = next(c for c in commands if c[1] == "training/grpo.py")
    assert "Qwen/Qwen3-VL-2B-Instruct/grpo/config_lora.yaml" in grpo[grpo.index("--config") + 1]
    fig5 = [c for c in builds if "--distractors" in c]
    assert sorted(c[c.index("--distractors") + 1] for c in fig5) == ["2", "3", "4", "5"]


def test_table_filter_and_unknown_run(capsys):
    lines = _dry_run(capsys, "--table", "3")
    assert sum(line.startswith("# t3-") for line in lines) == 8 and "# llava-base" in "\n".join(lines)
    assert s2h(["reproduce", "--run", "nope", "--dry-run"]) == 2
    assert "unknown run nope" in capsys.readouterr().err


def test_results_table_reads_eval_outputs(tmp_path, capsys):
    def results(folder, blink, mantis):
        (folder / "eval").mkdir(parents=True)
        scores = {
            "blink": {"accuracy_mean_of_subtasks": blink, "accuracy": 0.0},
            "mantis": {"accuracy": mantis},
        }
        (folder / "eval" / "results.json").write_text(json.dumps(scores))

    results(tmp_path / "runs/paper/llava-dpo", 0.4321, 0.5)
    stage = tmp_path / "runs/paper/t3-l1-l23/stage-2-level2+level3"  # a curriculum: the last stage's eval
    results(stage, 0.25, 0.125)
    # as training writes it: stage folders relative to where it ran, not to --root
    record = {"stages": [{"output_dir": "x"}, {"output_dir": "runs/paper/t3-l1-l23/stage-2-level2+level3"}]}
    (tmp_path / "runs/paper/t3-l1-l23/curriculum.json").write_text(json.dumps(record))
    table = results_table(root=tmp_path)
    row = next(line for line in table.splitlines() if line.startswith("| llava-dpo "))
    assert "43.40 / 43.21" in row and "47.93 / 50.00" in row and "55.59 / -" in row
    row = next(line for line in table.splitlines() if line.startswith("| t3-l1-l23 "))
    assert "40.17 / 25.00" in row and "41.00 / 12.50" in row
    assert s2h(["reproduce", "--results", "--table", "4", "--root", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "llava-dpo" in out and "t4-llava-sft" in out and "t3-" not in out
