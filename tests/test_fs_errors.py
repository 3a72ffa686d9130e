"""File-system errors a user can cause end in one line, with no temporary or 0-byte files left behind."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest

from s2h_dataset.cli import main

ROOT_ONLY = "needs root to mount a small tmpfs (disk full / read-only); run the suite as root to include it"


def _build(out: Path, *extra: str) -> list[str]:
    args = ["build", "--out", str(out), "--levels", "3", "--n_per_level", "12", "--no_filter"]
    return args + ["--arithmetic_pool", "64", "--test_fraction", "0.2", *extra]


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    return err.splitlines()[-1]


def _stray_files(root: Path) -> list[str]:
    """Temporaries and 0-byte files anywhere under root (the lock file aside, it is removed with staging)."""
    return [str(p) for p in root.rglob("*") if p.is_file() and (".tmp" in p.name or p.stat().st_size == 0)]


@contextlib.contextmanager
def _tmpfs(path: Path, options: str):
    path.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({result.stderr.decode().strip()})")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_out_under_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "file.txt").write_text("x")
    assert main(_build(tmp_path / "file.txt" / "out")) == 2
    line = _one_error_line(capsys)
    assert (
        line
        == f"s2h build: error: --out {tmp_path}/file.txt/out: {tmp_path}/file.txt is a file, not a folder; choose another --out"
    )


def test_out_that_is_a_file_with_overwrite_is_one_line(tmp_path, capsys):
    (tmp_path / "file.txt").write_text("keep me")
    assert main(_build(tmp_path / "file.txt", "--overwrite")) == 2
    assert "is a file; --overwrite replaces only a folder made by `s2h build`" in _one_error_line(capsys)
    assert (tmp_path / "file.txt").read_text() == "keep me"


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason=ROOT_ONLY)
def test_disk_full_is_one_line_and_leaves_no_temp_files(tmp_path, capsys):
    with _tmpfs(tmp_path / "small", "size=192k") as disk:
        assert main(_build(disk / "out")) == 2
        line = _one_error_line(capsys)
        assert line.startswith("s2h build: error: No space left on device") and "free some space" in line
        assert not (disk / "out").exists() and _stray_files(disk) == []


def test_read_only_parent_is_one_line(tmp_path, capsys):
    if os.geteuid() == 0:  # root writes through file modes: use a read-only mount
        context = _tmpfs(tmp_path / "ro", "ro,size=64k")
    else:
        (tmp_path / "ro").mkdir()
        (tmp_path / "ro").chmod(0o555)
        context = contextlib.nullcontext(tmp_path / "ro")
    with context as parent:
        assert main(_build(parent / "out")) == 2
        line = _one_error_line(capsys)
        assert "choose an --out in a folder you can write" in line and str(parent) in line
        assert list(parent.iterdir()) == []
