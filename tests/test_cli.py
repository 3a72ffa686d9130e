"""The console script: help for every command, one-line errors with exit code 2."""

import subprocess
import sys

import pytest

from s2h_dataset.cli import COMMANDS, main


def s2h(*args):
    return subprocess.run(
        [sys.executable, "-m", "s2h_dataset.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_top_level_help_lists_commands():
    result = s2h("--help")
    assert result.returncode == 0
    for name in ("build", "validate", "push"):
        assert name in result.stdout


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert f"s2h {command}" in capsys.readouterr().out


def test_unknown_command_is_one_line_exit_2(capsys):
    assert main(["bulid"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "unknown command `bulid`" in err


def test_bad_argument_value_is_one_line_exit_2(tmp_path):
    result = s2h("build", "--out", str(tmp_path / "x"), "--distractors", "9")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "s2h build: error: `--distractors` must be between 1 and 5 (2 to 6 images per row)"
    ]
    assert not (tmp_path / "x").exists()


HEAVY = ("torch", "datasets", "transformers")


@pytest.mark.parametrize("command", ["", *sorted(COMMANDS)])
def test_help_imports_no_heavy_library(command):
    """`s2h --help` and every `s2h <command> --help` answer without torch, datasets or transformers."""
    code = (
        "import sys\nfrom s2h_dataset.cli import main\n"
        f"try:\n    main({[a for a in (command, '--help') if a]!r})\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("argv", [[], ["--help"], ["bulid"]])
def test_top_level_answers_from_the_table_alone(argv):
    """`s2h`, `s2h --help` and a mistyped command import no command module, so neither numpy nor PIL."""
    heavy = ("numpy", "PIL", *HEAVY)
    code = (
        f"import sys\nfrom s2h_dataset.cli import main\nmain({argv!r})\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}"
        " or m.startswith('s2h_dataset.commands.')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_the_command_table_is_the_commands_package():
    """Every module of `s2h_dataset.commands` is in the static table and every name in it is a module."""
    import pkgutil

    from s2h_dataset import commands
    from s2h_dataset.cli import command_module

    modules = {info.name.replace("_", "-") for info in pkgutil.iter_modules(commands.__path__)}
    assert set(COMMANDS) == modules
    assert list(COMMANDS) == sorted(COMMANDS)  # `s2h --help` lists them in order
    for name in COMMANDS:
        assert hasattr(command_module(name), "run"), name


def _help(command: str, capsys) -> str:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    return capsys.readouterr().out


SNAPSHOTS = {
    "validate": """usage: s2h validate DIR [options]

check every row, shard and config of a built dataset folder

options:
  -h, --help          show this help message and exit
  --config FILE.yaml  Read the options from a YAML file.
  --folder DIR        A folder made by `s2h build`. May be given bare, as in the usage line.
""",
    "merge": """usage: s2h merge OUT DIR ... [options]

join the folders of a sharded build (`s2h build --shard I/N`) into one dataset folder

options:
  -h, --help                   show this help message and exit
  --config FILE.yaml           Read the options from a YAML file.
  --out OUT                    Output folder; must not exist yet. May be given bare, as in the usage
                               line.
  --folders DIR [DIR ...]      The shard folders, in any order. May be given bare, as in the usage
                               line.
  --overwrite, --no-overwrite  Replace an existing output folder. (default: off)
""",
}


@pytest.mark.parametrize("command", sorted(SNAPSHOTS))
def test_help_snapshot(command, capsys):
    assert _help(command, capsys) == SNAPSHOTS[command]


def test_help_texts_are_clean(capsys):
    """Positional forms in the usage line, no `(default: None)`/`(default: [])`, one entry per switch."""
    assert _help("push", capsys).startswith("usage: s2h push DIR [options]")
    for command in sorted(COMMANDS):
        text = _help(command, capsys)
        assert "(default: None)" not in text and "(default: [])" not in text, command
        for line in text.splitlines():
            assert ". (default" not in line or "default:" not in line.split(". (default")[0], line
    build_help = _help("build", capsys)
    assert "--filter, --no-filter" in build_help and "--no_filter" not in build_help
    assert "emoji arithmetic).\n" in build_help.replace("\n" + " " * 34, " ")  # no second default after it
    assert "--out DIR" in build_help and "(required)" in build_help


def test_old_and_underscore_spellings_still_parse():
    from s2h_dataset.cli import parse

    _, (cfg,) = parse(
        "build", ["--out", "x", "--n_per_level", "5", "--no_filter", "--levels", "level1,level3"]
    )
    assert (cfg.n_per_level, cfg.filter, cfg.level_list) == (5, False, [1, 3])
    _, (cfg,) = parse("build", ["--out", "x", "--levels", "all", "--filter", "false"])
    assert cfg.level_list == [1, 2, 3] and cfg.filter is False


def test_missing_option_and_missing_folder_are_one_line(tmp_path, capsys):
    assert main(["build"]) == 2
    assert capsys.readouterr().err.strip() == "s2h build: error: missing --out (see `s2h build --help`)"
    for argv in (
        ["validate", str(tmp_path / "nope")],
        ["push", str(tmp_path / "nope"), "--repo", "a/b"],
        ["audit", str(tmp_path / "nope")],
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.endswith("nope: folder does not exist; pass the folder `s2h build --out` wrote"), err
        assert len(err.splitlines()) == 1
    # a model written as a path that is not there: the same line in every command that loads one
    missing = str(tmp_path / "no-model")
    fix = "folder does not exist; pass a checkpoint folder or a Hub id like org/name"
    for argv, flag in (
        (["space", "--model-name-or-path", missing], "--model-name-or-path"),
        (["eval", "--model-name-or-path", missing, "--out", str(tmp_path / "e")], "--model-name-or-path"),
        (
            [
                "eval",
                "--model-name-or-path",
                "org/name",
                "--eval-tasks",
                "s2h_test",
                "--reference-model",
                missing,
            ]
            + ["--out", str(tmp_path / "e")],
            "--reference-model",
        ),
        (
            ["train-check", "--model-name-or-path", missing, "--dataset-name", str(tmp_path)],
            "--model-name-or-path",
        ),
    ):
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert err == [f"s2h {argv[0]}: error: {flag} {missing}: {fix}"]


def test_space_takes_the_training_names_and_the_old_ones(tmp_path, capsys):
    from s2h_dataset.cli import parse

    checkpoint, data = tmp_path / "ckpt", tmp_path / "data"
    checkpoint.mkdir(), data.mkdir()
    _, (args,) = parse("space", ["--model", str(checkpoint), "--dataset", str(data)])
    assert (args.model_name_or_path, args.dataset_name) == (str(checkpoint), str(data))
    err = capsys.readouterr().err
    assert "`--model` is now `--model-name-or-path`" in err and "`--dataset` is now `--dataset-name`" in err
    help_text = _help("space", capsys)
    assert "--model-name-or-path ID_OR_PATH" in help_text and "--dataset-name ID_OR_PATH" in help_text
    assert "--model " not in help_text and "--dataset " not in help_text


def test_offline_hub_source_fails_fast_with_one_line(tmp_path):
    """No network and HF_HUB_OFFLINE unset: one warning that the Hub is unreachable, one error with a fix."""
    import os
    import time

    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    env["HF_ENDPOINT"] = "http://127.0.0.1:9"  # nothing listens on the discard port: unreachable at once
    start = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "s2h_dataset.cli",
            "build",
            "--out",
            str(tmp_path / "o"),
            "--source",
            "hub:org/x",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    seconds = time.perf_counter() - start
    assert result.returncode == 2 and seconds < 10, (seconds, result.stderr)
    # besides the build's INFO lines (its first says it is starting), one warning and one error
    lines = [line for line in result.stderr.strip().splitlines() if " INFO " not in line]
    assert len(lines) == 2, lines
    assert "cannot be reached" in lines[0] and "working offline" in lines[0]
    assert lines[1].startswith("s2h build: error: hub:org/x: could not load with datasets")
    assert "unset HF_HUB_OFFLINE" in lines[1] and "Retry" not in result.stderr


def test_flag_metadata_names_one_option_and_keeps_the_old_one(capsys, tmp_path):
    """A field may take its CLI name from metadata (`flag`), its old name kept as an alias, also in YAML."""
    from dataclasses import dataclass, field

    from s2h_dataset.dataclass_args import DataclassParser

    @dataclass
    class Args:
        limit: int | None = field(default=None, metadata={"flag": "--eval-limit", "aliases": "--limit"})

    parser = DataclassParser((Args,), prog="s2h toy")
    assert parser.parse(["--eval-limit", "3"])[0].limit == 3
    assert parser.parse(["--limit", "4"])[0].limit == 4
    assert "`--limit` is now `--eval-limit`" in capsys.readouterr().err
    config = tmp_path / "c.yaml"
    config.write_text("eval_limit: 5\n")
    assert parser.parse(["--config", str(config)])[0].limit == 5
    assert "--eval-limit N" in parser.format_help() and "--limit" not in parser.format_help()


def test_a_mistyped_command_or_option_names_the_closest_one(capsys):
    assert main(["buidl"]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "s2h: unknown command `buidl`; did you mean `build`? (see `s2h --help`)"
    )
    assert main(["build", "--out", "x", "--n-per-levl", "3"]) == 2
    assert capsys.readouterr().err.strip() == (
        "s2h build: error: unknown option `--n-per-levl`; did you mean `--n-per-level`? (see `s2h build --help`)"
    )
    assert main(["xyzzy"]) == 2  # nothing close: the list of commands instead
    assert "choose one of: audit, build" in capsys.readouterr().err


def test_build_help_is_in_sections(capsys):
    """`build --help` grouped as TRL's and `hf`'s help is, each section once, every flag in one of them."""
    text = _help("build", capsys)
    titles = [line for line in text.splitlines() if line.endswith(":") and not line.startswith(" ")]
    assert titles == [
        "options:",
        "what to build:",
        "sources:",
        "captioner:",
        "filter:",
        "output:",
        "runtime:",
    ]
    assert (
        text.index("--n-per-level")
        < text.index("--source ")
        < text.index("--captioner ")
        < text.index("--filter-quantile")
        < text.index("--image-size")
        < text.index("--workers")
    )
    assert "95% margin" in text  # a literal % in a help text no longer breaks `--help`


def test_a_source_without_its_argument_says_what_is_missing(tmp_path, capsys):
    assert main(["build", "--out", str(tmp_path / "o"), "--source", "imagefolder", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "s2h build: error: `--source imagefolder` needs what to read: `--source imagefolder:PATH`"
    assert main(["build", "--out", str(tmp_path / "o"), "--source", "emoj", "--quiet"]) == 2
    assert "unknown source `emoj`; did you mean `emoji`?" in capsys.readouterr().err


def test_train_check_refuses_a_wrong_level_before_importing_torch(tmp_path):
    code = (
        "import sys\nfrom s2h_dataset.cli import main\n"
        f"code = main(['train-check', '--model-name-or-path', 'org/m', '--dataset-name', {str(tmp_path)!r}, "
        "'--dataset-config', 'level4'])\n"
        "print(code, sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "2 []", result.stderr
    assert result.stderr.strip() == (
        "s2h train-check: error: `--dataset-config`: unknown level `level4` in `level4`; use `all` or a comma "
        "list of level1, level2, level3"
    )


@pytest.mark.parametrize(
    ("command", "resumes"), [("validate", False), ("audit", False), ("space", False), ("build", True)]
)
def test_ctrl_c_says_resume_only_where_a_rerun_resumes(command, resumes, monkeypatch, capsys):
    import importlib

    from s2h_dataset.cli import parse

    module = importlib.import_module(f"s2h_dataset.commands.{command}")
    argv = {"build": ["--out", "x"], "space": []}.get(command, ["."])
    _, args = parse(command, argv)  # the real arguments; only the work is interrupted

    def interrupted(*_):
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "run", interrupted)
    monkeypatch.setattr("s2h_dataset.cli.parse", lambda *_: (module, args))
    assert main([command, *argv]) == 130
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"s2h {command}: interrupted") and ("resume" in err) == resumes, err


def test_the_error_line_never_runs_onto_a_progress_bar(tmp_path):
    """A bar left open by the failure is closed first: the error starts a line of its own on screen."""
    import os

    code = (
        "import sys\nfrom s2h_dataset import cli\nfrom s2h_dataset.commands import validate\n"
        "from s2h_dataset.errors import UserError\nfrom s2h_dataset.progress import bar\n"
        "def run(args):\n"
        "    progress = bar(total=200, desc='writing', unit='row', ncols=80)\n"  # open while the error is shown
        "    progress.update(1)\n"
        "    raise UserError('disk full')\n"
        f"validate.run = run\nsys.exit(cli.main(['validate', {str(tmp_path)!r}]))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 2 and "writing" in result.stderr, result.stderr
    screen = []  # what a terminal shows: `\r` returns to the start of the line and overwrites
    for line in result.stderr.split("\n"):
        shown = ""
        for part in line.split("\r"):
            shown = part + shown[len(part) :]
        screen.append(shown.rstrip())
    assert "s2h validate: error: disk full" in screen, screen
