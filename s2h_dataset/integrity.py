"""What a built folder must hold, file by file: the manifest in `build_report.json` and the shard set.

The build records every file it publishes (path, size, SHA-256, and the row count of each shard) under
`manifest` in `build_report.json`. `check_files` compares the folder with it (missing, changed, added
files) and checks the shard set: every file under `data/` is a well-formed shard name of a known level
and split, a regular file (no symlinks), and every `(level, split)` has all of its `NNNNN-of-NNNNN` shards
(a `--shard I/N` folder: all the shards its report says it holds).
Each finding is one problem line; nothing here raises on a damaged folder.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq

from .atomic import atomic_write, sha256_file
from .layout import DATA_DIR, LEVELS, REPORT_FILE, ShardName, parse_shard_path

__all__ = ["check_files", "file_manifest", "partial_shards", "read_report", "refresh_entry"]


def _published_files(root: Path) -> list[str]:
    """Every non-hidden file (or symlink) under `root` except the report, as sorted relative paths."""
    paths = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts) or str(relative) == REPORT_FILE:
            continue
        if path.is_symlink() or path.is_file():
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
        path = root / relative
        if not (path.is_file() or path.is_symlink()):
            problems.append(f"{relative}: listed in the manifest but missing")
            continue
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


def _check_shard_set(
    root: Path, present: list[str], problems: list[str], slice_of: set[str] | None
) -> list[ShardName]:
    data = root / DATA_DIR
    known = {f"level{level}" for level in LEVELS}
    for folder in sorted(p for p in data.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if folder.name not in known:
            problems.append(
                f"{DATA_DIR}/{folder.name}: not a level folder of this dataset (expected level1-level{max(LEVELS)})"
            )
    shards: list[ShardName] = []
    by_group: dict[tuple[int, str], list[ShardName]] = defaultdict(list)
    for relative in present:
        if not relative.startswith(f"{DATA_DIR}/") or relative.split("/")[1] not in known:
            continue
        name = parse_shard_path(relative)
        if name is None:
            problems.append(
                f"{relative}: not a shard name (data/levelL/SPLIT-IIIII-of-NNNNN.parquet); a stray file"
            )
        elif (root / relative).is_symlink():
            problems.append(f"{relative}: is a symlink; a build writes regular files only")
        else:
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
    return sorted(shards, key=lambda n: n.path)


def check_files(root: Path, problems: list[str]) -> list[ShardName]:
    """Manifest and shard-set checks; return the shards fit to be read row by row."""
    present = _published_files(root)
    report = read_report(root, problems)
    _check_manifest(root, report, present, problems)
    return _check_shard_set(root, present, problems, partial_shards(report))
