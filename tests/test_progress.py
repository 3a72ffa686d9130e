"""Long work shows progress on stderr (labelled bars with ETA) and ends with one summary line on stdout."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from s2h_dataset.cli import main


def test_build_shows_labelled_bars_and_one_summary_line(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    out = tmp_path / "out"
    args = ["build", "--out", str(out), "--n-per-level", "24", "--levels", "3", "--shard-rows", "12"]
    assert main([*args, "--test-fraction", "0.2", "--distractors", "2"]) == 0
    captured = capsys.readouterr()
    err = captured.err.replace("\r", "\n")
    # every bar says what it counts and which shard it works on; the shard bar has an ETA
    assert re.search(r"check the tasks each split can make: .*level", err)  # seconds of image facts at 20K
    assert re.search(r"shard 1/3 level3/train: encode images: .*img", err)
    assert re.search(r"shard 2/3 level3/train: filter: +100%.*pair", err)
    assert re.search(r"write shards: 100%\|.*\| 3/3 \[\d\d:\d\d<00:00", err)
    lines = captured.out.strip().splitlines()
    assert len(lines) == 1, captured.out
    assert re.fullmatch(
        r"built 24 rows \(train 19, test 5; levels 3\) in 3 shards \(3 written, 0 reused\) in \d+\.\d s: .*out",
        lines[0],
    )


def _cli_build(out, *flags: str) -> subprocess.CompletedProcess:
    """The real `s2h build` in its own process, so its logging goes to stderr as a user sees it (in-process,
    pytest's log capture takes the records before `logging.basicConfig` can add a stderr handler)."""
    env = {k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    small = ["--n-per-level", "12", "--levels", "level1", "--no-filter", "--arithmetic-pool", "64"]
    command = [sys.executable, "-m", "s2h_dataset.cli", "build", "--out", str(out), *small, *flags]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


_SUMMARY = (
    r"built 12 rows \(train 11, test 1; levels 1\) in 2 shards \(2 written, 0 reused\) in \d+\.\d s: .*"
)


@pytest.mark.slow
def test_quiet_build_prints_only_the_summary(tmp_path):
    result = _cli_build(tmp_path / "out", "--quiet")
    assert result.stderr == "", result.stderr  # no bar, no INFO line (a warning or error would still show)
    assert re.fullmatch(_SUMMARY + "out\n", result.stdout), result.stdout


@pytest.mark.slow
def test_build_says_nothing_twice(tmp_path):
    """Without --quiet: bars and INFO lines on stderr, the summary once on stdout and no log line repeating
    it; every log line is distinct."""
    result = _cli_build(tmp_path / "out")
    assert re.fullmatch(_SUMMARY + "out\n", result.stdout), result.stdout
    logs = [line for line in result.stderr.replace("\r", "\n").splitlines() if " INFO " in line]
    assert any("source images from" in line for line in logs), result.stderr  # INFO lines do show here
    assert "encode images" in result.stderr and "write shards" in result.stderr
    messages = [line.split(": ", 1)[1] for line in logs]
    assert len(messages) == len(set(messages)), logs
    assert not any(str(tmp_path / "out") in m and "built" in m for m in messages), logs


def test_resume_says_what_it_reuses(tmp_path, capsys, monkeypatch, caplog):
    """A build stopped after its first shard resumes: it names the shards and images it reuses."""
    import s2h_dataset.build_shards as build_shards

    out = tmp_path / "out"
    args = [
        "build",
        "--out",
        str(out),
        "--n-per-level",
        "12",
        "--levels",
        "1",
        "--no-filter",
        "--shard-rows",
        "6",
    ]
    real_write = build_shards.write_shard
    calls = []

    def write_then_stop(*a, **k):
        calls.append(a[0])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_write(*a, **k)

    monkeypatch.setattr(build_shards, "write_shard", write_then_stop)
    assert main(args) == 130
    monkeypatch.setattr(build_shards, "write_shard", real_write)
    capsys.readouterr()
    with caplog.at_level("INFO", logger="s2h_dataset.build_shards"):
        assert main(args) == 0
    assert re.search(
        r"resuming the unfinished build in .*\.out\.partial: 1 shards written and \d+ images encoded earlier "
        r"are reused",
        caplog.text,
    )
    assert caplog.text.count("resuming") == 1, caplog.text  # one line says it, not two
    assert "(2 written, 1 reused)" in capsys.readouterr().out


@pytest.mark.slow
def test_a_fresh_build_says_each_post_write_stage_and_never_resuming(tmp_path):
    """Above 275 rows per level and split (where a size sample is encoded before the shards): a fresh build
    never says "resuming"; after the shards, each stage without a bar (blind audit, hold-back, card,
    validation) logs a line when it starts and one with its duration."""
    env = {k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    command = [sys.executable, "-m", "s2h_dataset.cli", "build", "--out", str(tmp_path / "out")]
    command += ["--levels", "3", "--n-per-level", "600", "--no-filter", "--test-fraction", "0.05"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "resuming" not in result.stderr and "reused" not in result.stderr.replace("0 reused", "")
    lines = result.stderr.replace("\r", "\n").splitlines()
    # the first line comes before the engine's imports; the blind audit has a bar of its own (per task)
    assert lines[0].endswith("INFO s2h_dataset.build: starting: reading the sources emoji, arithmetic"), (
        lines[0]
    )
    assert re.search(r"blind audit: +\d+%\|.*\| \d+/\d+ .*task", result.stderr.replace("\r", "\n"))
    for what in (
        "blind audit (text-only readers per task)",
        "hold back the tasks the blind audit flags",
        "dataset card, audits and plots",
        "validate the built folder",
    ):
        assert any(line.endswith(f"INFO s2h_dataset.build: {what} ...") for line in lines), what
        assert any(
            re.search(rf"INFO s2h_dataset.build: {re.escape(what)}: done in \d+\.\d s$", line)
            for line in lines
        ), what


def test_log_lines_never_run_into_a_bar(monkeypatch):
    """A warning logged while a bar is drawn (a captioner retry, a bad image) starts on a line of its own and
    the bar is drawn again after it; the handler's filters (redaction) still apply."""
    import io
    import logging

    from s2h_dataset.progress import BarSafeHandler, bar
    from s2h_dataset.redact import RedactingFilter

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    stream = io.StringIO()
    handler = BarSafeHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    log = logging.getLogger("s2h_dataset.test_bar_safe")
    log.addHandler(handler)
    log.propagate = False
    try:
        with bar(desc="write shards", unit="shard", total=4, file=stream) as progress:
            progress.update(1)
            log.warning("retry 1 of 3 at http://user:hunter2@host/v1")
            progress.update(1)
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    at = text.index("WARNING retry")
    assert text[at - 1] in "\r\n", repr(text[at - 40 : at])  # not glued to the bar's last draw
    assert text[at:].split("\n")[0] == "WARNING retry 1 of 3 at http://***@host/v1"
    assert "write shards:  25%" in text[at:]  # the bar comes back below the line


def test_a_bar_waiting_for_its_first_update_is_redrawn(monkeypatch):
    """A bar whose first batch takes long (the filter's encoder, a caption server) is redrawn by the heartbeat,
    so its elapsed clock moves instead of sitting at 0/N with no redraw."""
    import io
    import time

    from s2h_dataset import progress

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    monkeypatch.setattr(progress, "HEARTBEAT_S", 0.2)

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream, log = Terminal(), io.StringIO()
    with progress.bar(desc="filter", unit="pair", total=10, file=log) as logged:
        drawn = log.getvalue()
        time.sleep(0.6)
        assert log.getvalue() == drawn  # a log file gets no heartbeat redraws
        logged.update(10)
    with progress.bar(desc="filter", unit="pair", total=10, file=stream) as waiting:
        time.sleep(1.5)
        drawn_while_waiting = stream.getvalue().count("\r")
        waiting.update(10)
    assert drawn_while_waiting >= 3, stream.getvalue()  # one initial draw without the heartbeat
    closed = stream.getvalue()
    time.sleep(0.6)
    assert stream.getvalue() == closed  # a closed bar is never drawn again
