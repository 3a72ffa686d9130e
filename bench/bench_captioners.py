"""Captions per second through the `openai:` captioner against a local `transformers serve`, concurrency 1 vs 8.

    PYTHONPATH=.:tests HF_HUB_OFFLINE=1 python bench/bench_captioners.py [--family llava] [--captions 32]
        [--max-new-tokens 16] [--concurrency 1 8] [--repeats 2] [--modes default cb]

For each server mode (`default`: transformers serve's sequential `generate`; `cb`: `--continuous-batching`)
it starts `transformers serve` with a tiny random VLM on 127.0.0.1, sends one warm-up request, then resolves
the same `caption` requests (distinct bundled emoji images) with the cache disabled at each concurrency,
`--repeats` times in alternating order. Prints one JSON line per (mode, concurrency) and a markdown table
with the speed-up of the largest concurrency over the smallest.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from captioner_server import ServedModel

from s2h_dataset.captioners import TextRequest, make_captioner
from s2h_dataset.sources import load_sources
from s2h_dataset.testing.tiny_vlms import build_tiny_vlm

MODES = {"default": (), "cb": ("--continuous-batching",)}


def _run(server: ServedModel, requests, records, concurrency: int, max_new_tokens: int) -> float:
    captioner = make_captioner(
        f"openai:{server.url}#{server.model}",
        concurrency=concurrency,
        max_new_tokens=max_new_tokens,
        cache_dir="",
    )
    start = time.perf_counter()
    texts = captioner.resolve(requests, records)
    elapsed = time.perf_counter() - start
    assert len(texts) == len(requests) and captioner.misses == len(requests)
    captioner.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="llava")
    parser.add_argument("--captions", type=int, default=32)
    parser.add_argument("--max-new-tokens", type=int, default=16)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=list(MODES))
    args = parser.parse_args()

    objects = load_sources(["emoji"], seed=0).objects[: args.captions]
    records = {r.source_id: r for r in objects}
    requests = [TextRequest("caption", (r.source_id,)) for r in objects]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        model = build_tiny_vlm(args.family, Path(tmp) / f"tiny-{args.family}")
        for mode in args.modes:
            server = ServedModel(model, Path(tmp) / f"logs-{mode}", extra_args=MODES[mode]).start()
            try:
                _run(server, requests[:2], records, 1, args.max_new_tokens)  # warm-up
                times = {c: [] for c in args.concurrency}
                for repeat in range(args.repeats):
                    order = args.concurrency if repeat % 2 == 0 else args.concurrency[::-1]
                    for concurrency in order:
                        times[concurrency].append(
                            _run(server, requests, records, concurrency, args.max_new_tokens)
                        )
            finally:
                server.kill()
            for concurrency, runs in times.items():
                row = {
                    "mode": mode,
                    "concurrency": concurrency,
                    "captions": len(requests),
                    "max_new_tokens": args.max_new_tokens,
                    "seconds": [round(t, 2) for t in runs],
                    "captions_per_s": round(len(requests) / statistics.median(runs), 2),
                }
                rows.append(row)
                print(json.dumps(row), flush=True)

    low, high = min(args.concurrency), max(args.concurrency)
    print(f"\n| server mode | captions/s at concurrency {low} | at {high} | ratio |\n|---|---|---|---|")
    for mode in args.modes:
        speed = {r["concurrency"]: r["captions_per_s"] for r in rows if r["mode"] == mode}
        print(f"| {mode} | {speed[low]} | {speed[high]} | {speed[high] / speed[low]:.2f}x |")


if __name__ == "__main__":
    main()
