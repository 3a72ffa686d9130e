"""What a built folder must hold, file by file: the manifest in `build_report.json` and the shard set.

The build records every file it publishes (path, size, SHA-256, and the row count of each shard) under
`manifest` in `build_report.json`. `check_files` compares the folder with it (missing, changed, added
files) and checks the shard set: every file of the folder and of the manifest is one of the layout's file
kinds (`layout.is_layout_file`), a regular file (no symlinks, FIFOs or devices, which are never opened),
and every `(level, split)` has all of its `NNNNN-of-NNNNN` shards (a `--shard I/N` folder: all the shards
its report says it holds).
Each finding is one problem line; nothing here raises on a damaged folder.
"""

from __future__ import annotations

import json
import os
import stat
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq

from .atomic import atomic_write, sha256_file
from .layout import (
    DATA_DIR,
    LAYOUT_KINDS,
    LEVELS,
    REPORT_FILE,
    ShardName,
    is_layout_file,
    parse_shard_path,
)

__all__ = [
    "check_files",
    "file_manifest",
    "is_regular",
    "partial_shards",
    "read_report",
    "refresh_entry",
]


def is_regular(path: Path) -> bool:
    """Whether `path` is a regular file (a symlink to one counts): the only kind a reader may open, since
    opening a FIFO blocks for ever."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _published_files(root: Path) -> list[str]:
    """Every non-hidden entry under `root` that is not a folder (files, symlinks, FIFOs...) except the
    report, as sorted relative paths."""
    paths = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts) or str(relative) == REPORT_FILE:
            continue
        if path.is_symlink() or not path.is_dir():
            paths.append(relative.as_posix())
    return sorted(paths)


def file_manifest(root: Path) -> dict[str, dict]:
    """{path: {bytes, sha256[, rows]}} of every file the build publishes (the report excluded)."""
    manifest = {}
    for relative in _published_files(root):
        path = root / relative
        entry = {"bytes": path.stat().st_size, "sha256": sha256_file(path)}
        if parse_shard_path(relative):
            entry["rows"] = pq.ParquetFile(path).metadata.num_rows
        manifest[relative] = entry
    return manifest


def refresh_entry(root: Path, relative: str) -> None:
    """Record the current bytes of one published file in the manifest (after a deliberate rewrite of a
    validated file, e.g. the card pointed at its Hub repo by `s2h push`)."""
    report_path = root / REPORT_FILE
    report = json.loads(report_path.read_text(encoding="utf-8"))
    path = root / relative
    report["manifest"][relative] = {"bytes": path.stat().st_size, "sha256": sha256_file(path)}
    atomic_write(report_path, json.dumps(report, indent=1, default=str).encode())


def read_report(root: Path, problems: list[str]) -> dict | None:
    if (root / REPORT_FILE).exists() and not is_regular(root / REPORT_FILE):
        problems.append(f"{REPORT_FILE}: not a regular file; rebuild the folder")
        return None
    try:
        report = json.loads((root / REPORT_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{REPORT_FILE}: missing; is this a folder made by `s2h build`?")
        return None
    except (OSError, ValueError) as err:
        problems.append(f"{REPORT_FILE}: not readable JSON ({type(err).__name__}); rebuild the folder")
        return None
    if not isinstance(report, dict):
        problems.append(f"{REPORT_FILE}: not a JSON object; rebuild the folder")
        return None
    return report


def _check_manifest(root: Path, report: dict | None, present: list[str], problems: list[str]) -> None:
    manifest = (report or {}).get("manifest")
    if report is not None and not isinstance(manifest, dict):
        problems.append(f"{REPORT_FILE}: no file manifest (built by an older version?); rebuild the folder")
    if not isinstance(manifest, dict):
        return
    for relative in present:
        if relative not in manifest:
            problems.append(f"{relative}: not in the build's manifest (a file added after the build)")
    for relative, entry in sorted(manifest.items()):
        if not is_layout_file(relative):
            problems.append(
                f"{REPORT_FILE}: its manifest lists {json.dumps(relative)}, not a file a build publishes "
                f"({LAYOUT_KINDS}); rebuild the folder"
            )
            continue
        path = root / relative
        if not (path.exists() or path.is_symlink()):
            problems.append(f"{relative}: listed in the manifest but missing")
            continue
        if not (path.is_symlink() or is_regular(path)):
            continue  # not a regular file: one line from `_check_kinds`
        try:
            if not isinstance(entry, dict) or path.is_symlink():
                changed = True
            else:
                changed = path.stat().st_size != entry.get("bytes") or sha256_file(path) != entry.get(
                    "sha256"
                )
        except OSError as err:
            problems.append(f"{relative}: unreadable ({err.strerror})")
            continue
        if changed:
            problems.append(
                f"{relative}: its bytes differ from the build's manifest (SHA-256); rebuild the folder"
            )


def partial_shards(report: dict | None) -> set[str] | None:
    """The shards a `--shard I/N` folder holds (it is one slice of a build), None for a whole build."""
    files = (report or {}).get("shard_files")
    if not isinstance(files, dict) or not isinstance(files.get("written_here"), list):
        return None
    here = set(files["written_here"])
    return here if here != set(files.get("expected") or []) else None


def _check_kinds(root: Path, present: list[str], problems: list[str]) -> tuple[list[str], set[str]]:
    """One line per entry that is not a layout file kind or not a regular file; return the entries of the
    layout's kinds and, among them, those not fit to be opened."""
    data = root / DATA_DIR
    known = {f"level{level}" for level in LEVELS}
    for folder in sorted(p for p in data.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if folder.name not in known:
            problems.append(
                f"{DATA_DIR}/{folder.name}: not a level folder of this dataset (expected level1-level{max(LEVELS)})"
            )
    good, unfit = [], set()
    for relative in present:
        parts = relative.split("/")
        if len(parts) > 2 and parts[0] == DATA_DIR and parts[1] not in known:
            continue  # its folder is reported above
        if not is_layout_file(relative):
            problems.append(
                f"{relative}: not a shard name (data/levelL/SPLIT-IIIII-of-NNNNN.parquet); a stray file"
                if parts[0] == DATA_DIR
                else f"{relative}: not a file a build publishes ({LAYOUT_KINDS}); remove it"
            )
            continue
        if (root / relative).is_symlink():
            problems.append(f"{relative}: is a symlink; a build writes regular files only")
            unfit.add(relative)
        elif not is_regular(root / relative):
            problems.append(
                f"{relative}: not a regular file (a FIFO, socket or device); a build writes regular files only"
            )
            unfit.add(relative)
        good.append(relative)
    return good, unfit


def _check_shard_set(
    present: list[str], unfit: set[str], problems: list[str], slice_of: set[str] | None
) -> list[ShardName]:
    shards: list[ShardName] = []
    by_group: dict[tuple[int, str], list[ShardName]] = defaultdict(list)
    for relative in present:
        name = parse_shard_path(relative)
        if name is not None:
            shards.append(name)
            by_group[name.level, name.split].append(name)
    for (level, split), names in sorted(by_group.items()):
        counts = sorted({n.count for n in names})
        if len(counts) > 1:
            problems.append(f"{DATA_DIR}/level{level}: `{split}` shards disagree on their count ({counts})")
            continue
        missing = sorted(set(range(counts[0])) - {n.index for n in names})
        if slice_of is not None:  # a --shard I/N folder holds only its own slice
            missing = [i for i in missing if ShardName(level, split, i, counts[0]).path in slice_of]
        if missing:
            first = ShardName(level, split, missing[0], counts[0]).path
            problems.append(f"{first}: missing ({len(missing)} of {counts[0]} `{split}` shards absent)")
    return sorted((n for n in shards if n.path not in unfit), key=lambda n: n.path)


def check_files(root: Path, problems: list[str]) -> list[ShardName]:
    """Manifest and shard-set checks; return the shards fit to be read row by row."""
    present = _published_files(root)
    report = read_report(root, problems)
    _check_manifest(root, report, present, problems)
    layout, unfit = _check_kinds(root, present, problems)
    return _check_shard_set(layout, unfit, problems, partial_shards(report))
