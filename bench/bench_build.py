"""Benchmark `s2h build`: wall time, pairs/s and peak RSS at two sizes, bytes on disk per pair.

Each build runs in a fresh process so its peak RSS is its own. Reports, as Markdown:
- wall time, pairs/s and peak RSS per size, and the RSS ratio large/small (memory must not grow with rows);
- on-disk bytes per pair and the ratio to the unique-content limit (unique image bytes + text bytes);
- a check that `load_dataset` still returns PIL images from the dictionary-encoded shards.

Usage:
    python bench/bench_build.py                      # 2K vs 20K rows per level (paper size), default sources
    python bench/bench_build.py --sizes 200 2000     # quicker
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

CHILD = """
import json, resource, sys, time
from s2h_dataset.build import BuildConfig, build
start = time.perf_counter()
out = build(BuildConfig(out=sys.argv[1], n_per_level=int(sys.argv[2]), seed=0))
print(json.dumps({"wall_s": time.perf_counter() - start,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_build(out: Path, n: int) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(out), str(n)],
        capture_output=True,
        text=True,
        env={"HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1", "PATH": "/usr/bin:/bin"},
    )
    if result.returncode != 0:
        sys.exit(f"build of {n} rows per level failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def disk_stats(out: Path) -> dict:
    """On-disk parquet bytes vs unique image bytes + text bytes, over every shard."""
    disk = images = text = rows = 0
    seen: set[bytes] = set()
    for shard in sorted(out.glob("data/*/*.parquet")):
        disk += shard.stat().st_size
        for batch in pq.ParquetFile(shard).iter_batches(batch_size=512):
            for row in batch.to_pylist():
                rows += 1
                for image in row["images"]:
                    digest = hashlib.sha1(image["bytes"]).digest()
                    if digest not in seen:
                        seen.add(digest)
                        images += len(image["bytes"])
                text += sum(
                    len(json.dumps(row[c], ensure_ascii=False).encode())
                    for c in ("id", "task", "prompt", "chosen", "rejected", "meta")
                )
    return {
        "rows": rows,
        "disk_bytes": disk,
        "unique_image_bytes": images,
        "text_bytes": text,
        "bytes_per_pair": disk / rows,
        "ratio_to_unique": disk / (images + text),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs=2, default=[2000, 20000], help="small and large rows per level"
    )
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            out = Path(tmp) / f"s2h-{n}"
            stats = run_build(out, n)
            stats |= disk_stats(out)
            stats["pairs_per_s"] = stats["rows"] / stats["wall_s"]
            results[n] = stats
        check = subprocess.run(
            [
                sys.executable,
                "-c",
                f"import datasets; r = datasets.load_dataset({str(out)!r}, 'level3', split='test')[0]; "
                "print(type(r['images'][0]).__module__)",
            ],
            capture_output=True,
            text=True,
            env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
        )
    small, large = (results[n] for n in args.sizes)
    print(
        "| rows/level | rows | wall s | pairs/s | peak RSS MB | disk MB | bytes/pair | unique images MB | text MB | disk / unique |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n, r in results.items():
        print(
            f"| {n} | {r['rows']} | {r['wall_s']:.1f} | {r['pairs_per_s']:.0f} | {r['peak_rss_mb']:.0f} | "
            f"{r['disk_bytes'] / 2**20:.1f} | {r['bytes_per_pair']:.0f} | {r['unique_image_bytes'] / 2**20:.1f} | "
            f"{r['text_bytes'] / 2**20:.1f} | {r['ratio_to_unique']:.2f} |"
        )
    print(
        f"\npeak RSS ratio {args.sizes[1]} / {args.sizes[0]}: {large['peak_rss_mb'] / small['peak_rss_mb']:.2f}"
    )
    print(f"load_dataset image type module: {check.stdout.strip() or check.stderr[-300:]}")
    print(
        json.dumps(
            {"machine": {"cores": __import__("os").cpu_count()}, "time": time.strftime("%Y-%m-%d %H:%M")}
        )
    )


if __name__ == "__main__":
    main()
