"""Plan rows: balanced answers, unique ids, filtered, shard by shard.

A (level, split) is cut into output shards of `shard_rows` rows. Each shard is an independent unit of
work: its candidates are drawn (text-free) from one seeded stream per task, in shard order, so ids stay
unique across shards; then, per shard, the captioner resolves the texts, the filter drops the most similar
pairs within each (task, answer) stratum, and the rows are shuffled with a per-shard seed. Any machine can
therefore build any subset of shards (`--shard I/N`) and get the bytes a single-machine build writes.
Planning touches no pixels; image bytes are attached when a shard is written.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from .captioners import Captioner, TextRequest
from .filtering import PairScorer, keep_mask
from .labels import distinct_labels
from .layout import SPLITS, shard_path, split_of
from .levels import NEEDS, TASKS, LevelContext, PlanError, task_slots
from .levels.describe import SequenceRequest, make_sequence
from .levels.negatives import EditRequest, make_negative, model_edit_request
from .progress import bar
from .schema import GENERATOR_VERSION, LEVEL_TASKS, RowSpec
from .sources import Record, Sources

__all__ = [
    "ShardPlan",
    "check_pools",
    "finish_shard",
    "level_tasks",
    "log_skips",
    "plan_shards",
    "split_pools",
    "split_sizes",
    "task_skips",
    "warn_small_test",
]

logger = logging.getLogger(__name__)

MIN_TEST_LABELS = 20  # fewer labels in the test split make its figures noise: warn
MAX_DUPLICATE_DRAWS = 50  # redraws allowed per row before a pool is declared too small for unique rows
PROBE_DRAWS = 3  # rows the up-front check draws per answer slot of each task (`_probe`)


def _split_key(record: Record, shared_labels: set[str]) -> str:
    """What keeps a record in one split: its group, and for a labelled image whose label other images
    share (an image folder), the label, so no test row repeats a train row's (prompt, answer) text."""
    return f"label:{record.label}" if record.label in shared_labels else record.split_key


def split_pools(
    sources: Sources, test_fraction: float, excluded: frozenset[str] = frozenset()
) -> dict[str, Sources]:
    """Records per split by `split_key` (objects with a shared label: by label), so no image, picture,
    family or labelled class is in both train and test."""
    pools = {split: Sources(relations=sources.relations) for split in SPLITS}
    labels = Counter(r.label for r in sources.objects)
    shared = {label for label, n in labels.items() if n > 1 and label}
    for kind in Sources.KINDS:
        for record in getattr(sources, kind):
            if record.source_id not in excluded:
                key = _split_key(record, shared) if kind == "objects" else record.split_key
                getattr(pools[split_of(key, test_fraction)], kind).append(record)
    for pool in pools.values():
        people = {r.person for r in pool.faces}
        pool.relations = {pair: rel for pair, rel in sources.relations.items() if set(pair) <= people}
    return pools


def warn_small_test(pools: dict[str, Sources], test_fraction: float) -> None:
    """Warn (once per build, after `check_pools` let it go on) when the test split's labels are too few for
    its figures to mean anything."""
    test_labels = {r.label for r in pools["test"].objects}
    if test_fraction > 0 and pools["train"].objects and len(test_labels) < MIN_TEST_LABELS:
        logger.warning(
            "the test split holds %d labels (%d images): too few for meaningful test figures; "
            "raise --test-fraction or add labels",
            len(test_labels),
            len(pools["test"].objects),
        )


def split_sizes(n_rows: int, test_fraction: float) -> dict[str, int]:
    n_test = round(n_rows * test_fraction) if test_fraction > 0 else 0
    return {"train": n_rows - n_test, "test": n_test}


def level_tasks(level: int, ctx: LevelContext) -> list[str]:
    """The tasks of `level` the split of `ctx` can make (`task_skips` names the others and why)."""
    skips = task_skips(level, ctx)
    return [task for task in LEVEL_TASKS[level] if task not in skips]


