"""Benchmark the pair filter: strings/s and pairs/s of the default encoder, with and without the string cache.

Plans the texts of a build (default: 20K rows per level, default sources, reference captions) without
touching images, then scores every candidate pair twice: once with the per-shard string cache (what a
build does) and once without. Prints a Markdown table.

Usage:
    python bench/bench_filter.py                  # 20K per level
    python bench/bench_filter.py --n-per-level 2000
"""

from __future__ import annotations

import argparse
import time

from s2h_dataset.captioners import ReferenceCaptioner
from s2h_dataset.filtering import PairScorer
from s2h_dataset.layout import SPLITS
from s2h_dataset.levels import LevelContext
from s2h_dataset.plan import _resolve_texts, plan_shards, split_pools, split_sizes
from s2h_dataset.sources import load_sources


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-per-level", type=int, default=20000)
    parser.add_argument("--shard-rows", type=int, default=10000)
    args = parser.parse_args()
    sources = load_sources(["emoji", "arithmetic"], seed=0)
    records = {r.source_id: r for r in sources.all_records()}
    pools = split_pools(sources, 0.05)
    sizes = split_sizes(args.n_per_level, 0.05)
    shards = []
    start = time.perf_counter()
    for level in (1, 2, 3):
        for split in SPLITS:
            ctx = LevelContext(pools[split], 4, split)
            shards += list(
                plan_shards(level, split, ctx, sizes[split], 0, args.shard_rows, 0.75, "reference")
            )
    batches = [[c for rows in s.candidates.values() for c in rows] for s in shards]
    for batch in batches:
        _resolve_texts(batch, ReferenceCaptioner(), records)
    plan_s = time.perf_counter() - start
    pairs = sum(len(b) for b in batches)
    print(f"planned {pairs} candidate pairs in {plan_s:.1f} s\n")
    print(
        "| string cache | pairs | strings asked | strings encoded | seconds | pairs/s | strings encoded/s |"
    )
    print("|---|---|---|---|---|---|---|")
    results = {}
    for cache in (True, False):
        scorer = PairScorer(cache=cache)
        start = time.perf_counter()
        for batch in batches:
            scorer.clear_cache()
            scorer.score(batch)
        seconds = time.perf_counter() - start
        results[cache] = seconds
        print(
            f"| {'on' if cache else 'off'} | {pairs} | {scorer.requested} | {scorer.encoded} | {seconds:.1f} | "
            f"{pairs / seconds:.0f} | {scorer.encoded / scorer.seconds:.0f} |"
        )
    print(f"\nspeed-up from the cache: {results[False] / results[True]:.2f}x")


if __name__ == "__main__":
    main()
