"""`s2h build`: sources -> planned shards -> encoded images -> parquet shards + card, atomically.

Everything is written under a staging folder beside `--out` (`.<name>.partial/`, locked while a build
runs; see `staging.py`): `work/` holds the arguments and the encoded images; `repo/` becomes `--out` by
one rename once the card and the report (with a SHA-256 manifest of every file) are written and the
folder validates. An existing `--out` is replaced only with `--overwrite` and only when it is an earlier
build; file-system failures (disk full, read-only, a file in the way) end in one line. A rerun with the same arguments resumes: encoded images and finished shards are reused
(captions come back from the captioner's cache), so the result is the bytes of an uninterrupted build.
With `--shard I/N` only every N-th shard is written; `s2h merge` joins the shard folders.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import shutil
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from .atomic import atomic_write
from .blind_audit import blind_audit
from .captioners import make_captioner
from .card import write_card
from .configs import OUTPUT_INDEPENDENT, BuildConfig
from .errors import UserError
from .filtering import PairScorer
from .holdback import hold_back
from .imagestore import ImageStore
from .integrity import file_manifest
from .layout import REPORT_FILE, SPLITS
from .levels import TASKS, LevelContext
from .plan import check_pools, finish_shard, log_skips, plan_shards, split_pools, split_sizes, warn_small_test
from .progress import bar, quiet, stage
from .redact import error_line, redact_obj
from .shardkeys import ShardKeys, content_fingerprint, drop_stale_shards, pool_files, sources_digest
from .sources import Sources, check_supply, load_sources
from .staging import Staging, check_target, filesystem_error, sweep_orphan
from .validate import validate
from .writer import rows_per_shard, write_shard

__all__ = ["BuildConfig", "build", "fingerprint", "publish", "summary"]

logger = logging.getLogger(__name__)


def public_arguments(cfg: BuildConfig) -> dict:
    """The build's arguments as written to disk (report, staging): credentials redacted, absolute paths cut
    to their last part (nothing of the build machine is published)."""
    return redact_obj(dataclasses.asdict(cfg), paths=True)


def fingerprint(cfg: BuildConfig) -> dict:
    return {k: v for k, v in public_arguments(cfg).items() if k not in OUTPUT_INDEPENDENT}


class Stopwatch:
    """Seconds per stage, summed when a stage runs more than once."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._start = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(self.seconds.get(stage, 0.0) + now - self._start, 3)
        self._start = now


def _run_fingerprint(cfg: BuildConfig, scorer: PairScorer | None) -> dict:
    """`fingerprint(cfg)` with `--filter-backend auto` replaced by the runtime it picked on this machine
    (ONNX or torch embed a string a little differently, so their shards must not be mixed)."""
    return {**fingerprint(cfg), "filter_backend": scorer.backend if scorer else cfg.filter_backend}


def _open_staging(cfg: BuildConfig, scorer: PairScorer | None) -> Staging:
    """Lock the staging folder of `--out`; resume it when it holds this build, start it when it is new."""
    staging = Staging(cfg.out_path).lock()
    current = _run_fingerprint(cfg, scorer)
    args_file = staging.work / "args.json"
    try:
        saved = json.loads(args_file.read_text()) if args_file.exists() else None
    except ValueError:
        saved = {}  # unreadable: not ours to reuse
    if saved is not None:
        if saved != current:
            staging.unlock()
            differing = sorted(k for k in saved.keys() | current.keys() if saved.get(k) != current.get(k))
            raise UserError(
                f"{staging.root} holds an unfinished build with other arguments ({', '.join(differing)}); "
                "rerun that command to finish it or delete the folder"
            )
        # `_write_shards` logs the resume once, with what it reuses
    else:  # new, or killed before its arguments were written: nothing in it can be trusted
        shutil.rmtree(staging.repo, ignore_errors=True)
        staging.work.mkdir(parents=True, exist_ok=True)
        atomic_write(args_file, json.dumps(current, indent=1).encode())
    return staging