def task_skips(level: int, ctx: LevelContext) -> dict[str, str]:
    """The tasks of `level` the split of `ctx` cannot make, each with the reason: its pool lacks what the
    task needs (`LevelTask.missing`: no shape images, no two images of one kind), or a few probe draws of
    every answer slot fail (a `describe_each` row holds one label more than it shows), with the generator's
    own message. The draws are text-free, with their own RNG and a fresh context, so the plan's draws are
    unchanged; the answer is kept in `ctx.memo`."""
    key = ("skips", level)
    if key not in ctx.memo:
        skips = {}
        probe_ctx = dataclasses.replace(ctx, _by_kind=None, _by_class=None, memo={})
        rng = random.Random(f"probe:{level}:{ctx.split}")
        for task in LEVEL_TASKS[level]:
            why = TASKS[task].missing(ctx.pool)
            if why is None:
                why = _probe(task, probe_ctx, rng)
            if why is not None:
                skips[task] = why
        ctx.memo[key] = skips
    return ctx.memo[key]


def _probe(task: str, ctx: LevelContext, rng: random.Random) -> str | None:
    """The generator's message when a few rows of every answer slot of `task` cannot be drawn, else None."""
    generate = TASKS[task].generate()
    for slot in range(task_slots(task, ctx.n_images)):
        for _ in range(PROBE_DRAWS):
            try:
                generate(ctx, rng, slot)
            except PlanError as err:
                return str(err)
    return None


def check_pools(
    pools: dict[str, Sources],
    levels: list[int],
    sizes: dict[str, int],
    n_images: int,
    *,
    hardness: str = "subcategory",
    search_negatives: tuple[str, ...] = ("fact", "claim"),
) -> list[dict]:
    """Fail fast, before any output exists, when a split cannot make rows of `n_images` images: too few
    labels, shapes or VQA images, or a level none of whose tasks the split can make. Return the tasks a
    split cannot make while its level goes on (level, split, task, reason; `task_skips`), leaving out a task
    whose kind of source no split holds (`vqa_gold` without VQA samples): that one was not asked for.
    `hardness` and `search_negatives` are the build's `--distractor-hardness` and `--search-negatives`."""
    skipped = []
    # the first check of a split reads the facts of its images (seconds at paper size): a bar, not silence
    active = [split for split in pools if sizes[split]]
    with bar(
        desc="check the tasks each split can make", unit="level", total=len(active) * len(levels)
    ) as checking:
        for split, pool in pools.items():
            if sizes[split] == 0:
                continue
            labels = sorted({r.label for r in pool.objects})
            if labels and distinct_labels(labels, enough=n_images) < n_images:
                raise PlanError(
                    f"too few labels for {n_images - 1} distractors: the {split} split has "
                    f"{distinct_labels(labels)} distinct (non-synonym) labels and a row needs {n_images}; "
                    "add labelled images, lower --distractors or lower --test-fraction"
                )
            for kind, what in (("shapes", "shape images"), ("qa", "VQA images")):
                records = getattr(pool, kind)
                if records and len({r.split_key for r in records}) < n_images:
                    raise PlanError(
                        f"the {split} split has {len(records)} {what} and a row needs {n_images}; "
                        "add images or lower --distractors"
                    )
            for level in levels:
                context = LevelContext(pool, n_images, split, hardness, search_negatives)
                skips = task_skips(level, context)
                checking.update(1)
                if len(skips) == len(LEVEL_TASKS[level]):
                    reasons = "; ".join(f"{task}: {why}" for task, why in skips.items())
                    raise PlanError(
                        f"level {level} has no task the {split} split can make ({reasons}); add a --source or "
                        "drop it from --levels"
                    )
                skipped += [
                    {"level": level, "split": split, "task": task, "reason": why}
                    for task, why in skips.items()
                    if any(getattr(p, NEEDS[task]) for p in pools.values())
                ]
    return skipped


def log_skips(skipped: list[dict]) -> None:
    """One warning line per task a split cannot make (`check_pools`), once per build."""
    for s in skipped:
        logger.warning(
            "level %d `%s` is skipped in the %s split: %s", s["level"], s["task"], s["split"], s["reason"]
        )


