"""`s2h merge OUT SHARD_DIRS...`: join the folders of a sharded build (`--shard I/N`) into one dataset.

Each shard folder's `build_report.json` names the arguments it was built with and the shard files of the
whole build. The merge checks that all folders come from the same arguments and together hold every shard
exactly once, copies the shards, renders the card from them, validates and renames into place: the result
has the bytes of a single-machine build with the same arguments.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import stat
from pathlib import Path

from .atomic import atomic_write, sha256_file
from .build import Stopwatch, fingerprint, public_arguments, publish
from .card.blind_audit import blind_audit
from .card.render import write_card
from .configs import BuildConfig
from .errors import UserError
from .holdback import hold_back
from .layout import REPORT_FILE, parse_shard_path
from .staging import Staging, check_apart, check_target, filesystem_error, sweep_orphan

__all__ = ["merge", "publish_parts"]


def _report(folder: Path) -> dict:
    try:
        report = json.loads((folder / REPORT_FILE).read_text())
    except (OSError, ValueError):
        report = None
    if not isinstance(report, dict) or not isinstance(report.get("arguments"), dict):
        raise UserError(f"{folder}: no readable {REPORT_FILE}; pass folders made by `s2h build --shard I/N`")
    return report


def _shard_paths(folder: Path, report: dict, key: str) -> list[str]:
    """The `shard_files[key]` list of a part's report; `UserError` unless every entry is a layout shard path
    (`data/levelL/SPLIT-IIIII-of-NNNNN.parquet`) naming a regular file inside `folder` (for `written_here`)."""
    files = report.get("shard_files")
    paths = files.get(key) if isinstance(files, dict) else None
    if not isinstance(paths, list):
        raise UserError(f"{folder / REPORT_FILE}: no `shard_files.{key}` list; rebuild that shard folder")
    for path in paths:
        name = parse_shard_path(path) if isinstance(path, str) else None
        if name is None or name.path != path:
            raise UserError(
                f"{folder / REPORT_FILE}: `shard_files.{key}` lists {json.dumps(path)}, not a shard path "
                "(data/levelL/SPLIT-IIIII-of-NNNNN.parquet); rebuild that shard folder"
            )
        if key == "written_here" and not _regular_inside(folder, path):
            raise UserError(
                f"{folder / path}: not a regular file inside {folder} (missing, a symlink or a special file); "
                "rebuild that shard folder"
            )
    return paths


def _regular_inside(folder: Path, path: str) -> bool:
    """Whether `folder/path` is a regular file reached without leaving `folder` through a symlink."""
    target = folder / path
    try:
        return target.resolve(strict=True) == folder.resolve() / path and stat.S_ISREG(target.stat().st_mode)
    except (OSError, RuntimeError):
        return False


def _check_shard_counts(folders: list[Path], configs: list[BuildConfig]) -> None:
    """The parts of one build were made with the same N in `--shard I/N`."""
    for folder, cfg in zip(folders[1:], configs[1:]):
        if cfg.shard_index[1] != configs[0].shard_index[1]:
            raise UserError(
                f"{folder} was built with --shard {cfg.shard} but {folders[0]} with --shard {configs[0].shard}: "
                "the parts of one build share the N of --shard I/N; rebuild the odd ones with the same N"
            )


def _content(report: dict) -> str | None:
    sources = report.get("sources")
    return sources.get("fingerprint") if isinstance(sources, dict) else None


def _check_same_sources(folders: list[Path], reports: list[dict]) -> None:
    """The parts read the same source content (`sources.fingerprint` of their reports): the same arguments
    over a folder that changed between two machines' runs would mix old and new images in one dataset."""
    first = _content(reports[0])
    for folder, report in zip(folders[1:], reports[1:]):
        if _content(report) != first:
            raise UserError(
                f"{folder} was built from other source content than {folders[0]} (their build_report.json "
                "`sources.fingerprint` differ: images, labels or captions changed between the runs); rebuild "
                "every part from the same copy of the sources"
            )


def _sum(values) -> dict:
    total: dict = {}
    for value in values:
        for key, number in (value or {}).items():
            if isinstance(number, (int, float)) and not isinstance(number, bool):
                total[key] = round(total.get(key, 0) + number, 3)
    return total


