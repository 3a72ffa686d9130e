"""`s2h build`: sources -> planned shards -> encoded images -> parquet shards + card, atomically.

Everything is written under a staging folder beside `--out` (`.<name>.partial/`): `work/` holds the
arguments and the encoded images; `repo/` becomes `--out` by one rename once the card is written and the
folder validates. A rerun with the same arguments resumes: encoded images and finished shards are reused
(captions come back from the captioner's cache), so the result is the bytes of an uninterrupted build.
With `--shard I/N` only every N-th shard is written; `s2h merge` joins the shard folders.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import time
from pathlib import Path

from .captioners import make_captioner
from .card import write_card
from .configs import OUTPUT_INDEPENDENT, BuildConfig
from .errors import UserError
from .filtering import PairScorer
from .imagestore import ImageStore, atomic_write
from .levels import LevelContext
from .plan import SPLITS, ShardPlan, check_pools, finish_shard, plan_shards, split_pools, split_sizes
from .sources import Sources, load_sources
from .validate import validate
from .writer import write_shard

__all__ = ["BuildConfig", "build", "fingerprint", "publish"]

logger = logging.getLogger(__name__)



def fingerprint(cfg: BuildConfig) -> dict:
    return {k: v for k, v in dataclasses.asdict(cfg).items() if k not in OUTPUT_INDEPENDENT}


class Stopwatch:
    """Seconds per stage, summed when a stage runs more than once."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._start = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(self.seconds.get(stage, 0.0) + now - self._start, 3)
        self._start = now


def _open_staging(cfg: BuildConfig) -> Path:
    staging = cfg.out_path.parent / f".{cfg.out_path.name}.partial"
    args_file = staging / "work" / "args.json"
    if staging.exists():
        if not args_file.exists() or json.loads(args_file.read_text()) != fingerprint(cfg):
            raise UserError(
                f"{staging} holds an unfinished build with other arguments; rerun that command to finish it "
                "or delete the folder"
            )
        logger.info("resuming the unfinished build in %s", staging)
    else:
        (staging / "work").mkdir(parents=True)
        atomic_write(args_file, json.dumps(fingerprint(cfg), indent=1).encode())
    return staging


def _plan(cfg: BuildConfig, sources: Sources, sizes: dict, store: ImageStore, captioner_name: str) -> list[ShardPlan]:
    """Plan every shard; re-plan without images that turn out unreadable until none are left.

    Every machine of a sharded build encodes the images of all shards, so all of them see the same bad
    images and plan the same rows; only texts (captions, scores) and writing are split.
    """
    by_id = {r.source_id: r for r in sources.all_records()}
    quantile = cfg.filter_quantile if cfg.filter else 1.0
    while True:
        pools = split_pools(sources, cfg.test_fraction, frozenset(store.bad))
        check_pools(pools, cfg.level_list, sizes, cfg.n_images)
        shards = [
            shard
            for level in cfg.level_list
            for split in SPLITS
            if sizes[split]
            for shard in plan_shards(level, split, LevelContext(pools[split], cfg.n_images, split), sizes[split],
                                     cfg.seed, cfg.shard_rows, quantile, captioner_name)
        ]
        referenced = sorted(set().union(*(s.source_ids() for s in shards)))
        if not store.ensure([by_id[sid] for sid in referenced]):
            return shards


def publish(staging: Path, out: Path, report: dict, clock: Stopwatch) -> Path:
    """Validate the staged repo, write the report, and move it to `out` in one rename."""
    repo = staging / "repo"
    problems = validate(repo)
    if problems:
        raise RuntimeError("the built folder failed validation (a bug, please report it):\n" + "\n".join(problems[:20]))
    clock.lap("validate")
    report["timings_s"] = clock.seconds
    atomic_write(repo / "build_report.json", json.dumps(report, indent=1, default=str).encode())
    if out.exists():
        shutil.rmtree(out)
    os.replace(repo, out)
    shutil.rmtree(staging)
    return out


def build(cfg: BuildConfig) -> Path:
    """Build the dataset (or this machine's shards of it) described by `cfg`; return the output folder."""
    out = cfg.out_path
    if out.exists() and not cfg.overwrite:
        raise UserError(f"--out {out} already exists; choose a new folder or pass --overwrite")
    clock = Stopwatch()
    sources = load_sources(cfg.source, cfg.seed, cfg.arithmetic_pool, cfg.image_column, cfg.label_column,
                           cfg.caption_column)
    sizes = split_sizes(cfg.n_per_level, cfg.test_fraction)
    check_pools(split_pools(sources, cfg.test_fraction), cfg.level_list, sizes, cfg.n_images)
    captioner = make_captioner(cfg.captioner, **cfg.captioner_options())
    clock.lap("load_sources")

    staging = _open_staging(cfg)
    repo = staging / "repo"
    store = ImageStore(staging / "work" / "images", cfg.image_size, cfg.image_format, cfg.workers)
    try:
        shards = _plan(cfg, sources, sizes, store, captioner.name)
    except UserError:
        if not (staging / "repo").exists():
            shutil.rmtree(staging)  # nothing written yet: leave no unfinished build behind
        raise
    clock.lap("plan_and_encode_images")

    scorer = PairScorer(cfg.filter_model) if cfg.filter else None
    records = {r.source_id: r for r in sources.all_records()}
    index, count = cfg.shard_index
    mine = [s for i, s in enumerate(shards) if i % count == index]
    written = reused = 0
    for shard in mine:
        if (repo / shard.path).exists():
            reused += 1
            continue
        if scorer is not None:
            scorer.clear_cache()
        rows = finish_shard(shard, cfg.seed, captioner, records, scorer, cfg.filter_quantile)
        clock.lap("captions_and_filter")
        write_shard(repo / shard.path, rows, store)
        written += 1
        clock.lap("write_shards")
    rows = write_card(repo, cfg)
    clock.lap("card")
    report = {
        "arguments": dataclasses.asdict(cfg),
        "rows": rows,
        "shard_files": {"expected": [s.path for s in shards], "written_here": [s.path for s in mine]},
        "skipped_images": [{"source_id": sid, "reason": reason} for sid, reason in sorted(store.bad.items())],
        "images": {"encoded_this_run": store.encoded},
        "shards": {"written": written, "reused": reused},
        "captions": {"captioner": captioner.name, "hits": getattr(captioner, "hits", None),
                     "misses": getattr(captioner, "misses", None)},
        "filter": scorer.stats() if scorer else None,
    }
    publish(staging, out, report, clock)
    logger.info("built %s (%d shards written, %d reused)", out, written, reused)
    return out