@dataclass
class ShardPlan:
    """One output shard: its candidates per task (texts unresolved) and how many rows each task keeps."""

    level: int
    split: str
    index: int
    count: int
    quotas: dict[str, int]
    candidates: dict[str, list[RowSpec]] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return shard_path(self.level, self.split, self.index, self.count)

    def source_ids(self) -> set[str]:
        """The images its rows show."""
        return {s for rows in self.candidates.values() for row in rows for s in row.source_ids}

    def image_ids(self) -> set[str]:
        """Every image its rows depend on: those they show and those whose captions their texts use (a
        caption of an image the row does not show, in `describe_each`'s omitted-object negative)."""
        texts = {
            s
            for rows in self.candidates.values()
            for row in rows
            for r in _text_requests(row)
            for s in r.source_ids
        }
        return self.source_ids() | texts


class _TaskStream:
    """Seeded candidates of one task, answers cycling through every slot in shuffled blocks."""

    def __init__(self, task: str, ctx: LevelContext, rng: random.Random, seen: set[str], captioner_name: str):
        self.task, self.ctx, self.rng, self.seen, self.captioner_name = task, ctx, rng, seen, captioner_name
        self.generate = TASKS[task].generate()  # the task's generator function, resolved once
        self.slots: list[int] = []
        self.records = {r.source_id: r for r in ctx.pool.all_records()}

    def take(self, count: int) -> list[RowSpec]:
        rows, redraws = [], 0
        while len(rows) < count:
            if not self.slots:
                n = task_slots(self.task, self.ctx.n_images)
                self.slots = self.rng.sample(range(n), n)
            slot = self.slots.pop()
            spec = self.generate(self.ctx, self.rng, slot)
            while spec.id in self.seen:
                redraws += 1
                if redraws > MAX_DUPLICATE_DRAWS * count:
                    raise PlanError(
                        f"too few images in the {self.ctx.split} split to make distinct `{self.task}` rows"
                    )
                spec = self.generate(self.ctx, self.rng, slot)
            self.seen.add(spec.id)
            spec.meta = {
                "sources": spec.source_ids,
                "labels": [self.records[s].label for s in spec.source_ids],
                "distractors": self.ctx.n_images - 1,
                "captioner": self.captioner_name,
                "generator": GENERATOR_VERSION,
                **_hardness(spec, self.records),
                **spec.meta,
            }
            rows.append(spec)
        return rows


def _hardness(spec: RowSpec, records: dict[str, Record]) -> dict:
    """How many distractors share the target's subcategory / category (rows about one labelled image)."""
    if spec.target < 0 or not records[spec.source_ids[spec.target]].subcategory:
        return {}
    target = records[spec.source_ids[spec.target]]
    others = [records[s] for i, s in enumerate(spec.source_ids) if i != spec.target]
    return {
        "hardness": {
            "same_subcategory": sum(r.subcategory == target.subcategory for r in others),
            "same_category": sum(r.category == target.category for r in others),
        }
    }