def merge(out: str | Path, folders: list[str | Path], overwrite: bool = False) -> Path:
    out, folders = Path(out).expanduser().resolve(), [Path(f) for f in folders]
    sweep_orphan(out)
    check_apart(out, [(str(f), f) for f in folders])
    check_target(out, overwrite)
    clock = Stopwatch()
    reports = [_report(f) for f in folders]
    configs = [BuildConfig(**r["arguments"]) for r in reports]
    for folder, cfg in zip(folders[1:], configs[1:]):
        differing = sorted(k for k, v in fingerprint(cfg).items() if fingerprint(configs[0])[k] != v)
        if differing:
            raise UserError(
                f"{folder} was built with other arguments than {folders[0]} ({', '.join(differing)})"
            )
    _check_shard_counts(folders, configs)
    _check_same_sources(folders, reports)
    backends = {str(f): (r.get("filter") or {}).get("backend") for f, r in zip(folders, reports)}
    if len(set(backends.values())) > 1:  # `--filter-backend auto` picks per machine
        raise UserError(
            "the shards' filter encoders ran on different runtimes ("
            + ", ".join(f"{f}: {b}" for f, b in backends.items())
            + "); rebuild the odd ones with the same --filter-backend (onnx or torch)"
        )
    expected = _shard_paths(folders[0], reports[0], "expected")
    owner: dict[str, Path] = {}
    for folder, report in zip(folders, reports):
        for path in _shard_paths(folder, report, "written_here"):
            if path in owner:
                raise UserError(
                    f"shard {path} is in both {owner[path]} and {folder}; pass each shard folder once"
                )
            owner[path] = folder
    missing = [p for p in expected if p not in owner]
    if missing:
        raise UserError(
            f"{len(missing)} shard(s) missing, e.g. {missing[0]}; build them with the missing --shard I/N"
        )
    staging = Staging(out).lock()
    try:
        replaces = check_target(out, overwrite)  # again, under the lock
        _publish_merged(
            staging,
            out,
            folders=folders,
            reports=reports,
            configs=configs,
            owner=owner,
            expected=expected,
            clock=clock,
            replaces=replaces,
        )
    except UserError:
        staging.remove()  # a merge copies every shard again: nothing to resume
        raise
    except OSError as err:
        staging.remove()
        raise filesystem_error(err, staging.root) from None
    finally:
        staging.unlock()
    return out


def _manifest(report: dict) -> dict:
    manifest = report.get("manifest")
    return {k: v for k, v in manifest.items() if isinstance(v, dict)} if isinstance(manifest, dict) else {}


def _publish_merged(staging, out, *, folders, reports, configs, owner, expected, clock, replaces) -> None:
    shutil.rmtree(staging.repo, ignore_errors=True)  # a merge copies everything again: nothing to resume
    manifests = {folder: _manifest(report) for folder, report in zip(folders, reports)}
    for path in expected:
        (staging.repo / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(owner[path] / path, staging.repo / path)
        listed = (manifests[owner[path]].get(path) or {}).get("sha256")
        if listed and sha256_file(staging.repo / path) != listed:
            raise UserError(
                f"{owner[path] / path}: its bytes differ from that folder's manifest; rebuild that shard folder"
            )
    clock.lap("copy_shards")
    bad_images = {item["source_id"]: item for r in reports for item in r["skipped_images"]}
    origin = {"merged_from": [str(f) for f in folders]}
    publish_parts(
        staging,
        out,
        configs[0],
        reports=reports,
        expected=expected,
        bad_images=bad_images,
        skipped_tasks=reports[0].get("skipped_tasks", []),  # same arguments and sources: the same plan
        content=_content(reports[0]),
        origin=origin,
        clock=clock,
        replaces=replaces,
    )


def publish_parts(
    staging, out, cfg, *, reports, expected, bad_images, skipped_tasks, content, origin, clock, replaces
) -> None:
    """Card, report and final rename of a build whose shards were written by several parts (`s2h merge`,
    the ranks of `--executor`) and are in `staging.repo` now: the parts' `reports` are summed (timings,
    captions, shard and filter counts); `content` the sources' content
    fingerprint and `origin` what the report says of where the shards came from. `bad_images`: the
    images left out, by source id; `skipped_tasks`: the tasks the plan could not make (`plan.check_pools`)."""
    cfg = dataclasses.replace(cfg, out=str(out), shard="1/1")
    shard_timings = _sum(r["timings_s"] for r in reports)
    captions = {"captioner": reports[0]["captions"]["captioner"], **_sum(r["captions"] for r in reports)}
    blind, held, _ = hold_back(staging.repo, blind_audit(staging.repo), cfg.keep_flagged)
    rows = write_card(
        staging.repo,
        cfg,
        _sum([shard_timings, clock.seconds]),
        captions,
        blind=blind,
        held_back=held,
        skipped=skipped_tasks,
    )
    clock.lap("card")
    report = {
        "arguments": public_arguments(cfg),
        "rows": rows,
        **origin,
        "shard_files": {"expected": expected, "written_here": expected},
        "skipped_images": [bad_images[k] for k in sorted(bad_images)],
        "sources": {"fingerprint": content},
        "shards": _sum(r["shards"] for r in reports),
        "captions": captions,
        "filter": _sum(r["filter"] for r in reports) or None,
        "blind_audit": blind,
        "held_back": held,
        "skipped_tasks": skipped_tasks,
    }
    publish(staging, report, clock, replaces)
    report["timings_s"] = _sum([shard_timings, clock.seconds])  # the shards' stages + the merge's own
    atomic_write(out / REPORT_FILE, json.dumps(report, indent=1, default=str).encode())
