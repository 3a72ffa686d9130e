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
