"""The shard walk of a one-machine `s2h build` (the engine's stages walk the same plan, `engine/`): plan the
shards without the images known to be bad, encode each shard's images, and resolve, filter and write the
shards that are this machine's; an image found unreadable starts the walk again without it, and the final
plan's task skips are what the report and the card list.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path

from .atomic import atomic_write
from .configs import BuildConfig
from .imagestore import ImageStore
from .layout import SPLITS
from .levels import TASKS, LevelContext
from .plan import check_pools, finish_shard, log_skips, plan_shards, split_pools, split_sizes, warn_small_test
from .progress import bar
from .shardkeys import ShardKeys, content_fingerprint, drop_stale_shards, pool_files, sources_digest
from .sources import Sources, check_supply
from .writer import rows_per_shard, write_shard

__all__ = ["check_sources", "plan_build", "shard_layout", "write_shards"]

logger = logging.getLogger(__name__)


def check_sources(cfg: BuildConfig, sources: Sources) -> tuple[dict, list[dict]]:
    """The up-front checks of a build, before any folder exists (one machine and the engine's driver): enough
    images, every level makeable (`check_pools`, its skips logged once), a warning on a small test split.
    Returns the rows per split and the tasks a split cannot make."""
    check_supply(sources, cfg.n_per_level)
    sizes = split_sizes(cfg.n_per_level, cfg.test_fraction)
    pools, skipped = _checked_pools(cfg, sources, sizes)
    log_skips(skipped)
    warn_small_test(pools, cfg.test_fraction)
    return sizes, skipped


def _checked_pools(cfg: BuildConfig, sources: Sources, sizes: dict, excluded: frozenset = frozenset()):
    """The sources split without the excluded images, and the tasks a split cannot make (`check_pools`)."""
    pools = split_pools(sources, cfg.test_fraction, excluded)
    skipped = check_pools(
        pools,
        cfg.level_list,
        sizes,
        cfg.n_images,
        hardness=cfg.distractor_hardness,
        search_negatives=cfg.search_negative_list,
    )
    return pools, skipped


def shard_layout(cfg: BuildConfig, records: list, store, sizes: dict) -> tuple[int, int]:
    """(rows per shard, shard count): `--shard-rows` capped by `--shard-mib` (`rows_per_shard`, which may
    encode a size sample into `store`), and the shards every (level, split) of `sizes` makes with it."""
    shard_rows = rows_per_shard(
        records,
        store,
        cfg.n_images,
        shard_rows=cfg.shard_rows,
        shard_mib=cfg.shard_mib,
        most_rows=max(sizes.values()),
    )
    total = sum(math.ceil(sizes[s] / shard_rows) for _level in cfg.level_list for s in SPLITS if sizes[s])
    return shard_rows, total


def plan_build(
    cfg: BuildConfig,
    sources: Sources,
    sizes: dict,
    excluded: frozenset,
    *,
    captioner_name: str,
    shard_rows: int,
) -> tuple[list[dict], Iterator]:
    """The build planned without the excluded images: the tasks a split cannot make (`check_pools`; the
    report and the card list those of the final plan, a re-plan without a bad image may add some) and
    every shard with its split's files, in order (level, split, index), walked lazily; `shard_rows` is
    `--shard-rows` capped by `--shard-mib` (`rows_per_shard`)."""
    pools, skipped = _checked_pools(cfg, sources, sizes, excluded)
    return skipped, _iter_shards(cfg, pools, sizes, captioner_name=captioner_name, shard_rows=shard_rows)


def _iter_shards(
    cfg: BuildConfig, pools: dict, sizes: dict, *, captioner_name: str, shard_rows: int
) -> Iterator:
    quantile = cfg.filter_quantile if cfg.filter else 1.0
    files = {split: pool_files(pools[split]) for split in SPLITS if sizes[split]}
    for level in cfg.level_list:
        for split in SPLITS:
            if sizes[split]:
                ctx = LevelContext(
                    pools[split], cfg.n_images, split, cfg.distractor_hardness, cfg.search_negative_list
                )
                for shard in plan_shards(
                    level,
                    split,
                    ctx,
                    sizes[split],
                    seed=cfg.seed,
                    shard_rows=shard_rows,
                    quantile=quantile,
                    captioner_name=captioner_name,
                ):
                    yield shard, files[split]


def _log_resume(staging: Path, store: ImageStore, sources: Sources, digest: str) -> None:
    """One line when an earlier run's work is there; one warning when the sources changed since."""
    done = len(list((staging / "repo" / "data").glob("*/*.parquet")))
    saved_file = staging / "work" / "sources_digest"
    saved = saved_file.read_text() if saved_file.exists() else None
    changes = store.forget_changed(sources.all_records())
    if done or store.stored():
        logger.info(
            "resuming the unfinished build in %s: %d shards written and %d images encoded earlier are reused "
            "where what they were made from is unchanged",
            staging,
            done,
            store.stored(),
        )
    what = [f"{n} image file(s) {kind}" for kind, n in changes.items() if n and kind != "bad_retried"]
    if saved is not None and saved != digest:
        what.append("labels, captions or the list of images changed")
    if what:
        logger.warning(
            "the sources changed since the unfinished run (%s): changed files are decoded again and every "
            "shard whose images or texts changed is rewritten",
            "; ".join(what),
        )
    atomic_write(saved_file, digest.encode())


def write_shards(
    cfg, sources, sizes, *, store, staging, captioner, scorer, run_fingerprint, clock
) -> tuple[list[str], list[str], dict, str, list[dict]]:
    """Walk every shard: encode the images it depends on (all machines, so all skip the same bad files),
    then resolve, filter and write the shards that are this machine's, reusing a shard on disk only when
    its key matches (`ShardKeys`, made with `run_fingerprint`). Start over when an image turns out unreadable. Returns the expected and
    written-here shard paths, the counts, the content fingerprint of the sources the build used, and the
    tasks the final plan skips (`check_pools`)."""
    repo = staging / "repo"
    records = {r.source_id: r for r in sources.all_records()}
    digest = sources_digest(sources)
    _log_resume(staging, store, sources, digest)
    keys = ShardKeys(staging / "work", run_fingerprint, digest)
    index, count = cfg.shard_index
    shard_rows, total = shard_layout(cfg, list(records.values()), store, sizes)
    n_mine = len(range(index, total, count))
    while True:
        expected, mine, counts, restart = [], [], {"written": 0, "reused": 0}, False
        used: dict[str, str] = {}
        shards = bar(desc="write shards", unit="shard", total=n_mine, leave=True)
        bad = frozenset(store.bad)
        skipped, plans = plan_build(
            cfg, sources, sizes, bad, captioner_name=captioner.name, shard_rows=shard_rows
        )
        for i, (shard, pool) in enumerate(plans):
            expected.append(shard.path)
            name = f"shard {i + 1}/{total} level{shard.level}/{shard.split}"
            ids = sorted(shard.image_ids())
            new_bad = store.ensure([records[sid] for sid in ids], desc=f"{name}: encode images")
            clock.lap("plan_and_encode_images")
            if new_bad:
                logger.warning("%d unreadable image(s) found; planning again without them", len(new_bad))
                restart = True
                break
            images = {sid: store.digest(sid) for sid in ids}
            used.update(images)
            if i % count != index:
                continue
            mine.append(shard.path)
            key = keys.key(shard.path, bad, images, pool)
            if (repo / shard.path).exists() and keys.matches(shard.path, key):
                counts["reused"] += 1
                shards.update(1)
                shards.set_postfix_str(f"{counts['reused']} reused", refresh=False)
                continue
            shards.set_postfix_str(f"{name}: captions and filter")
            # the filter scores free-text tasks only; the count is an upper bound (pairs whose texts came out
            # templated are skipped), so the bar is completed when the shard is done
            pairs = sum(len(c) for task, c in shard.candidates.items() if TASKS[task].free_text)
            with bar(
                desc=f"{name}: filter", unit="pair", total=pairs, disable=not (scorer and pairs)
            ) as progress:
                if scorer is not None:
                    scorer.clear_cache()
                    scorer.progress = progress
                rows = finish_shard(
                    shard, captioner, records, seed=cfg.seed, scorer=scorer, quantile=cfg.filter_quantile
                )
                progress.update(progress.total - progress.n)
                progress.refresh()
            clock.lap("captions_and_filter")
            shards.set_postfix_str(f"{name}: writing {len(rows)} row{'s' if len(rows) != 1 else ''}")
            keys.record(
                shard.path, None
            )  # no key while the file changes: a kill before the next line rewrites it
            write_shard(repo / shard.path, rows, store, cfg.row_group_mib)
            keys.record(shard.path, key)
            counts["written"] += 1
            shards.update(1)
            clock.lap("write_shards")
        shards.close()
        if not restart:
            drop_stale_shards(repo, mine)
            return expected, mine, counts, content_fingerprint(digest, used), skipped