def _quotas(start: int, n_rows: int, tasks: list[str]) -> dict[str, int]:
    """Rows per task of the shard holding rows [start, start + n_rows) of its (level, split): row r belongs
    to task r mod T, so the tasks' totals, and the candidates each stream draws, do not depend on how the
    rows are cut into shards (a remainder is not given to the first task of every shard)."""
    n = len(tasks)
    return {t: (start + n_rows - i + n - 1) // n - (start - i + n - 1) // n for i, t in enumerate(tasks)}


def plan_shards(
    level: int,
    split: str,
    ctx: LevelContext,
    n_rows: int,
    *,
    seed: int,
    shard_rows: int,
    quantile: float,
    captioner_name: str,
) -> Iterator[ShardPlan]:
    """Every shard of (level, split) in order, with its text-free candidates; cheap, so every machine of a
    sharded build walks them all. A generator: only the shard at hand is held in memory."""
    tasks = level_tasks(level, ctx)
    seen: set[str] = set()
    streams = {
        t: _TaskStream(t, ctx, random.Random(f"{seed}:{level}:{split}:{t}"), seen, captioner_name)
        for t in tasks
    }
    count = max(1, math.ceil(n_rows / shard_rows))
    for index in range(count):
        size = min(shard_rows, n_rows - index * shard_rows)
        shard = ShardPlan(level, split, index, count, _quotas(index * shard_rows, size, tasks))
        for task, quota in shard.quotas.items():
            filtered = quantile < 1.0 and TASKS[task].free_text  # minimal pairs are never filtered
            extra = math.ceil(quota / quantile) - quota + task_slots(task, ctx.n_images) if filtered else 0
            shard.candidates[task] = streams[task].take(quota + extra) if quota else []
        yield shard


def _text_requests(row: RowSpec) -> list[TextRequest]:
    """The captioner texts a row's chosen and rejected are made from."""
    wanted = []
    for text in (row.chosen, row.rejected):
        if isinstance(text, TextRequest):
            wanted.append(text)
        elif isinstance(text, (EditRequest, SequenceRequest)):
            wanted += text.requests()
    return wanted


def _resolve_texts(rows: list[RowSpec], captioner: Captioner, records: dict[str, Record]) -> None:
    """Replace every `TextRequest` in the rows by the captioner's text, asking once per unique request; then
    make each `EditRequest` (a negative edited from resolved captions) and note what it is in the meta."""
    requests = list(dict.fromkeys(r for row in rows for r in _text_requests(row)))
    texts = dict(zip(requests, captioner.resolve(requests, records))) if requests else {}
    edits: dict[int, TextRequest] = {}  # a model captioner is asked for VaPR-style edits of its captions
    if getattr(captioner, "edits_captions", False):
        edits = {
            i: model_edit_request(row.rejected, texts[row.rejected.base])
            for i, row in enumerate(rows)
            if isinstance(row.rejected, EditRequest) and "fact" in row.rejected.kinds
        }
        unique = list(dict.fromkeys(edits.values()))
        texts.update(zip(unique, captioner.resolve(unique, records)) if unique else {})
    for i, row in enumerate(rows):
        if isinstance(row.rejected, EditRequest):  # the chosen too: a pixel caption when nothing is editable
            row.chosen, row.rejected, info = make_negative(row.rejected, texts, texts.get(edits.get(i)))
            row.meta.update(info)
        if isinstance(row.chosen, SequenceRequest):
            row.chosen, row.rejected = make_sequence(row.chosen, texts), make_sequence(row.rejected, texts)
        row.chosen, row.rejected = texts.get(row.chosen, row.chosen), texts.get(row.rejected, row.rejected)


def _free_text(row: RowSpec) -> bool:
    """A free-text pair, where high similarity means the rejected caught the right behaviour: not an edited
    near miss (one fact changed, a distractor's caption claiming the query), similar by design."""
    return row.meta.get("negative") in (None, "describe", "other_image")


def finish_shard(
    shard: ShardPlan,
    captioner: Captioner,
    records: dict[str, Record],
    *,
    seed: int,
    scorer: PairScorer | None,
    quantile: float,
) -> list[RowSpec]:
    """The shard's final rows: texts resolved, filtered per (task, answer), shuffled with the shard's seed."""
    rows: list[RowSpec] = []
    for task, quota in shard.quotas.items():
        candidates = shard.candidates[task]
        _resolve_texts(candidates, captioner, records)
        candidates = [
            c for c in candidates if c.chosen != c.rejected
        ]  # a model answer equal to gold is no pair
        if scorer is not None and TASKS[task].free_text:
            scored = [c for c in candidates if _free_text(c)]
            scorer.score(scored)
            dropped = {id(c) for c, keep in zip(scored, keep_mask(scored, quantile)) if not keep}
            candidates = [c for c in candidates if id(c) not in dropped]
        if len(candidates) < quota:
            raise PlanError(
                f"shard {shard.path}: only {len(candidates)} usable `{task}` pairs for {quota} rows"
            )
        rows += candidates[:quota]
    random.Random(f"{seed}:{shard.level}:{shard.split}:order:{shard.index}").shuffle(rows)
    return rows
