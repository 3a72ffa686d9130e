"""The stages of a build on an engine, each a datatrove pipeline step run per rank (`Step`).

Every rank reads and writes the build's staging folder (`.<out>.partial/`, on a file system all machines
share) and never takes its lock; publish does. What the stages leave there, under `work/engine/<run key>/`
(the run key is a digest of the build's arguments, of what the sources say and of each file's
signature, so another build, or this one after a file changed, never reads them):

- `setup.json` (the driver): the shard rows and the number of planned shards;
- `<stage>/`: datatrove's logging folder of the stage: `completions/<rank>` markers, `logs/`, `stats/`;
- `reports/<stage>-<rank>.json`: what each rank did (images encoded, texts asked, shards written, seconds);
- `plan.json` (plan): the images left out as unreadable, the expected shard paths, the content fingerprint;
- `work/engine/keys/<rank>/shard_keys.json` (shards, beside the run folders): what each written shard was
  made from (`build.ShardKeys`), so a rerun after a file changed rewrites only the shards that use it.

Encoded images go to the build's image store (`work/images/`) and model replies to the caption cache, one
index or cache file per rank (`part`), since appends of several hosts to one NFS file are not atomic.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import shutil
from pathlib import Path

from ..atomic import atomic_write
from ..build import (
    ShardKeys,
    Stopwatch,
    _drop_stale_shards,
    _iter_shards,
    _load_scorer,
    _run_fingerprint,
    _sources_digest,
    content_fingerprint,
)
from ..captioners import CaptionCache, make_captioner
from ..configs import BuildConfig
from ..content import remember
from ..errors import UserError
from ..imagestore import ImageStore
from ..levels.negatives import EditRequest, model_edit_request
from ..plan import _text_requests, finish_shard, split_sizes
from ..progress import quiet
from ..sources import load_sources
from ..staging import Staging, check_target
from ..writer import rows_per_shard, write_shard

__all__ = [
    "ENGINE",
    "VOIDED_BY_PLAN",
    "Step",
    "captioner_name",
    "engine_dir",
    "process_scorer",
    "process_sources",
]

logger = logging.getLogger(__name__)

ENGINE = "engine"  # under the staging folder's work/
VOIDED_BY_PLAN = ("captions", "shards", "publish")  # stages whose markers a new plan makes stale


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
            STAGES[self.stage](Rank(cfg, Path(self.root), self.run_key, rank, world_size))
        return None  # nothing flows to a next step


@functools.lru_cache(maxsize=2)
def process_sources(specs: tuple, seed, pool, image_column, label_column, caption_column):
    """The sources, loaded once per process (a local worker runs several ranks)."""
    return load_sources(list(specs), seed, pool, image_column, label_column, caption_column)


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
            tuple(c.source), c.seed, c.arithmetic_pool, c.image_column, c.label_column, c.caption_column
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
        excluded = frozenset(plan["excluded"])
        return _iter_shards(self.cfg, self.sources, self.sizes, excluded, name, plan["shard_rows"])


def _seed_content_ids(store: ImageStore, rank: Rank) -> None:
    """Tell `content.content_id` the pixel digests the store knows, so caption keys need no decoding."""
    for sid, (signature, pixels, _blob) in store.index.items():
        record = rank.records.get(sid)
        if record is not None and signature is not None and record.signature() == signature:
            remember(record, signature, pixels)


# --- encode: each image the plan uses once, a 1/N slice per rank ------------------------------------------------


def encode(rank: Rank) -> None:
    images = rank.read("setup.json")["images"][rank.rank :: rank.world]
    records = [rank.records[sid] for sid in images]
    store = rank.store(f"encode-{rank.rank:05d}")
    store.forget_changed(list(rank.records.values()))  # a bad image whose file changed is tried again
    new_bad = store.ensure(records, desc=f"encode images {rank.rank + 1}/{rank.world}")
    rank.clock.lap("encode_images")
    rank.report(
        "encode",
        {
            "images": {"assigned": len(records), "encoded": store.encoded, "decoded": store.decoded},
            "bad": len(new_bad),
        },
    )


# --- plan: the walk of a one-machine build, with the pixels already known --------------------------------


class _Walk:
    """The image store as the one-machine planning walk sees it: it starts knowing no bad image and learns
    each one when a shard it plans uses it, so re-plans happen exactly where a one-machine build makes them,
    however many bad images the encode stage already found. Images not yet encoded are encoded here."""

    def __init__(self, store: ImageStore):
        self.store, self.max_side = store, store.max_side
        self.known_bad = store.bad  # every part's findings, still true of the current files
        self.bad: dict[str, str] = {}

    def ensure(self, records, desc: str = "") -> dict[str, str]:
        ids = {r.source_id for r in records}
        new = {sid: self.known_bad[sid] for sid in ids if sid in self.known_bad and sid not in self.bad}
        new.update(self.store.ensure([r for r in records if r.source_id not in self.known_bad], desc=desc))
        self.bad.update(new)
        return new

    def path(self, source_id: str) -> Path:
        return self.store.path(source_id)


def plan(rank: Rank) -> None:
    cfg, records = rank.cfg, rank.records
    setup = rank.read("setup.json")
    store = rank.store("plan")
    store.forget_changed(list(records.values()))
    walk = _Walk(store)
    shard_rows = rows_per_shard(
        list(records.values()), walk, cfg.n_images, cfg.shard_rows, cfg.shard_mib, max(rank.sizes.values())
    )
    name, replans = captioner_name(cfg), []
    while True:
        expected, used, restart = [], {}, False
        shards = rank.plans({"excluded": sorted(walk.bad), "shard_rows": shard_rows}, name)
        for i, shard in enumerate(shards):
            expected.append(shard.path)
            ids = sorted(shard.image_ids())
            new_bad = walk.ensure([records[sid] for sid in ids], desc=f"plan: images of shard {i + 1}")
            if new_bad:
                logger.warning("%d unreadable image(s) found; planning again without them", len(new_bad))
                replans.append({"shard": i, "images": sorted(new_bad)})
                restart = True
                break
            used.update({sid: store.digest(sid) for sid in ids})
        if not restart:
            break
    if len(expected) != setup["shards"]:
        (rank.dir / "setup.json").unlink()
        raise UserError(
            f"the plan has {len(expected)} shards, the shard stage was started for {setup['shards']} (the "
            "sources changed since it started); rerun the same `s2h build` command"
        )
    epoch = hashlib.sha256(json.dumps([sorted(walk.bad), shard_rows, expected]).encode()).hexdigest()[:16]
    digest = _sources_digest(rank.sources)
    result = {
        "epoch": epoch,
        "shard_rows": shard_rows,
        "expected": expected,
        "excluded": dict(sorted(walk.bad.items())),
        "replans": replans,
        "captioner": name,
        "content": content_fingerprint(digest, used),
        "images": len(used),
        "stored": store.stored(),
    }
    _void_stale_markers(rank.dir, epoch)
    atomic_write(rank.dir / "plan.json", json.dumps(result, indent=1).encode())
    rank.clock.lap("plan")
    rank.report(
        "plan", {"images": {"encoded": store.encoded, "decoded": store.decoded}, "replans": len(replans)}
    )


def _void_stale_markers(folder: Path, epoch: str) -> None:
    """A plan with another bad-image epoch than the last one voids the later stages' completion markers
    and reports: a shard written under the old plan is never taken for one of the new."""
    try:
        earlier = json.loads((folder / "plan.json").read_text()).get("epoch")
    except (OSError, ValueError):
        earlier = None
    if earlier == epoch:
        return
    for stage in VOIDED_BY_PLAN:
        shutil.rmtree(folder / stage / "completions", ignore_errors=True)
        for report in (folder / "reports").glob(f"{stage}-*.json"):
            report.unlink()


# --- captions: each unique request of the whole plan asked once, a 1/K slice per rank --------------------


def _rank_captioner(rank: Rank, part: str):
    """The build's captioner, its cache writing a file of this rank's own."""
    captioner = make_captioner(rank.cfg.captioner_config)
    cache = getattr(captioner, "cache", None)
    if cache is not None:
        captioner.cache = CaptionCache(
            cache.path.parent, cache.model, cache.settings, fsync=cache.fsync, part=part
        )
        cache.close()
    return captioner


def captions(rank: Rank) -> None:
    plan_file = rank.read("plan.json")
    _seed_content_ids(rank.store(""), rank)
    captioner = _rank_captioner(rank, f"captions-{rank.rank:05d}")
    try:
        requests, edit_rows = {}, []
        for shard in rank.plans(plan_file, captioner.name):
            for rows in shard.candidates.values():
                for row in rows:
                    requests.update(dict.fromkeys(_text_requests(row)))
                    if isinstance(row.rejected, EditRequest) and "fact" in row.rejected.kinds:
                        edit_rows.append(row.rejected)
        mine = list(requests)[rank.rank :: rank.world]
        texts = dict(zip(mine, captioner.resolve(mine, rank.records))) if mine else {}
        edits = []
        if getattr(captioner, "edits_captions", False):  # second round: edits of this rank's own captions
            wanted = (model_edit_request(e, texts[e.base]) for e in edit_rows if e.base in texts)
            edits = list(dict.fromkeys(wanted))
            if edits:
                captioner.resolve(edits, rank.records)
        rank.clock.lap("captions")
        rank.report(
            "captions",
            {
                "captions": captioner.stats(),
                "requests": {"unique": len(requests), "mine": len(mine), "edits": len(edits)},
            },
        )
    finally:
        captioner.close()


# --- shards: one planned shard per rank, its images from the store, its texts from the cache ---------------


def shards(rank: Rank) -> None:
    cfg, records = rank.cfg, rank.records
    plan_file = rank.read("plan.json")
    if rank.rank >= len(plan_file["expected"]):
        return
    store = rank.store(f"shard-{rank.rank:05d}")
    _seed_content_ids(store, rank)
    scorer = process_scorer(cfg)
    captioner = _rank_captioner(rank, f"shard-{rank.rank:05d}")
    try:
        shard = next(s for i, s in enumerate(rank.plans(plan_file, captioner.name)) if i == rank.rank)
        ids = sorted(shard.image_ids())
        if store.ensure([records[sid] for sid in ids], desc=f"shard {rank.rank + 1}: images"):
            raise UserError(
                f"{shard.path}: an image became unreadable since the plan; rerun the same command"
            )
        keys_dir = rank.dir.parent / "keys" / f"{rank.rank:05d}"
        keys_dir.mkdir(parents=True, exist_ok=True)
        keys = ShardKeys(
            keys_dir,
            _run_fingerprint(cfg, scorer),
            _sources_digest(rank.sources),
        )
        key = keys.key(shard.path, frozenset(plan_file["excluded"]), {sid: store.digest(sid) for sid in ids})
        target = rank.root / "repo" / shard.path
        counts = {"written": 0, "reused": 0}
        rank.clock.lap("plan_and_encode_images")
        if target.exists() and keys.matches(shard.path, key):
            counts["reused"] = 1
        else:
            rows = finish_shard(shard, cfg.seed, captioner, records, scorer, cfg.filter_quantile)
            rank.clock.lap("captions_and_filter")
            write_shard(target, rows, store, cfg.row_group_mib)
            keys.record(shard.path, key)
            counts["written"] = 1
            rank.clock.lap("write_shards")
        rank.report(
            "shards",
            {
                "shard": shard.path,
                "shards": counts,
                "captions": captioner.stats(),
                "filter": scorer.stats() if scorer else None,
                "images": {"encoded": store.encoded, "decoded": store.decoded},
            },
        )
    finally:
        captioner.close()


# --- publish: `s2h merge` without the copy -------------------------------------------------------------


def publish(rank: Rank) -> None:
    from ..merge import publish_parts

    cfg = rank.cfg
    plan_file = rank.read("plan.json")
    staging = Staging(cfg.out_path).lock()
    try:
        replaces = check_target(cfg.out_path, cfg.overwrite)
        expected = plan_file["expected"]
        _drop_stale_shards(staging.repo, expected)
        missing = [p for p in expected if not (staging.repo / p).is_file()]
        if missing:
            raise UserError(
                f"{len(missing)} planned shard(s) missing, e.g. {missing[0]} (a re-plan voided them); rerun the "
                "same `s2h build` command"
            )
        reports = {p.stem: json.loads(p.read_text()) for p in sorted((rank.dir / "reports").glob("*.json"))}
        ordered = sorted(
            reports.values(), key=lambda r: "shard" not in r
        )  # a shard report first: its captioner
        for report in ordered:
            report.setdefault("captions", {"captioner": plan_file["captioner"]})
            report.setdefault("shards", {})
            report.setdefault("filter", None)
        skipped = {sid: {"source_id": sid, "reason": why} for sid, why in plan_file["excluded"].items()}
        encoded = {
            k: r["images"]["encoded"] for k, r in reports.items() if r.get("images", {}).get("encoded")
        }
        sampled = rank.read("setup.json").get("encoded", 0)  # the driver's sample for the shard size
        encoded.update({"driver": sampled} if sampled else {})
        asked = {
            k: r["captions"]["misses"] for k, r in reports.items() if r.get("captions", {}).get("misses")
        }
        origin = {
            "engine": {
                "executor": cfg.executor,
                "ranks": len(reports),
                "replans": plan_file["replans"],
                "images_encoded_per_rank": encoded,
                "captions_asked_per_rank": asked,
                "unique_images": plan_file["images"],
                "images_in_store": plan_file["stored"],
            }
        }
        rank.clock.lap("publish")
        publish_parts(
            staging,
            cfg.out_path,
            cfg,
            ordered,
            expected,
            skipped,
            plan_file["content"],
            origin,
            rank.clock,
            replaces,
        )
    finally:
        staging.unlock()


STAGES = {"encode": encode, "plan": plan, "captions": captions, "shards": shards, "publish": publish}
