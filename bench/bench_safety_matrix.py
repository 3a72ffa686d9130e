"""The safety matrix of issue #13: faults survived / tried and bad inputs handled / tried.

1. kill -9 matrix: a small build is killed with SIGKILL (the process kills itself, so the point is exact)
   at each point below, then rerun with the same arguments. Survived = the rerun ends cleanly, the folder
   validates, every parquet file is byte-identical to an uninterrupted build, and nothing is left beside
   `--out` (no staging, no temporaries). A kill right after the final rename must leave the finished build
   and have its orphaned staging cleaned by the next run.
2. The fault and bad-input tests (real builds, real file systems, real servers): each test case is one
   entry; survived / handled = it passes. Faults: tests/test_output_safety.py, tests/test_fs_errors.py,
   tests/test_integrity.py, tests/test_content_keys.py (sources changed between runs), tests/test_shards.py
   (merge); bad inputs: tests/test_source_inputs.py, tests/test_bounds.py, tests/test_redact.py,
   tests/test_secrets_everywhere.py, tests/test_sources_registry.py, tests/test_image_depth.py,
   tests/eval/test_eval_resume.py (torn and corrupt eval records).

Usage (heavy: run it alone):
    python bench/bench_safety_matrix.py            # both parts
    python bench/bench_safety_matrix.py --kill-only                       # just the kill -9 matrix
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--levels", "1,2,3", "--n-per-level", "30", "--test-fraction", "0.2", "--no-filter"]
ARGS += ["--shard-rows", "8", "--arithmetic-pool", "64", "--seed", "5", "--quiet"]

# point -> (what is patched, which call kills, kill before or after the call)
KILLER = r"""
import os, signal, sys
from s2h_dataset import atomic, build as b, imagestore, staging as st
from s2h_dataset.cli import main

point = sys.argv[1]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def hook(owner, name, nth, before=False, when=lambda *a, **k: True):
    real, seen = getattr(owner, name), [0]
    def wrapper(*args, **kwargs):
        if when(*args, **kwargs):
            seen[0] += 1
            if before and seen[0] == nth:
                die()
        result = real(*args, **kwargs)
        if not before and seen[0] == nth:
            die()
        return result
    setattr(owner, name, wrapper)

POINTS = {
    "mid_encode": lambda: hook(imagestore.ImageStore, "_encode", 5),
    "after_args_written": lambda: hook(b, "atomic_write", 1, when=lambda p, d: p.name == "args.json"),
    "shard_tmp_written": lambda: hook(atomic.os, "replace", 1, before=True, when=lambda s, d: str(d).endswith(".parquet")),
    "after_first_shard": lambda: hook(b, "write_shard", 1),
    "after_half_shards": lambda: hook(b, "write_shard", 6),
    "after_card": lambda: hook(b, "write_card", 1),
    "after_manifest": lambda: hook(b, "file_manifest", 1),
    "mid_validate": lambda: hook(b, "validate", 1, before=True),
    "published_marker": lambda: hook(st, "atomic_write", 1),
    "after_final_rename": lambda: hook(st.Staging, "remove", 1, before=True),
}
POINTS[point]()
sys.exit(main(["build", *sys.argv[2:]]))
"""
POINTS = (
    "mid_encode",
    "after_args_written",
    "shard_tmp_written",
    "after_first_shard",
    "after_half_shards",
    "after_card",
    "after_manifest",
    "mid_validate",
    "published_marker",
    "after_final_rename",
)
FAULT_TESTS = [
    "tests/test_output_safety.py",
    "tests/test_fs_errors.py",
    "tests/test_integrity.py",
    "tests/test_content_keys.py",
    "tests/test_shards.py",
]
INPUT_TESTS = [
    "tests/test_source_inputs.py",
    "tests/test_bounds.py",
    "tests/test_redact.py",
    "tests/test_secrets_everywhere.py",
    "tests/eval/test_eval_resume.py",
    "tests/test_sources_registry.py",
    "tests/test_image_depth.py",
]


def _env() -> dict:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1", "PYTHONPATH": str(ROOT)}


def _build(out: Path, killer_point: str | None = None) -> subprocess.CompletedProcess:
    code = ["-c", KILLER, killer_point] if killer_point else ["-m", "s2h_dataset.cli", "build"]
    return subprocess.run(
        [sys.executable, *code, "--out", str(out), *ARGS], capture_output=True, text=True, env=_env()
    )


def _parquet(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.glob("data/*/*.parquet"))}


def kill_matrix(work: Path) -> tuple[int, int, list[str]]:
    from s2h_dataset.validate import validate

    reference = work / "reference" / "out"
    result = _build(reference)
    if result.returncode != 0:
        sys.exit(f"reference build failed:\n{result.stderr[-2000:]}")
    expected = _parquet(reference)
    survived, lines = 0, []
    for point in POINTS:
        out = work / point / "out"
        killed = _build(out, point)
        if killed.returncode != -9:
            lines.append(f"| {point} | not reached (exit {killed.returncode}) | - |")
            continue
        rerun = _build(out)
        finished = rerun.returncode == 0 or (
            point == "after_final_rename" and "already exists" in rerun.stderr
        )
        leftovers = sorted(p.name for p in out.parent.iterdir() if p.name != "out")
        ok = (
            finished
            and "Traceback" not in rerun.stderr
            and out.is_dir()
            and validate(out) == []
            and _parquet(out) == expected
            and not leftovers
        )
        survived += ok
        detail = (
            "identical bytes, valid, nothing left"
            if ok
            else f"rerun exit {rerun.returncode}, left {leftovers}"
        )
        lines.append(f"| {point} | {'survived' if ok else 'FAILED'} | {detail} |")
    return survived, len(POINTS), lines


def pytest_counts(files: list[str], junit: Path) -> tuple[int, int, list[str]]:
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", *files],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
    )
    cases = ET.parse(junit).getroot().iter("testcase")
    passed, tried, failed = 0, 0, []
    for case in cases:
        if case.find("skipped") is not None:
            continue
        tried += 1
        if case.find("failure") is None and case.find("error") is None:
            passed += 1
        else:
            failed.append(f"{case.get('classname')}::{case.get('name')}")
    return passed, tried, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kill-only", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="s2h-safety-matrix-"))
    survived, tried, lines = kill_matrix(work)
    print("| kill -9 point | result | after the rerun |\n|---|---|---|")
    print("\n".join(lines))
    print(f"\nkill -9: {survived} / {tried} survived")
    if args.kill_only:
        return
    faults = pytest_counts(FAULT_TESTS, work / "faults.xml")
    inputs = pytest_counts(INPUT_TESTS, work / "inputs.xml")
    print(f"faults (tests): {faults[0]} / {faults[1]} survived {faults[2] or ''}")
    print(f"bad inputs (tests): {inputs[0]} / {inputs[1]} handled {inputs[2] or ''}")
    print(f"all faults incl. kill -9: {survived + faults[0]} / {tried + faults[1]}")


if __name__ == "__main__":
    main()
