"""What the stages of a build on an engine share: the datatrove step (`Step`), the rank context, caches.

Every rank reads and writes the build's staging folder (`.<out>.partial/`, on a file system all machines
share) and never takes its lock; publish does. What the stages leave there, under `work/engine/<run key>/`
(the run key is a digest of the build's arguments, of what the sources say and of each file's
signature, so another build, or this one after a file changed, never reads them):

- `setup.json` (the driver): the shard rows and the number of planned shards;
- `<stage>/`: datatrove's logging folder of the stage: `completions/<rank>` markers, `logs/`, `stats/`;
- `reports/<stage>-<rank>.json`: what each rank did (images encoded, texts asked, shards written, seconds);
- `plan.json` (plan): the images left out as unreadable, the expected shard paths, the content fingerprint;
  `plans/<shard>.pkl`: each shard's text-free candidates, read by the captions and shard ranks;
- `work/engine/keys/<rank>/shard_keys.json` (shards, beside the run folders): what each written shard was
  made from (`shardkeys.ShardKeys`), so a rerun after a file changed rewrites only the shards that use it.

Encoded images go to the build's image store (`work/images/`) and model replies to the caption cache, one
index or cache file per rank (`part`), since appends of several hosts to one NFS file are not atomic.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import pickle
from pathlib import Path

from ..atomic import atomic_write
from ..build import Stopwatch, _load_scorer
from ..build_shards import plan_build
from ..captioners import CaptionCache, make_captioner
from ..configs import BuildConfig
from ..content import remember
from ..errors import UserError
from ..imagestore import ImageStore
from ..plan import split_sizes
from ..progress import quiet
from ..sources import load_sources

__all__ = [
    "ENGINE",
    "Rank",
    "Step",
    "captioner_name",
    "engine_dir",
    "process_scorer",
    "process_sources",
    "rank_captioner",
    "seed_content_ids",
]

logger = logging.getLogger(__name__)

ENGINE = "engine"  # under the staging folder's work/


def engine_dir(staging_root: Path, run_key: str) -> Path:
    return Path(staging_root) / "work" / ENGINE / run_key


def captioner_name(cfg: BuildConfig) -> str:
    """The name a captioner writes into each row's meta, without loading its model (the plan needs it)."""
    config = cfg.captioner_config
    if config.backend == "openai":
        return f"openai:{config.endpoint[1]}"
    if config.backend == "transformers":
        from ..captioners.transformers_backend import model_identity

        return f"transformers:{model_identity(config.target)}"
    return "reference"


class Step:
    """One stage as a datatrove pipeline step: called as `step(data, rank, world_size)` on each rank.

    stage: `encode`, `plan`, `captions`, `shards` or `publish`; args: the build's arguments
    (`dataclasses.asdict(BuildConfig)`); root: the staging folder; run_key: names the engine folder.
    Not a dataclass: datatrove writes a dataclass step's fields into `executor.json` and its repr into every
    task log, and the arguments may hold a URL with credentials."""

    def __init__(self, stage: str, args: dict, root: str, run_key: str):
        self.stage, self.args, self.root, self.run_key = stage, args, root, run_key

    def __repr__(self) -> str:
        return f"s2h {self.stage} ({Path(self.root).name}, run {self.run_key})"

    def __call__(self, data=None, rank: int = 0, world_size: int = 1):
        cfg = BuildConfig(**self.args)
        with quiet(cfg.quiet):
            from .stages import STAGES

            STAGES[self.stage](Rank(cfg, Path(self.root), self.run_key, rank, world_size))
        return None  # nothing flows to a next step


@functools.lru_cache(maxsize=2)
def process_sources(specs: tuple, seed, *, arithmetic_pool, image_column, label_column, caption_column):
    """The sources, loaded once per process (a local worker runs several ranks)."""
    return load_sources(
        list(specs),
        seed,
        arithmetic_pool=arithmetic_pool,
        image_column=image_column,
        label_column=label_column,
        caption_column=caption_column,
    )


