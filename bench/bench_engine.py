"""Overhead of `s2h build --executor local|ray` against the one-machine build, and what each rank did.

    python bench/bench_engine.py --runs 3                                    # default sources, 1,000/level
    python bench/bench_engine.py --runs 3 --n-per-level 20000                # the paper-size build
    python bench/bench_engine.py --runs 3 --photos 10000 --levels 1,3 --n-per-level 2000
    python bench/bench_engine.py --runs 1 --captions --n-per-level 200 --modes one,local2

Each run builds the same arguments once per mode, in turn (one, local1, local2, ray: a mode list), every
build in a fresh process (`python -m s2h_dataset.cli build`), and takes its wall seconds and the CPU seconds of
its process tree (this script is a child subreaper: every descendant, datatrove's forkserver workers and
Ray's daemons included, is reaped here and its CPU time counted; the process tree is also sampled every
0.2 s, and the larger of the two figures is the build's CPU seconds). Every mode's parquet bytes must equal the one-machine build's.
`--photos N` generates a photo-like folder of N images (`bench_photo.make_folder`, 2 per label) as the source.
`--captions` starts a stand-in OpenAI-compatible server that counts each request (its reply is a function of the
request) and uses it as the captioner: the report says how many requests were asked and how many distinct ones.
Prints one JSON line per build and a summary: the median per mode and the median of the per-run ratios
mode / one (wall and CPU), the images encoded per rank. Run it alone on the machine where possible; the
summary states the load average at the start and the end.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODES = {
    "one": [],
    "local1": ["--executor", "local", "--tasks-parallel", "1"],
    "local2": ["--executor", "local", "--tasks-parallel", "2"],
    "ray": ["--executor", "ray"],
}


def _parquet_digest(out: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(out.glob("data/**/*.parquet")):
        digest.update(path.relative_to(out).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _become_subreaper() -> None:
    """Orphaned descendants of a build (datatrove's forkserver, Ray's daemons) are re-parented to this process
    instead of init, so their CPU time reaches RUSAGE_CHILDREN when they are reaped here (Linux only)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _reap_orphans(grace_s: float = 60.0) -> bool:
    """Wait for every re-parented descendant to exit (at most `grace_s`); False if some still ran then."""
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return True
        if pid == 0:
            time.sleep(0.2)
    return False


def _sample_tree(stop: threading.Event, seen: dict) -> None:
    """Every 0.2 s, the CPU seconds (user + system, its own) of every process below this one, by (pid, start):
    a process reaped by a parent that is itself never reaped here would be missed by RUSAGE_CHILDREN."""
    import psutil

    me = psutil.Process()
    while not stop.wait(0.2):
        for proc in me.children(recursive=True):
            try:
                times = proc.cpu_times()
                seen[proc.pid, proc.create_time()] = times.user + times.system
            except psutil.Error:
                pass


