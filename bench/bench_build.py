"""Benchmark `s2h build`: wall time, pairs/s and peak RSS at two sizes, bytes on disk, largest row group.

Each build runs in a fresh process so its peak RSS is its own. Reports, as Markdown:
- wall time, pairs/s and peak RSS per size, and the RSS ratio large/small (memory must not grow with rows);
- on-disk bytes per pair and the ratio to the unique-content limit (unique image bytes + text bytes);
- the largest row group as read back into Arrow (the Hub viewer refuses above 286 MiB) and per metadata;
- a check that `load_dataset` still returns PIL images from the dictionary-encoded shards.

Usage:
    python bench/bench_build.py                      # 2K vs 20K rows per level (paper size), default sources
    python bench/bench_build.py --sizes 200 2000     # quicker
    python bench/bench_build.py --sizes 20000        # one size only
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from s2h_dataset.rowgroups import row_group_sizes

CHILD = """
import json, resource, sys, time
from s2h_dataset.build import BuildConfig, build
start = time.perf_counter()
out = build(BuildConfig(**json.loads(sys.argv[1])))
report = json.loads((out / "build_report.json").read_text())
print(json.dumps({"wall_s": time.perf_counter() - start,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "timings_s": report["timings_s"], "filter": report["filter"]}))
"""
MIB = 1 << 20
_TEXT_COLUMNS = ("id", "task", "prompt", "chosen", "rejected", "meta")


def run_build(arguments: dict) -> dict:
    """Build in a child process; its wall time, own peak RSS, stage timings and filter statistics."""
    env = {
        "HF_HUB_OFFLINE": "1",
        "TQDM_DISABLE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        "PATH": "/usr/bin:/bin",
    }
    env |= {k: os.environ[k] for k in ("HOME", "PYTHONPATH", "XDG_CACHE_HOME") if k in os.environ}
    result = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(arguments)], capture_output=True, text=True, env=env
    )
    if result.returncode != 0:
        sys.exit(f"build {arguments} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def disk_stats(out: Path) -> dict:
    """On-disk parquet bytes vs unique image bytes + text bytes over every shard, and the largest row group.
    Images are read dictionary-encoded (each row group's unique images once), so this stays fast."""
    disk = images = text = rows = 0
    seen: set[bytes] = set()
    largest = None
    for shard in sorted(out.glob("data/*/*.parquet")):
        disk += shard.stat().st_size
        file = pq.ParquetFile(shard, read_dictionary=["images.list.element.bytes"])
        for group in range(file.metadata.num_row_groups):
            table = file.read_row_group(group)
            rows += table.num_rows
            for chunk in table["images"].chunks:
                for value in chunk.values.field("bytes").dictionary.to_pylist():
                    digest = hashlib.sha1(value).digest()
                    if digest not in seen:
                        seen.add(digest)
                        images += len(value)
            for row in table.select(list(_TEXT_COLUMNS)).to_pylist():
                text += sum(len(json.dumps(row[c], ensure_ascii=False).encode()) for c in _TEXT_COLUMNS)
        for size in row_group_sizes(shard, str(shard.relative_to(out))):
            if largest is None or size.read_bytes > largest.read_bytes:
                largest = size
    return {
        "rows": rows,
        "disk_bytes": disk,
        "unique_image_bytes": images,
        "text_bytes": text,
        "bytes_per_pair": disk / rows,
        "ratio_to_unique": disk / (images + text),
        "shards": len(list(out.glob("data/*/*.parquet"))),
        "largest_row_group": {
            "shard": largest.shard,
            "rows": largest.rows,
            "read_mib": largest.read_bytes / MIB,
            "metadata_mib": largest.metadata_bytes / MIB,
        },
    }


def loads_pil(out: Path, config: str) -> str:
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import datasets; r = datasets.load_dataset({str(out)!r}, {config!r}, split='test')[0]; "
            "print(type(r['images'][0]).__module__)",
        ],
        capture_output=True,
        text=True,
        env={
            "HF_HUB_OFFLINE": "1",
            "PATH": "/usr/bin:/bin",
            **{k: os.environ[k] for k in ("HOME",) if k in os.environ},
        },
    )
    return check.stdout.strip() or check.stderr[-300:]


def print_table(results: dict, sizes: list[int]) -> None:
    print(
        "| rows/level | rows | shards | wall s | pairs/s | peak RSS MB | disk MB | bytes/pair | unique images MB | "
        "text MB | disk / unique | largest row group read MiB (metadata MiB, rows) | filter s | filter backend |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n, r in results.items():
        group, stages = r["largest_row_group"], r["timings_s"]
        print(
            f"| {n} | {r['rows']} | {r['shards']} | {r['wall_s']:.1f} | {r['pairs_per_s']:.0f} | {r['peak_rss_mb']:.0f} | "
            f"{r['disk_bytes'] / MIB:.1f} | {r['bytes_per_pair']:.0f} | {r['unique_image_bytes'] / MIB:.1f} | "
            f"{r['text_bytes'] / MIB:.1f} | {r['ratio_to_unique']:.2f} | {group['read_mib']:.1f} "
            f"({group['metadata_mib']:.1f}, {group['rows']}) | {stages.get('captions_and_filter', 0):.1f} | "
            f"{(r['filter'] or {}).get('backend', 'off')} |"
        )
    if len(sizes) == 2:
        small, large = (results[n] for n in sizes)
        print(f"\npeak RSS ratio {sizes[1]} / {sizes[0]}: {large['peak_rss_mb'] / small['peak_rss_mb']:.2f}")


def bench(base: dict, sizes: list[int], tmp: Path, config: str = "level3") -> dict:
    results = {}
    for n in sizes:
        out = tmp / f"s2h-{n}"
        stats = run_build({**base, "out": str(out), "n_per_level": n})
        stats |= disk_stats(out)
        stats["pairs_per_s"] = stats["rows"] / stats["wall_s"]
        results[n] = stats
    print_table(results, sizes)
    print(f"load_dataset image type module: {loads_pil(out, config)}")
    print(json.dumps({"machine": {"cores": os.cpu_count()}, "time": time.strftime("%Y-%m-%d %H:%M")}))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 20000], help="rows per level")
    parser.add_argument(
        "--keep", help="build into this folder and keep the outputs (default: a temporary one)"
    )
    args = parser.parse_args()
    if args.keep:
        bench({"seed": 0}, args.sizes, Path(args.keep))
        return
    with tempfile.TemporaryDirectory() as tmp:
        bench({"seed": 0}, args.sizes, Path(tmp))


if __name__ == "__main__":
    main()
