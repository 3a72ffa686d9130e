"""Benchmark the pair filter per encoder backend: strings/s, and how closely each ranks pairs like torch float.

Plans the shards of a build (default: 20K rows per level, default sources, reference captions) without
touching images and records exactly the candidate batches a build hands the filter (whatever tasks it
filters), then scores them shard by shard, as a build does (string cache cleared per shard), with each
backend: torch (sentence-transformers), ONNX Runtime float, ONNX Runtime int8. Prints a Markdown table:
strings encoded per second, and against torch float the Spearman rank correlation of the pair similarities,
the largest absolute difference, and the share of pairs whose keep/drop decision is the same. Also counts how
many strings a cache shared by all shards would encode instead of one per shard.

Usage:
    python bench/bench_filter.py                          # 20K per level, every backend
    python bench/bench_filter.py --n-per-level 2000 --backends torch onnx-int8
    python bench/bench_filter.py --n-per-level 2000 --source imagefolder:/tmp/photos  # bench_photo.py's folder
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from scipy.stats import spearmanr

from s2h_dataset.captioners import ReferenceCaptioner
from s2h_dataset.filtering import PairScorer, keep_mask
from s2h_dataset.layout import SPLITS
from s2h_dataset.levels import LevelContext
from s2h_dataset.plan import finish_shard, plan_shards, split_pools, split_sizes
from s2h_dataset.sources import load_sources


class Recorder:
    """Stands in for the scorer inside `finish_shard`: keeps each batch it is asked to score."""

    def __init__(self):
        self.batches: list = []

    def score(self, specs) -> None:
        if specs:
            self.batches[-1].append([(s.chosen, s.rejected, s.task, s.stratum, s.id) for s in specs])
        for spec in specs:
            spec.similarity = 0.0

    def clear_cache(self) -> None:
        self.batches.append([])


class _Pair:
    def __init__(self, task, stratum, id_, similarity):
        self.task, self.stratum, self.id, self.similarity = task, stratum, id_, similarity


def recorded_batches(
    n_per_level: int, shard_rows: int, quantile: float, source: list[str]
) -> list[list[list[tuple]]]:
    """Per shard, the non-empty lists of (chosen, rejected, task, stratum, id) a build's filter scores."""
    sources = load_sources(source, seed=0)
    records = {r.source_id: r for r in sources.all_records()}
    pools, sizes = split_pools(sources, 0.05), split_sizes(n_per_level, 0.05)
    recorder, captioner = Recorder(), ReferenceCaptioner()
    for level in (1, 2, 3):
        for split in SPLITS:
            ctx = LevelContext(pools[split], 4, split)
            shards = plan_shards(
                level,
                split,
                ctx,
                sizes[split],
                seed=0,
                shard_rows=shard_rows,
                quantile=quantile,
                captioner_name="reference",
            )
            for shard in shards:
                recorder.clear_cache()
                finish_shard(shard, captioner, records, seed=0, scorer=recorder, quantile=quantile)
    return recorder.batches


def run_backend(backend: str, shards: list[list[list[tuple]]]) -> dict:
    start = time.perf_counter()
    scorer = PairScorer(backend=backend)
    load_s = time.perf_counter() - start
    similarities = []
    for batches in shards:
        scorer.clear_cache()
        for batch in batches:
            chosen = scorer._embed([b[0] for b in batch])
            rejected = scorer._embed([b[1] for b in batch])
            similarities.append(np.einsum("ij,ij->i", chosen, rejected))
    return {
        "backend": scorer.backend,
        "load_s": load_s,
        "strings": scorer.encoded,
        "encoder_s": scorer.seconds,
        "strings_per_s": scorer.encoded / scorer.seconds if scorer.seconds else float("nan"),
        "similarities": similarities,
    }


def _keeps(batches, similarities, quantile):
    keeps = []
    for batch, values in zip(batches, similarities):
        pairs = [_Pair(task, stratum, id_, float(v)) for (_, _, task, stratum, id_), v in zip(batch, values)]
        keeps += keep_mask(pairs, quantile)
    return np.array(keeps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-per-level", type=int, default=20000)
    parser.add_argument("--shard-rows", type=int, default=10000)
    parser.add_argument("--quantile", type=float, default=0.75)
    parser.add_argument("--backends", nargs="+", default=["torch", "onnx", "onnx-int8"])
    parser.add_argument(
        "--source",
        action="append",
        help="build source(s), as `s2h build --source` (default: emoji arithmetic)",
    )
    args = parser.parse_args()
    start = time.perf_counter()
    shards = recorded_batches(
        args.n_per_level, args.shard_rows, args.quantile, args.source or ["emoji", "arithmetic"]
    )
    batches = [b for s in shards for b in s]
    pairs = sum(len(b) for b in batches)
    per_shard = sum(len({t for b in s for p in b for t in p[:2]}) for s in shards)
    whole = len({t for b in batches for p in b for t in p[:2]})
    print(
        f"planned {pairs} filtered candidate pairs in {len(shards)} shards in {time.perf_counter() - start:.1f} s"
    )
    print(f"unique strings: {per_shard} with a per-shard cache, {whole} with one cache for the whole build\n")
    results = {b: run_backend(b, shards) for b in args.backends}
    reference = results.get("torch") or next(iter(results.values()))
    ref_values = np.concatenate(reference["similarities"]) if pairs else np.array([])
    ref_keep = _keeps(batches, reference["similarities"], args.quantile)
    print(
        "| backend | load s | strings encoded | encoder s | strings/s | speed-up vs first | "
        "Spearman vs first | max abs diff | same keep/drop |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        values = np.concatenate(r["similarities"]) if pairs else np.array([])
        rho = spearmanr(ref_values, values).statistic if pairs > 1 else float("nan")
        same = float((_keeps(batches, r["similarities"], args.quantile) == ref_keep).mean()) if pairs else 1.0
        print(
            f"| {name} ({r['backend']}) | {r['load_s']:.1f} | {r['strings']} | {r['encoder_s']:.1f} | "
            f"{r['strings_per_s']:.0f} | {r['strings_per_s'] / reference['strings_per_s']:.2f}x | {rho:.4f} | "
            f"{np.abs(values - ref_values).max() if pairs else 0:.4f} | {same:.4f} |"
        )
    print(json.dumps({"time": time.strftime("%Y-%m-%d %H:%M"), "n_per_level": args.n_per_level}))


if __name__ == "__main__":
    main()
