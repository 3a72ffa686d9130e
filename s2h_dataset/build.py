"""`s2h build`: sources -> planned rows -> encoded images -> parquet shards + card, atomically.

Everything is written under a staging folder beside `--out` (`.<name>.partial/`): `work/` holds the
arguments, the row plans and the encoded images; `repo/` becomes `--out` by one rename once the card is
written and the folder validates. A rerun with the same arguments resumes: plans, images and finished
shards are reused, so the result is the same bytes as an uninterrupted build.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import shutil
import time
from pathlib import Path

from .captioners import make_captioner
from .card import write_card
from .configs import BuildConfig
from .errors import UserError
from .filtering import PairScorer
from .imagestore import ImageStore, atomic_write
from .levels import LevelContext
from .plan import SPLITS, check_pools, plan_rows, split_pools, split_sizes
from .schema import RowSpec
from .sources import load_sources
from .validate import validate
from .writer import write_shard

__all__ = ["BuildConfig", "build", "shard_paths"]

logger = logging.getLogger(__name__)

RESUME_INDEPENDENT = ("out", "workers", "overwrite")  # arguments that do not change the output bytes


def shard_paths(level: int, split: str, n_rows: int, shard_rows: int) -> list[str]:
    n = max(1, math.ceil(n_rows / shard_rows))
    return [f"data/level{level}/{split}-{i:05d}-of-{n:05d}.parquet" for i in range(n)]


def _fingerprint(cfg: BuildConfig) -> dict:
    return {k: v for k, v in dataclasses.asdict(cfg).items() if k not in RESUME_INDEPENDENT}


def _open_staging(cfg: BuildConfig) -> Path:
    staging = cfg.out_path.parent / f".{cfg.out_path.name}.partial"
    args_file = staging / "work" / "args.json"
    if staging.exists():
        if not args_file.exists() or json.loads(args_file.read_text()) != _fingerprint(cfg):
            raise UserError(
                f"{staging} holds an unfinished build with other arguments; rerun that command to finish it "
                "or delete the folder"
            )
        logger.info("resuming the unfinished build in %s", staging)
    else:
        (staging / "work").mkdir(parents=True)
        atomic_write(args_file, json.dumps(_fingerprint(cfg), indent=1).encode())
    return staging


def _load_plans(work: Path, keys: list[tuple[int, str]]) -> dict[tuple[int, str], list[RowSpec]] | None:
    if not (work / "plan" / "done").exists():
        return None
    plans = {}
    for level, split in keys:
        with open(work / "plan" / f"level{level}-{split}.jsonl", encoding="utf-8") as f:
            plans[level, split] = [RowSpec.from_json(json.loads(line)) for line in f]
    return plans


def _save_plans(work: Path, plans: dict[tuple[int, str], list[RowSpec]]) -> None:
    (work / "plan").mkdir(exist_ok=True)
    for (level, split), rows in plans.items():
        text = "".join(json.dumps(r.to_json(), ensure_ascii=False) + "\n" for r in rows)
        atomic_write(work / "plan" / f"level{level}-{split}.jsonl", text.encode("utf-8"))
    atomic_write(work / "plan" / "done", b"")


def _plan(cfg, sources, sizes, store, report) -> dict[tuple[int, str], list[RowSpec]]:
    """Plan every (level, split); re-plan without images that turn out unreadable until none are left."""
    scorer = PairScorer(cfg.filter_model) if cfg.filter else None
    by_id = {r.source_id: r for r in sources.objects + sources.shapes}
    captioner = make_captioner(cfg.captioner)
    while True:
        pools = split_pools(sources, cfg.test_fraction, frozenset(store.bad))
        check_pools(pools, cfg.level_list, sizes, cfg.n_images)
        plans = {}
        for level in cfg.level_list:
            for split in SPLITS:
                if sizes[split]:
                    ctx = LevelContext(pools[split].objects, pools[split].shapes, cfg.n_images, split)
                    plans[level, split] = plan_rows(
                        level, split, ctx, sizes[split], cfg.seed, captioner, scorer, cfg.filter_quantile
                    )
        referenced = sorted({sid for rows in plans.values() for r in rows for sid in r.source_ids})
        if not store.ensure([by_id[sid] for sid in referenced]):
            break
    if scorer is not None:
        report["filter"] = {"encoder": scorer.name, "strings_encoded": scorer.encoded, "cache_size": len(scorer.cache)}
    return plans


def build(cfg: BuildConfig) -> Path:
    """Build the dataset described by `cfg`; return the output folder."""
    out = cfg.out_path
    if out.exists() and not cfg.overwrite:
        raise UserError(f"--out {out} already exists; choose a new folder or pass --overwrite")
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        timings[stage] = round(time.perf_counter() - clock, 3)
        clock = time.perf_counter()

    sources = load_sources(
        cfg.source, cfg.seed, cfg.arithmetic_pool, cfg.image_column, cfg.label_column, cfg.caption_column
    )
    sizes = split_sizes(cfg.n_per_level, cfg.test_fraction)
    check_pools(split_pools(sources, cfg.test_fraction), cfg.level_list, sizes, cfg.n_images)
    lap("load_sources")

    staging = _open_staging(cfg)
    work, repo = staging / "work", staging / "repo"
    store = ImageStore(work / "images", cfg.image_size, cfg.image_format, cfg.workers)
    report: dict = {}
    keys = [(level, split) for level in cfg.level_list for split in SPLITS if sizes[split]]
    plans = _load_plans(work, keys)
    if plans is None:
        plans = _plan(cfg, sources, sizes, store, report)
        _save_plans(work, plans)
    lap("plan_and_encode")

    written = reused = 0
    for (level, split), rows in plans.items():
        for i, name in enumerate(shard_paths(level, split, len(rows), cfg.shard_rows)):
            if (repo / name).exists():
                reused += 1
                continue
            write_shard(repo / name, rows[i * cfg.shard_rows : (i + 1) * cfg.shard_rows], store)
            written += 1
    lap("write_shards")

    report.update(
        arguments=dataclasses.asdict(cfg),
        rows={f"level{level}/{split}": len(rows) for (level, split), rows in plans.items()},
        skipped_images=[{"source_id": sid, "reason": reason} for sid, reason in sorted(store.bad.items())],
        images={"encoded_this_run": store.encoded, "unique_in_rows": len({s for r in plans.values() for x in r for s in x.source_ids})},
        shards={"written": written, "reused": reused},
    )
    write_card(repo, cfg, plans)
    lap("card")
    problems = validate(repo)
    if problems:
        raise RuntimeError("the built folder failed validation (a bug, please report it):\n" + "\n".join(problems[:20]))
    lap("validate")
    report["timings_s"] = timings
    atomic_write(repo / "build_report.json", json.dumps(report, indent=1, default=str).encode())
    if out.exists():
        shutil.rmtree(out)
    os.replace(repo, out)
    shutil.rmtree(staging)
    logger.info("built %s (%s)", out, ", ".join(f"{k}: {v}" for k, v in report["rows"].items()))
    return out
