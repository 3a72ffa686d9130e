"""Benchmark `s2h validate` against the build it checks: is re-hashing every file cheap enough?

Builds one dataset (default: the paper's 20K rows per level, default sources) in a child process, then
times, in fresh processes, (a) the integrity pass alone (`integrity.check_files`: manifest SHA-256 of
every file, shard set), (b) the whole `s2h validate` (integrity + every row, image decode). Reports the
build's own stage timings (from build_report.json, which include the validation the build runs before
publishing) and the ratios hash/build and validate/build. Target: hashing under 10 % of build time.

Usage (heavy: run it alone, e.g. under the shared benchmark lock):
    python bench/bench_validate.py                 # 20K rows per level
    python bench/bench_validate.py --n-per-level 2000 --out /tmp/s2h-2k     # quicker
    python bench/bench_validate.py --out /tmp/s2h-20k --reuse               # time an existing build again
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = """
import sys
from s2h_dataset.build import BuildConfig, build
build(BuildConfig(out=sys.argv[1], n_per_level=int(sys.argv[2]), seed=0, quiet=True))
"""
TIMED = """
import json, sys, time
from pathlib import Path
from s2h_dataset.integrity import check_files
from s2h_dataset.validate import validate
root, what = Path(sys.argv[1]), sys.argv[2]
start = time.perf_counter()
problems = []
if what == "hash":
    check_files(root, problems)
else:
    problems = validate(root)
print(json.dumps({"seconds": time.perf_counter() - start, "problems": len(problems)}))
"""


def _child(code: str, *args: str) -> str:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1", "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"child failed:\n{result.stderr[-3000:]}")
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-per-level", type=int, default=20000)
    parser.add_argument("--out", type=Path, default=None, help="build folder (default: a temporary one)")
    parser.add_argument("--reuse", action="store_true", help="time an existing --out without rebuilding")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="s2h-bench-validate-")) / "s2h"
    if not args.reuse:
        start = time.perf_counter()
        _child(BUILD, str(out), str(args.n_per_level))
        print(f"built {out} in {time.perf_counter() - start:.1f} s (wall, child process)")
    report = json.loads((out / "build_report.json").read_text())
    build_s = sum(report["timings_s"].values())
    data_bytes = sum(e["bytes"] for e in report["manifest"].values())
    hashed = json.loads(_child(TIMED, str(out), "hash"))
    full = json.loads(_child(TIMED, str(out), "validate"))
    rows = sum(report["rows"].values())
    print("| measure | value |\n|---|---|")
    print(f"| rows (all levels) | {rows} |")
    print(f"| files in manifest / bytes | {len(report['manifest'])} / {data_bytes / 2**20:.1f} MiB |")
    print(f"| build, sum of stages | {build_s:.1f} s |")
    print(f"| build's own validate stage | {report['timings_s'].get('validate', float('nan')):.1f} s |")
    print(
        f"| integrity pass (re-hash + shard set) | {hashed['seconds']:.2f} s ({hashed['seconds'] / build_s:.1%} of build) |"
    )
    print(f"| whole `s2h validate` | {full['seconds']:.1f} s ({full['seconds'] / build_s:.1%} of build) |")
    print(f"| problems found | {full['problems']} |")


if __name__ == "__main__":
    main()