def _run(command: list[str], env: dict) -> tuple[float, float, float]:
    """Wall seconds and CPU seconds (user + system) of the build and every process it started, two ways:
    reaped (RUSAGE_CHILDREN) and sampled (`_sample_tree`, misses at most 0.2 s of each process)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seen: dict = {}
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_tree, args=(stop, seen), daemon=True)
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sampler.start()
    errors = child.stderr.read()
    child.wait()
    wall = time.perf_counter() - start
    if child.returncode:
        sys.exit(f"build failed ({' '.join(command[3:])}):\n{errors.decode()[-2000:]}")
    if not _reap_orphans():
        print("warning: processes the build started still ran a minute after it ended", file=sys.stderr)
    stop.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    reaped = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, reaped, sum(seen.values())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--modes", default="one,local1,local2,ray", help=f"comma list of {', '.join(MODES)}")
    parser.add_argument("--n-per-level", type=int, default=1000)
    parser.add_argument("--levels", default="1,2,3")
    parser.add_argument("--photos", type=int, default=0, help="a generated photo folder of this many images")
    parser.add_argument("--captions", action="store_true", help="a counting stand-in model captioner")
    parser.add_argument("--work", default="", help="folder for the builds (default: a temporary one)")
    args = parser.parse_args()
    modes = args.modes.split(",")
    work = Path(args.work or tempfile.mkdtemp(prefix="s2h-engine-"))
    work.mkdir(parents=True, exist_ok=True)
    build = ["--n-per-level", str(args.n_per_level), "--levels", args.levels, "--quiet"]
    if args.photos:
        sys.path.insert(0, str(REPO / "bench"))
        from bench_photo import make_folder

        photos = work / f"photos-{args.photos}"
        made = make_folder(photos, labels=args.photos // 2, per_label=2)  # reused once complete
        if made["images"] != args.photos:
            sys.exit(f"{photos} holds {made['images']} images, not {args.photos}: remove it and rerun")
        build += ["--source", f"imagefolder:{photos}"]
    server, stack = None, contextlib.ExitStack()  # the stand-in server, shut down at the end
    if args.captions:
        sys.path.insert(0, str(REPO / "tests"))
        from fake_http import CountingCaptions, running

        server = stack.enter_context(running(CountingCaptions, asked=Counter()))
        build += ["--captioner", f"openai:http://127.0.0.1:{server.server_address[1]}/v1#stand-in"]
    _become_subreaper()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1", "PYTHONPATH": str(REPO)}
    load_before = os.getloadavg()
    figures: dict[str, list[tuple[float, float]]] = {m: [] for m in modes}
    digests: dict[int, str] = {}  # run -> the first mode's parquet digest: every mode must equal it
    for run in range(args.runs):
        for mode in modes:
            out = work / f"{mode}-{run}"
            shutil.rmtree(out, ignore_errors=True)
            extra = ["--caption-cache", str(work / f"cache-{mode}-{run}")] if server else []
            if server:
                server.asked.clear()
            command = [sys.executable, "-m", "s2h_dataset.cli", "build", "--out", str(out), *build, *extra]
            wall, reaped, sampled = _run([*command, *MODES[mode]], env)
            cpu = max(reaped, sampled)
            report = json.loads((out / "build_report.json").read_text())
            line = {"run": run, "mode": mode, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1)}
            line.update(cpu_s_reaped=round(reaped, 1), cpu_s_sampled=round(sampled, 1))
            line["parquet"] = _parquet_digest(out)
            line["images_encoded"] = (report.get("images") or {}).get("encoded_this_run")
            engine = report.get("engine") or {}
            if engine:
                line["images_encoded_per_rank"] = engine.get("images_encoded_per_rank")
                line["captions_asked_per_rank"] = engine.get("captions_asked_per_rank")
                line["images_encoded"] = sum(engine.get("images_encoded_per_rank", {}).values())
            if server:
                line["caption_requests_asked"] = sum(server.asked.values())
                line["caption_requests_unique"] = len(server.asked)
            print(json.dumps(line), flush=True)
            figures[mode].append((wall, cpu))
            digests.setdefault(run, line["parquet"])
            if line["parquet"] != digests[run]:
                sys.exit(f"{mode} wrote other bytes than {modes[0]} in run {run}")
            shutil.rmtree(out / "data", ignore_errors=True)  # keep the report, free the disk
    base = figures[modes[0]]
    summary = {"runs": args.runs, "load_avg_before": load_before, "load_avg_after": os.getloadavg()}
    for mode in modes:
        walls, cpus = [w for w, _ in figures[mode]], [c for _, c in figures[mode]]
        summary[mode] = {
            "wall_s_median": round(statistics.median(walls), 1),
            "cpu_s_median": round(statistics.median(cpus), 1),
            "wall_ratio_median": round(statistics.median(w / b[0] for w, b in zip(walls, base)), 3),
            "cpu_ratio_median": round(statistics.median(c / b[1] for c, b in zip(cpus, base)), 3),
        }
    print(json.dumps({"summary": summary}))
    stack.close()


if __name__ == "__main__":
    main()