@functools.lru_cache(maxsize=1)
def _process_scorer(filter_on: bool, model: str, backend: str):
    return _load_scorer(BuildConfig(out=".", filter=filter_on, filter_model=model, filter_backend=backend))


def process_scorer(cfg: BuildConfig):
    """The filter encoder, loaded once per process (seconds each time); its counters and text cache start
    empty for each shard, as in a one-machine build."""
    scorer = _process_scorer(cfg.filter, cfg.filter_model, cfg.filter_backend)
    if scorer is not None:
        scorer.clear_cache()
        scorer.encoded, scorer.requested, scorer.seconds = 0, 0, 0.0
    return scorer


@dataclasses.dataclass
class Rank:
    """What a rank works with: the arguments, its paths, the sources (loaded once per process)."""

    cfg: BuildConfig
    root: Path
    run_key: str
    rank: int
    world: int
    clock: Stopwatch = dataclasses.field(default_factory=Stopwatch)

    def __post_init__(self):
        c = self.cfg
        self.sources = process_sources(
            tuple(c.source),
            c.seed,
            arithmetic_pool=c.arithmetic_pool,
            image_column=c.image_column,
            label_column=c.label_column,
            caption_column=c.caption_column,
        )
        self.records = {r.source_id: r for r in self.sources.all_records()}
        self.sizes = split_sizes(c.n_per_level, c.test_fraction)
        self.dir = engine_dir(self.root, self.run_key)

    def store(self, part: str) -> ImageStore:
        c = self.cfg
        return ImageStore(self.root / "work" / "images", c.image_size, c.image_format, c.workers, part=part)

    def read(self, name: str) -> dict:
        try:
            return json.loads((self.dir / name).read_text())
        except (OSError, ValueError):
            raise UserError(
                f"{self.dir / name} is missing or unreadable: an earlier stage did not finish; rerun the same "
                "`s2h build` command"
            ) from None

    def report(self, stage: str, report: dict) -> None:
        (self.dir / "reports").mkdir(parents=True, exist_ok=True)
        report = {"timings_s": self.clock.seconds, **report}
        atomic_write(self.dir / "reports" / f"{stage}-{self.rank:05d}.json", json.dumps(report).encode())

    def plans(self, plan: dict, name: str):
        """The tasks the plan skips (`check_pools`) and every shard's plan, walked afresh (the plan stage's
        walk)."""
        excluded = frozenset(plan["excluded"])
        skipped, plans = plan_build(
            self.cfg, self.sources, self.sizes, excluded, captioner_name=name, shard_rows=plan["shard_rows"]
        )
        return skipped, (
            shard for shard, _pool in plans
        )  # the split's file signatures are in the engine's run key

    def save_plan(self, index: int, shard) -> None:
        """Keep shard `index`'s plan (its text-free candidates) for the ranks that resolve and write it."""
        (self.dir / "plans").mkdir(parents=True, exist_ok=True)
        atomic_write(self.dir / "plans" / f"{index:05d}.pkl", pickle.dumps(shard))

    def shard_plan(self, index: int):
        """Shard `index`'s plan as the plan stage saved it: no rank walks the plan again. A pickle read
        from the build's own staging folder, which only this build writes."""
        return pickle.loads((self.dir / "plans" / f"{index:05d}.pkl").read_bytes())


def seed_content_ids(store: ImageStore, rank: Rank) -> None:
    """Tell `content.content_id` the pixel digests the store knows, so caption keys need no decoding."""
    for sid, (signature, pixels, _blob) in store.index.items():
        record = rank.records.get(sid)
        if record is not None and signature is not None and record.signature() == signature:
            remember(record, signature, pixels)


def rank_captioner(rank: Rank, part: str):
    """The build's captioner, its cache writing a file of this rank's own."""
    captioner = make_captioner(rank.cfg.captioner_config)
    cache = getattr(captioner, "cache", None)
    if cache is not None:
        captioner.cache = CaptionCache(
            cache.path.parent, cache.model, cache.settings, fsync=cache.fsync, part=part
        )
        cache.close()
    return captioner