def _plan_build(
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
    pools = split_pools(sources, cfg.test_fraction, excluded)
    skipped = check_pools(
        pools,
        cfg.level_list,
        sizes,
        cfg.n_images,
        hardness=cfg.distractor_hardness,
        search_negatives=cfg.search_negative_list,
    )
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


def _write_shards(
    cfg, sources, sizes, *, store, staging, captioner, scorer, clock
) -> tuple[list[str], list[str], dict, str, list[dict]]:
    """Walk every shard: encode the images it depends on (all machines, so all skip the same bad files),
    then resolve, filter and write the shards that are this machine's, reusing a shard on disk only when
    its key matches (`ShardKeys`). Start over when an image turns out unreadable. Returns the expected and
    written-here shard paths, the counts, the content fingerprint of the sources the build used, and the
    tasks the final plan skips (`check_pools`)."""
    repo = staging / "repo"
    records = {r.source_id: r for r in sources.all_records()}
    digest = sources_digest(sources)
    _log_resume(staging, store, sources, digest)
    keys = ShardKeys(staging / "work", _run_fingerprint(cfg, scorer), digest)
    index, count = cfg.shard_index
    shard_rows = rows_per_shard(
        list(records.values()),
        store,
        cfg.n_images,
        shard_rows=cfg.shard_rows,
        shard_mib=cfg.shard_mib,
        most_rows=max(sizes.values()),
    )
    total = sum(
        math.ceil(sizes[split] / shard_rows) for _level in cfg.level_list for split in SPLITS if sizes[split]
    )
    n_mine = len(range(index, total, count))
    while True:
        expected, mine, counts, restart = [], [], {"written": 0, "reused": 0}, False
        used: dict[str, str] = {}
        shards = bar(desc="write shards", unit="shard", total=n_mine, leave=True)
        bad = frozenset(store.bad)
        skipped, plans = _plan_build(
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


def publish(
    staging: Staging, report: dict, clock: Stopwatch, replaces: tuple[int, int] | None = None
) -> Path:
    """Record the manifest in the report, validate the staged repo, and rename it to `--out`."""
    repo = staging.repo
    report["manifest"] = file_manifest(repo)
    atomic_write(repo / REPORT_FILE, json.dumps(report, indent=1, default=str).encode())
    with stage("validate the built folder", logger):
        problems = validate(repo)
    if problems:
        raise RuntimeError(
            "the built folder failed validation (a bug, please report it):\n" + "\n".join(problems[:20])
        )
    clock.lap("validate")
    report["timings_s"] = clock.seconds
    atomic_write(repo / REPORT_FILE, json.dumps(report, indent=1, default=str).encode())
    return staging.publish(replaces)


def build(cfg: BuildConfig) -> Path:
    """Build the dataset (or this machine's shards of it) described by `cfg`; return the output folder.

    Progress bars go to stderr (none with `cfg.quiet` or `TQDM_DISABLE`); `summary(out)` is the one line
    that says what was built. With `cfg.executor` the stages run on datatrove (`engine/`); with `slurm` they
    are submitted and `out` appears when the publish job ends."""
    if cfg.executor:
        from .engine import run_build

        run_build(cfg)
        return cfg.out_path
    with quiet(cfg.quiet):
        return _build(cfg)


def summary(out: Path) -> str:
    """One line from `out/build_report.json`: rows, shards written/reused, seconds, output folder."""
    report = json.loads((Path(out) / "build_report.json").read_text())
    rows = report.get("rows", {})
    shards = report.get("shards", {})
    seconds = sum(report.get("timings_s", {}).values())
    splits = {}
    for name, n in rows.items():  # `level1/train` -> n
        splits[name.split("/")[1]] = splits.get(name.split("/")[1], 0) + n
    levels = sorted({name.split("/")[0].removeprefix("level") for name in rows})
    written, reused = shards.get("written", 0), shards.get("reused", 0)
    return (
        f"built {sum(rows.values())} rows ({', '.join(f'{s} {splits[s]}' for s in SPLITS if s in splits)}; "
        f"levels {','.join(levels)}) in {written + reused} shards ({written} written, {reused} reused) "
        f"in {seconds:.1f} s: {out}"
    )


def _load_scorer(cfg: BuildConfig) -> PairScorer | None:
    if not cfg.filter:
        return None
    try:
        return PairScorer(cfg.filter_model, backend=cfg.filter_backend)
    except UserError:
        raise
    except Exception as err:  # sentence-transformers / transformers raise many types for a bad model
        first = error_line(err)
        raise UserError(
            f"--filter-model {cfg.filter_model}: cannot load it ({type(err).__name__}: {first}); give a "
            "sentence-transformers id or model folder, or pass --no-filter"
        ) from None


def _run(
    cfg: BuildConfig,
    staging: Staging,
    sources: Sources,
    sizes: dict,
    *,
    captioner,
    scorer,
    clock,
    logged_skips: list,
) -> dict:
    """Write the shards, the card and the report into the staging repo; return the report. The blind audit
    holds back flagged tasks (`holdback.py`) in a whole build; a `--shard I/N` slice leaves that to the merge.
    `logged_skips`: the task skips the up-front check warned of; a re-plan's new ones are warned of here."""
    store = ImageStore(staging.work / "images", cfg.image_size, cfg.image_format, cfg.workers)
    expected, mine, counts, content, skipped = _write_shards(
        cfg,
        sources,
        sizes,
        store=store,
        staging=staging.root,
        captioner=captioner,
        scorer=scorer,
        clock=clock,
    )
    log_skips([s for s in skipped if s not in logged_skips])
    captions = captioner.stats()  # hits, misses, fallbacks (and retries) reach build_report.json and the card
    with stage("blind audit (text-only readers per task)", logger):
        blind = blind_audit(staging.repo)
    whole = cfg.shard_index[1] == 1  # a `--shard I/N` slice is not the dataset: `s2h merge` holds back
    with stage("hold back the tasks the blind audit flags", logger):
        blind, held, _ = (
            hold_back(staging.repo, blind, cfg.keep_flagged, partial(ShardKeys.forget, staging.work))
            if whole
            else (blind, [], [])
        )
    clock.lap("blind_audit")
    with stage("dataset card, audits and plots", logger):
        rows = write_card(
            staging.repo,
            BuildConfig(**public_arguments(cfg)),
            clock.seconds,
            captions,
            blind=blind,
            held_back=held,
            skipped=skipped,
        )
    clock.lap("card")
    return {
        "arguments": public_arguments(cfg),
        "rows": rows,
        "shard_files": {"expected": expected, "written_here": mine},
        "skipped_images": [{"source_id": sid, "reason": reason} for sid, reason in sorted(store.bad.items())],
        "images": {"encoded_this_run": store.encoded, "decoded_this_run": store.decoded},
        "shards": counts,
        "captions": captions,
        # what the rows were made from, by content (pixels, labels, captions), not by path or name
        "sources": {**sources.stats(), "fingerprint": content},
        "filter": scorer.stats() if scorer else None,
        "blind_audit": blind,
        "held_back": held,
        "skipped_tasks": skipped,
    }


def _build(cfg: BuildConfig) -> Path:
    out = cfg.out_path
    sweep_orphan(out)
    check_target(out, cfg.overwrite, cfg.source)
    clock = Stopwatch()
    sources = load_sources(
        cfg.source,
        cfg.seed,
        arithmetic_pool=cfg.arithmetic_pool,
        image_column=cfg.image_column,
        label_column=cfg.label_column,
        caption_column=cfg.caption_column,
    )
    check_supply(sources, cfg.n_per_level)
    sizes = split_sizes(cfg.n_per_level, cfg.test_fraction)
    pools = split_pools(sources, cfg.test_fraction)
    skipped = check_pools(
        pools,
        cfg.level_list,
        sizes,
        cfg.n_images,
        hardness=cfg.distractor_hardness,
        search_negatives=cfg.search_negative_list,
    )
    log_skips(skipped)
    warn_small_test(pools, cfg.test_fraction)
    # the first seconds are silent otherwise: say what is being loaded before the bars start
    logger.info(
        "%d source images from %s; levels %s, %d rows each",
        len(sources.all_records()),
        ", ".join(cfg.source),
        ",".join(map(str, cfg.level_list)),
        cfg.n_per_level,
    )
    if cfg.filter:
        logger.info("loading the filter encoder %s", cfg.filter_model)
    scorer = _load_scorer(cfg)  # before any folder exists: a bad --filter-model leaves nothing behind
    captioner = make_captioner(cfg.captioner_config)  # after it: nothing to close if the encoder fails
    clock.lap("load_sources")

    staging = None
    try:
        staging = _open_staging(cfg, scorer)
        replaces = check_target(out, cfg.overwrite)  # again, under the lock: a racing build may have finished
        report = _run(
            cfg,
            staging,
            sources,
            sizes,
            captioner=captioner,
            scorer=scorer,
            clock=clock,
            logged_skips=skipped,
        )
        publish(staging, report, clock, replaces)
    except (UserError, OSError) as err:
        if staging is not None and not staging.has_output():
            staging.remove()  # nothing written yet: leave no unfinished build behind
        if isinstance(err, OSError):
            raise filesystem_error(err, staging.root if staging else None) from None
        raise
    finally:
        captioner.close()  # the HTTP client and the cache file
        if staging is not None:
            staging.unlock()
    return out  # the command prints `summary(out)`: no log line repeats it
