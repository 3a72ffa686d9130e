"""Long work shows progress on stderr (labelled bars with ETA) and ends with one summary line on stdout."""

import re

from s2h_dataset.cli import main


def test_build_shows_labelled_bars_and_one_summary_line(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    out = tmp_path / "out"
    args = ["build", "--out", str(out), "--n-per-level", "24", "--levels", "3", "--shard-rows", "12"]
    assert main([*args, "--test-fraction", "0.2", "--distractors", "2"]) == 0
    captured = capsys.readouterr()
    err = captured.err.replace("\r", "\n")
    # every bar says what it counts and which shard it works on; the shard bar has an ETA
    assert re.search(r"shard 1/3 level3/train: encode images: .*img", err)
    assert re.search(r"shard 2/3 level3/train: filter: +100%.*pair", err)
    assert re.search(r"write shards: 100%\|.*\| 3/3 \[\d\d:\d\d<00:00", err)
    lines = captured.out.strip().splitlines()
    assert len(lines) == 1, captured.out
    assert re.fullmatch(
        r"built 24 rows \(train 19, test 5; levels 3\) in 3 shards \(3 written, 0 reused\) in \d+\.\d s: .*out",
        lines[0],
    )


def test_quiet_build_prints_only_the_summary(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    out = tmp_path / "out"
    args = ["build", "--out", str(out), "--n-per-level", "12", "--levels", "level1", "--no-filter"]
    assert main([*args, "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "it/s" not in captured.err and "img" not in captured.err and "%|" not in captured.err
    assert captured.out.startswith(
        "built 12 rows (train 11, test 1; levels 1) in 2 shards (2 written, 0 reused)"
    )


def test_resume_says_what_it_reuses(tmp_path, capsys, monkeypatch, caplog):
    """A build stopped after its first shard resumes: it names the shards and images it reuses."""
    import s2h_dataset.build as build_module

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
    real_write = build_module.write_shard
    calls = []

    def write_then_stop(*a, **k):
        calls.append(a[0])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_write(*a, **k)

    monkeypatch.setattr(build_module, "write_shard", write_then_stop)
    assert main(args) == 130
    monkeypatch.setattr(build_module, "write_shard", real_write)
    capsys.readouterr()
    with caplog.at_level("INFO", logger="s2h_dataset.build"):
        assert main(args) == 0
    assert re.search(
        r"resuming: 1 of 3 shards already written are reused; \d+ images already encoded", caplog.text
    )
    assert "(2 written, 1 reused)" in capsys.readouterr().out
