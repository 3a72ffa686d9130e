"""The stages of `s2h build --executor`: encode, plan, captions, shards, publish (see `context.py` for
what they share and where they write)."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path

from ..atomic import atomic_write
from ..build import _run_fingerprint
from ..build_shards import shard_layout
from ..errors import UserError
from ..imagestore import ImageStore
from ..levels.negatives import EditRequest, model_edit_request
from ..plan import _text_requests, finish_shard, log_skips
from ..shardkeys import ShardKeys, content_fingerprint, drop_stale_shards, sources_digest
from ..staging import Staging, check_target
from ..writer import write_shard
from .context import Rank, captioner_name, process_scorer, rank_captioner, seed_content_ids

__all__ = ["STAGES", "VOIDED_BY_PLAN"]

logger = logging.getLogger(__name__)

VOIDED_BY_PLAN = ("captions", "shards", "publish")  # stages whose markers a new plan makes stale

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
    shard_rows, _ = shard_layout(cfg, list(records.values()), walk, rank.sizes)
    name, replans = captioner_name(cfg), []
    while True:
        expected, used, restart = [], {}, False
        skipped_tasks, shards = rank.plans({"excluded": sorted(walk.bad), "shard_rows": shard_rows}, name)
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
            rank.save_plan(i, shard)  # a re-plan saves every shard again
        if not restart:
            break
    log_skips([s for s in skipped_tasks if s not in setup.get("skipped_tasks", [])])
    if len(expected) != setup["shards"]:
        (rank.dir / "setup.json").unlink()
        raise UserError(
            f"the plan has {len(expected)} shards, the shard stage was started for {setup['shards']} (the "
            "sources changed since it started); rerun the same `s2h build` command"
        )
    epoch = hashlib.sha256(json.dumps([sorted(walk.bad), shard_rows, expected]).encode()).hexdigest()[:16]
    digest = sources_digest(rank.sources)
    result = {
        "epoch": epoch,
        "shard_rows": shard_rows,
        "expected": expected,
        "excluded": dict(sorted(walk.bad.items())),
        "replans": replans,
        "skipped_tasks": skipped_tasks,  # the final plan's (`check_pools`): the report and the card list them
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


def captions(rank: Rank) -> None:
    plan_file = rank.read("plan.json")
    seed_content_ids(rank.store(""), rank)
    captioner = rank_captioner(rank, f"captions-{rank.rank:05d}")
    try:
        requests, edit_rows = {}, []
        for shard in map(rank.shard_plan, range(len(plan_file["expected"]))):
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
    seed_content_ids(store, rank)
    scorer = process_scorer(cfg)
    captioner = rank_captioner(rank, f"shard-{rank.rank:05d}")
    try:
        shard = rank.shard_plan(rank.rank)
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
            sources_digest(rank.sources),
        )
        # the split's file signatures are in the run key already: a changed file restarts every stage
        images = {sid: store.digest(sid) for sid in ids}
        key = keys.key(shard.path, frozenset(plan_file["excluded"]), images, pool="in the run key")
        target = rank.root / "repo" / shard.path
        counts = {"written": 0, "reused": 0}
        rank.clock.lap("plan_and_encode_images")
        if target.exists() and keys.matches(shard.path, key):
            counts["reused"] = 1
        else:
            rows = finish_shard(
                shard, captioner, records, seed=cfg.seed, scorer=scorer, quantile=cfg.filter_quantile
            )
            rank.clock.lap("captions_and_filter")
            keys.record(shard.path, None)  # no key while the file changes
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
        drop_stale_shards(staging.repo, expected)
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
            reports=ordered,
            expected=expected,
            bad_images=skipped,
            skipped_tasks=plan_file.get("skipped_tasks", []),
            content=plan_file["content"],
            origin=origin,
            clock=rank.clock,
            replaces=replaces,
        )
    finally:
        staging.unlock()


STAGES = {"encode": encode, "plan": plan, "captions": captions, "shards": shards, "publish": publish}
