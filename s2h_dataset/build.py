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
import shutil
import time
from functools import partial
from pathlib import Path

from .atomic import atomic_write
from .build_shards import check_sources, write_shards
from .captioners import make_captioner
from .card.blind_audit import blind_audit
from .card.render import write_card
from .configs import OUTPUT_INDEPENDENT, BuildConfig
from .errors import UserError
from .filtering import PairScorer
from .holdback import hold_back
from .imagestore import ImageStore
from .integrity import file_manifest
from .layout import REPORT_FILE, SPLITS
from .plan import log_skips
from .progress import quiet, stage
from .redact import error_line, redact_obj
from .shardkeys import ShardKeys
from .sources import Sources, load_sources
from .staging import Staging, check_target, filesystem_error, sweep_orphan
from .validate import validate

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
        # `build_shards.write_shards` logs the resume once, with what it reuses
    else:  # new, or killed before its arguments were written: nothing in it can be trusted
        shutil.rmtree(staging.repo, ignore_errors=True)
        staging.work.mkdir(parents=True, exist_ok=True)
        atomic_write(args_file, json.dumps(current, indent=1).encode())
    return staging


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
    expected, mine, counts, content, skipped = write_shards(
        cfg,
        sources,
        sizes,
        store=store,
        staging=staging.root,
        captioner=captioner,
        scorer=scorer,
        run_fingerprint=_run_fingerprint(cfg, scorer),
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
    sizes, skipped = check_sources(cfg, sources)
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
