"""Time a new user's first `s2h build`: seconds to the first progress bar on stderr and to the summary line.

    python bench/bench_first_command.py                      # the README's first command
    python bench/bench_first_command.py --n-per-level 200    # the quick first try

Runs `s2h build --out <tmp>/s2h-dpo [--n-per-level N]` in a child process (progress bars on, as a person
sees them), reads its stderr as it comes, and prints one JSON line: first_output_s (the first line on
stderr, a log line saying what is loaded), first_progress_s (the first progress bar), total_s (to the
summary line), peak_rss_mb of the build process, the summary line, the commit, and two silences:
longest_silence_s (the longest time stderr wrote nothing, a bar's redraw included) and longest_stall_s (the
longest time without a new log line or a bar's count or label changing: what a person reads as "stuck"), each
with the line shown at its start. The output folder is
deleted afterwards unless --keep. Run it alone on the machine: timings taken
while other work runs are noisy.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n-per-level", type=int, default=None, help="rows per level (default: the paper's)")
    parser.add_argument("--keep", action="store_true", help="keep the built folder")
    parser.add_argument(
        "--max-seconds", type=float, default=None, help="stop the build then; report the shard bar's last ETA"
    )
    args = parser.parse_args()
    out = Path(tempfile.mkdtemp(prefix="s2h-first-")) / "s2h-dpo"
    command = [sys.executable, "-m", "s2h_dataset.cli", "build", "--out", str(out)]
    if args.n_per_level:
        command += ["--n-per-level", str(args.n_per_level)]
    env = {k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"}
    env.setdefault("HF_HUB_OFFLINE", "1")
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO)
    first: list[float] = []
    first_output: list[float] = []
    last_shard_bar: list[str] = [""]
    # (seconds, line shown then) of every write and of every change a reader can see
    writes: list[tuple[float, str]] = []
    changes: list[tuple[float, str]] = []

    def watch_stderr():
        buffer = b""
        for chunk in iter(lambda: child.stderr.read1(4096), b""):
            now = time.perf_counter() - start
            buffer = (buffer + chunk)[-4096:]
            shown = [s for s in chunk.decode(errors="replace").replace("\r", "\n").split("\n") if s.strip()]
            for segment in shown:
                writes.append((now, segment.strip()[:120]))
                # a redraw that only moves the clock, rate or ETA is not progress: drop [...] before comparing
                key = re.sub(r"\[[^\]]*\]|\x1b\[[0-9;]*[A-Za-z]", "", segment).strip()
                if not changes or key != changes[-1][1]:
                    changes.append((now, key))
            if not first_output:
                first_output.append(time.perf_counter() - start)
            if not first and b"%|" in buffer:
                first.append(time.perf_counter() - start)
            for line in buffer.replace(b"\r", b"\n").split(b"\n"):
                if line.startswith(b"write shards:") and b"]" in line:
                    last_shard_bar[0] = line.decode(errors="replace").strip()

    watcher = threading.Thread(target=watch_stderr, daemon=True)
    watcher.start()
    printed: list[bytes] = []
    reader = threading.Thread(target=lambda: printed.append(child.stdout.read()), daemon=True)
    reader.start()
    try:
        code = child.wait(timeout=args.max_seconds)
    except subprocess.TimeoutExpired:
        child.kill()
        code = child.wait()
    reader.join(5)
    stdout = printed[0].decode() if printed else ""
    watcher.join(5)
    total = time.perf_counter() - start

    def longest(events: list[tuple[float, str]]) -> dict:
        times = [(0.0, "(start)"), *events, (total, "(end)")]
        gap, at = max((b[0] - a[0], a) for a, b in itertools.pairwise(times))
        return {"seconds": round(gap, 1), "from_s": round(at[0], 1), "after": at[1][:120]}

    print(
        json.dumps(
            {
                "command": " ".join(["s2h", *command[3:]]),
                "exit_code": code,
                "first_output_s": round(first_output[0], 1) if first_output else None,
                "first_progress_s": round(first[0], 1) if first else None,
                "total_s": round(total, 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
                "summary": stdout.strip().splitlines()[-1] if stdout.strip() else None,
                "last_shard_bar": last_shard_bar[0],
                "longest_silence_s": longest(writes),
                "longest_stall_s": longest(changes),
                "commit": commit.stdout.strip(),
                "cpus": os.cpu_count(),
            }
        )
    )
    if not args.keep:
        shutil.rmtree(out.parent, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
