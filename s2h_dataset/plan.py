"""Plan the rows of one (level, split): balanced answers, unique ids, filtered, in a seeded order.

Planning touches no pixels: a row is a `RowSpec` naming its images by source id. Image bytes are attached
when shards are written, so a 20K-row level plans in seconds and holds only text in memory.
"""

from __future__ import annotations

import hashlib
import logging
import math
import random

from .captioners import Captioner, TextRequest
from .filtering import PairScorer, keep_mask
from .labels import conflicts
from .levels import TASKS, LevelContext, PlanError, task_slots
from .schema import GENERATOR_VERSION, LEVEL_TASKS, RowSpec
from .sources import Record, Sources

__all__ = ["check_pools", "plan_rows", "split_of", "split_pools", "split_sizes"]

logger = logging.getLogger(__name__)

SPLITS = ("train", "test")
MAX_DUPLICATE_DRAWS = 50  # redraws allowed per row before a pool is declared too small for unique rows


def split_of(source_id: str, test_fraction: float) -> str:
    """Stable split of a source image: the same image is in the same split in every build and seed."""
    digest = int(hashlib.sha1(f"split:{source_id}".encode()).hexdigest()[:12], 16)
    return "test" if digest / 16**12 < test_fraction else "train"


def split_pools(sources: Sources, test_fraction: float, excluded: frozenset[str] = frozenset()) -> dict[str, Sources]:
    """Source records per split; no image is in both, so no test row shows a training image."""
    pools = {split: Sources(objects=[], shapes=[]) for split in SPLITS}
    for kind in ("objects", "shapes"):
        for record in getattr(sources, kind):
            if record.source_id not in excluded:
                getattr(pools[split_of(record.source_id, test_fraction)], kind).append(record)
    return pools


def split_sizes(n_rows: int, test_fraction: float) -> dict[str, int]:
    n_test = round(n_rows * test_fraction) if test_fraction > 0 else 0
    return {"train": n_rows - n_test, "test": n_test}


def _distinct_labels(records: list[Record]) -> int:
    """Size of a greedy set of mutually non-conflicting labels (a lower bound of the best set)."""
    chosen: list[str] = []
    for label in sorted({r.label for r in records}):
        if not any(conflicts(label, c) for c in chosen):
            chosen.append(label)
    return len(chosen)


def check_pools(pools: dict[str, Sources], levels: list[int], sizes: dict[str, int], n_images: int) -> None:
    """Fail fast, before any output exists, when a split cannot make rows of `n_images` images."""
    for split, pool in pools.items():
        if sizes[split] == 0:
            continue
        if _distinct_labels(pool.objects) < n_images:  # every level has a task over labelled images
            raise PlanError(
                f"too few labels for {n_images - 1} distractors: the {split} split has "
                f"{_distinct_labels(pool.objects)} distinct (non-synonym) labels and a row needs {n_images}; "
                "add labelled images, lower --distractors or lower --test-fraction"
            )
        if 2 in levels and len(pool.shapes) < n_images:
            raise PlanError(
                f"the {split} split has {len(pool.shapes)} shape images for `arithmetic` and a row needs "
                f"{n_images}; add --source arithmetic or raise --arithmetic-pool"
            )


def _quotas(n_rows: int, tasks: tuple[str, ...]) -> list[int]:
    return [n_rows // len(tasks) + (i < n_rows % len(tasks)) for i in range(len(tasks))]


def _resolve_texts(rows: list[RowSpec], captioner: Captioner, records: dict[str, Record]) -> None:
    """Replace every `TextRequest` in the rows by the captioner's text, asking once per unique request."""
    requests = list(dict.fromkeys(t for r in rows for t in (r.chosen, r.rejected) if isinstance(t, TextRequest)))
    texts = dict(zip(requests, captioner.resolve(requests, records))) if requests else {}
    for row in rows:
        row.chosen, row.rejected = texts.get(row.chosen, row.chosen), texts.get(row.rejected, row.rejected)


def _candidates(task: str, ctx: LevelContext, count: int, rng: random.Random, seen: set[str], captioner: Captioner) -> list[RowSpec]:
    """`count` unique rows whose balanced answer cycles through every slot in shuffled blocks."""
    slots = task_slots(task, ctx.n_images)
    records = {r.source_id: r for r in ctx.objects + ctx.shapes}
    rows: list[RowSpec] = []
    redraws = 0
    while len(rows) < count:
        for slot in rng.sample(range(slots), slots):
            spec = TASKS[task](ctx, rng, slot)
            while spec.id in seen:
                redraws += 1
                if redraws > MAX_DUPLICATE_DRAWS * max(count, 1):
                    raise PlanError(f"too few images in the {ctx.split} split to make {count} distinct `{task}` rows")
                spec = TASKS[task](ctx, rng, slot)
            seen.add(spec.id)
            spec.meta = {
                "sources": spec.source_ids,
                "labels": [records[s].label for s in spec.source_ids],
                "distractors": ctx.n_images - 1,
                "captioner": captioner.name,
                "generator": GENERATOR_VERSION,
                **spec.meta,
            }
            rows.append(spec)
    rows = rows[:count]
    _resolve_texts(rows, captioner, records)
    return rows


def plan_rows(
    level: int, split: str, ctx: LevelContext, n_rows: int, seed: int,
    captioner: Captioner, scorer: PairScorer | None, quantile: float,
) -> list[RowSpec]:
    """The final rows of (level, split): tasks split evenly, filtered per task, shuffled with the seed."""
    rows: list[RowSpec] = []
    seen: set[str] = set()
    for task, quota in zip(LEVEL_TASKS[level], _quotas(n_rows, LEVEL_TASKS[level])):
        if quota == 0:
            continue
        slots = task_slots(task, ctx.n_images)
        count = quota if scorer is None else math.ceil(quota / quantile) + slots
        rng = random.Random(f"{seed}:{level}:{split}:{task}")
        candidates = _candidates(task, ctx, count, rng, seen, captioner)
        if scorer is not None:
            scorer.score(candidates)
            candidates = [c for c, keep in zip(candidates, keep_mask(candidates, quantile)) if keep]
        rows += candidates[:quota]
        logger.info("level %d %s %s: %d rows from %d candidates", level, split, task, min(quota, len(candidates)), count)
    random.Random(f"{seed}:{level}:{split}:order").shuffle(rows)
    return rows
