"""A build never deletes or overwrites what is not its own: the lock, `--overwrite` rules, a folder that
appears at `--out` mid-build, orphaned staging, racing builds, and file-system errors as one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from s2h_dataset import build_shards
from s2h_dataset import staging as staging_module
from s2h_dataset.build import BuildConfig, build
from s2h_dataset.errors import UserError
from s2h_dataset.staging import Staging
from s2h_dataset.validate import validate

ROOT = Path(__file__).parents[1]


def _cfg(out: Path, **kwargs) -> BuildConfig:
    args = dict(out=str(out), levels="3", n_per_level=12, test_fraction=0.2, filter=False, arithmetic_pool=64)
    return BuildConfig(**(args | kwargs))


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_folder_appearing_mid_build_survives_and_the_build_waits(tmp_path, monkeypatch):
    out = tmp_path / "out"
    real_write = build_shards.write_shard

    def write_and_user_creates_out(path, *args):
        out.mkdir(exist_ok=True)
        (out / "IMPORTANT.txt").write_text("mine")
        return real_write(path, *args)

    monkeypatch.setattr(build_shards, "write_shard", write_and_user_creates_out)
    with pytest.raises(UserError, match="appeared or changed while building and was left untouched"):
        build(_cfg(out))
    assert (out / "IMPORTANT.txt").read_text() == "mine"
    monkeypatch.setattr(build_shards, "write_shard", real_write)
    with pytest.raises(UserError, match="already exists"):  # still there: still refused
        build(_cfg(out))
    (out / "IMPORTANT.txt").rename(tmp_path / "IMPORTANT.txt")
    out.rmdir()
    build(_cfg(out))  # the waiting build publishes, its shards reused
    report = json.loads((out / "build_report.json").read_text())
    assert report["shards"]["written"] == 0 and report["shards"]["reused"] > 0
    assert validate(out) == [] and _leftovers(tmp_path) == []


def test_overwrite_refuses_what_is_not_an_earlier_build(tmp_path):
    home = tmp_path / "home"
    (home / "docs").mkdir(parents=True)
    (home / "docs" / "thesis.tex").write_text("years of work")
    with pytest.raises(UserError, match=r"not a folder made by `s2h build`.*--overwrite replaces only"):
        build(_cfg(home, overwrite=True))
    assert (home / "docs" / "thesis.tex").read_text() == "years of work"
    (home / "build_report.json").write_text("{}")  # a lookalike without arguments or data/
    with pytest.raises(UserError, match="not a folder made by"):
        build(_cfg(home, overwrite=True))
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep")
    with pytest.raises(UserError, match="is a file; --overwrite replaces only a folder"):
        build(_cfg(a_file, overwrite=True))
    assert a_file.read_text() == "keep" and _leftovers(tmp_path) == []


def test_overwrite_replaces_an_earlier_build(tmp_path):
    out = build(_cfg(tmp_path / "out", seed=1))
    (out / "data" / "level3" / "extra-note.txt").write_text("x")
    build(_cfg(out, seed=2, overwrite=True))
    assert json.loads((out / "build_report.json").read_text())["arguments"]["seed"] == 2
    assert not (out / "data" / "level3" / "extra-note.txt").exists()
    assert validate(out) == [] and _leftovers(tmp_path) == []


def test_a_second_build_of_the_same_out_stops_with_one_line(tmp_path):
    out = tmp_path / "out"
    holder = Staging(out.resolve()).lock()  # as a running build holds it
    try:
        with pytest.raises(UserError, match=rf"another build \(pid {os.getpid()}\) is writing --out"):
            build(_cfg(out))
    finally:
        holder.remove()
    assert not out.exists()


def test_staging_without_arguments_does_not_block(tmp_path):
    (tmp_path / ".out.partial" / "repo" / "data").mkdir(parents=True)  # killed before args.json was written
    build(_cfg(tmp_path / "out"))
    assert _leftovers(tmp_path) == []


def test_orphaned_staging_of_a_finished_build_is_cleaned(tmp_path, monkeypatch):
    real_remove = Staging.remove
    calls = []

    def killed_after_rename(self):
        if not calls:
            calls.append(1)
            raise KeyboardInterrupt  # as a kill -9 right after the final rename
        real_remove(self)

    monkeypatch.setattr(staging_module.Staging, "remove", killed_after_rename)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        build(_cfg(out))
    assert validate(out) == [] and (tmp_path / ".out.partial" / "work" / "published").exists()
    with pytest.raises(UserError, match="already exists"):
        build(_cfg(out))
    assert _leftovers(tmp_path) == []  # the next run cleaned the orphan


@pytest.mark.slow
def test_two_identical_builds_racing_both_end_cleanly(tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "s2h_dataset.cli", "build", "--out", str(out), "--levels", "3"]
    command += ["--n_per_level", "12", "--no_filter", "--arithmetic_pool", "64"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1"}
    procs = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes in ([0, 0], [0, 2]), results  # one builds; the other stops with one line (or finds it done)
    for code, _, err in results:
        assert "Traceback" not in err
        if code == 2:
            last = err.strip().splitlines()[-1]
            assert last.startswith("s2h build: error: ") and (
                "another build" in last or "already exists" in last
            )
    assert validate(out) == [] and _leftovers(tmp_path) == []


def test_filter_model_that_does_not_exist_is_one_line_and_leaves_nothing(tmp_path):
    with pytest.raises(UserError, match=r"--filter-model /nonexistent-model-.*cannot load it"):
        build(_cfg(tmp_path / "out", filter=True, filter_model=f"/nonexistent-model-{uuid.uuid4().hex}"))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "spec, out, where",
    [
        ("imagefolder:{src}", "{src}/out", "is inside"),
        ("imagefolder:{src}", "{src}", "is"),
        ("kinship:{src}", "{tmp}", "contains"),
        ("llava:{tmp}/llava.json:{src}", "{src}/deep/out", "is inside"),
        ("llava:{src}/llava.json:{tmp}/elsewhere", "{src}", "contains"),
        ("hub:{src}", "{src}/out", "is inside"),
        ("imagefolder:{tmp}/link", "{src}/out", "is inside"),  # the same folder through a symlink
    ],
)
def test_out_overlapping_a_source_is_refused(tmp_path, spec, out, where):
    src = tmp_path / "photos"
    (src / "cat").mkdir(parents=True)
    (tmp_path / "link").symlink_to(src)
    spec, out = (s.format(src=src, tmp=tmp_path) for s in (spec, out))
    with pytest.raises(UserError, match=rf"--out \S+ {where} the input .*choose an --out outside"):
        staging_module.check_target(Path(out), True, ["emoji", spec])


def test_out_apart_from_its_sources_is_accepted(tmp_path):
    src = tmp_path / "photos"
    src.mkdir()
    specs = ["emoji", "arithmetic", f"imagefolder:{src}", "hub:org/name@train", f"kinship:{tmp_path}/faces2"]
    assert staging_module.check_target(tmp_path / "photos-out", False, specs) is None


def test_build_into_its_source_folder_is_one_line_and_writes_nothing(tmp_path, capsys):
    from s2h_dataset.cli import main

    src = tmp_path / "photos"
    (src / "cat").mkdir(parents=True)
    before = sorted(src.rglob("*"))
    assert main(["build", "--out", str(src / "out"), "--source", f"imagefolder:{src}", "--levels", "3"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "is inside the input" in err, err
    assert sorted(src.rglob("*")) == before


def test_the_lock_is_held_across_processes_and_freed_by_kill_9(tmp_path):
    """Another process's lock names its pid; a `kill -9` of that process frees it (no stale lock)."""
    import signal
    import subprocess
    import sys
    import time

    out = (tmp_path / "out").resolve()
    code = (
        "import sys, time; import s2h_dataset.sources; from s2h_dataset.staging import Staging; "
        "from pathlib import Path; "
        "held = Staging(Path(sys.argv[1])).lock(); print('locked', flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(UserError, match=rf"another build \(pid {holder.pid}\) is writing --out"):
            Staging(out).lock()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    deadline = time.monotonic() + 10
    staging = Staging(out).lock()  # the kernel released the dead holder's lock
    assert time.monotonic() < deadline and (staging.root / "lock").read_text() == str(os.getpid())
    staging.remove()
