"""`s2h validate DIR`: check a built folder before anyone loads or publishes it.

Checks the files against the build's manifest (SHA-256 of every file) and the shard set (names, complete
`NNNNN-of-NNNNN` counts; see `integrity.py`), the card's `configs:` against the files, every shard's schema
against `FEATURES`, and every row: image count = image placeholders, at least two images, chosen !=
rejected, target in range, level and task consistent with the folder, roles, JSON meta, ids unique across
the folder (so across every config), decodable images, and that no source image is in both train and
test, and that no row group reads back above the Hub viewer's limit (`rowgroups`); and that no task the
report's blind audit flags beyond its 95 % margin ships unless the build said `--keep-flagged`
(`holdback.py`). Returns a list of problems (empty = valid), one line each; a damaged folder never raises.
"""

from __future__ import annotations

import glob
import hashlib
import io
import json
from collections import defaultdict
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import yaml
from PIL import Image

from .card.blind_audit import FLAG, findings
from .integrity import check_files, is_regular, partial_shards, read_report
from .layout import CONFIG_LEVELS, DATA_DIR, SPLITS, ShardName, parse_shard_path, shard_glob
from .redact import error_line
from .rowgroups import check_row_groups
from .schema import FEATURES, LEVEL_TASKS

__all__ = ["validate"]

MAX_PROBLEMS = 200  # stop listing after this many; the first ones say what is wrong


def _front_matter(readme: Path) -> dict:
    if not is_regular(readme):
        raise ValueError("missing or not a regular file")
    text = readme.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise ValueError("README.md has no YAML front matter (--- ... ---)")
    return yaml.safe_load(text.split("---\n", 2)[1]) or {}


def _check_configs(root: Path, problems: list[str]) -> set[str]:
    """Every config's data_files resolve; return the shard paths they name."""
    try:
        meta = _front_matter(root / "README.md")
    except (OSError, ValueError, yaml.YAMLError) as err:
        problems.append(f"README.md: {err}")
        return set()
    named: set[str] = set()
    try:
        configs = {c.get("config_name"): c for c in meta.get("configs", [])}
        if not all({"split", "path"} <= set(e) for c in configs.values() for e in c.get("data_files", [])):
            raise KeyError("split/path")
    except (AttributeError, KeyError, TypeError):
        problems.append("README.md: `configs:` is not a list of {config_name, data_files: [{split, path}]}")
        return named
    for name, levels in CONFIG_LEVELS.items():
        if name not in configs and any(
            glob.glob(str(root / shard_glob(lv, split))) for lv in levels for split in SPLITS
        ):
            problems.append(f"README.md: config `{name}` missing although its shards exist")
    for name, config in configs.items():
        if name not in CONFIG_LEVELS:
            problems.append(f"README.md: config `{name}` is not one of {', '.join(CONFIG_LEVELS)}")
            continue
        for entry in config.get("data_files", []):
            patterns = entry["path"] if isinstance(entry["path"], list) else [entry["path"]]
            for pattern in patterns:
                named.update(_config_files(root, name, entry["split"], pattern, problems))
    return named


def _config_files(root: Path, name: str, split, pattern, problems: list[str]) -> list[str]:
    """The shards one `data_files` pattern of config `name` matches; a problem line when the pattern is not
    a relative path inside the folder, matches nothing, or matches anything but `split` shards of the
    config's levels."""
    where = f"README.md: config `{name}` split `{split}` pattern {pattern}"
    if (
        not isinstance(pattern, str)
        or not pattern
        or Path(pattern).is_absolute()
        or ".." in Path(pattern).parts
    ):
        problems.append(f"{where} is not a path inside the folder (data/levelL/SPLIT-*.parquet)")
        return []
    matches = sorted(Path(m).relative_to(root).as_posix() for m in glob.glob(str(root / pattern)))
    if not matches:
        problems.append(f"{where} matches no file")
    for match in matches:
        shard = parse_shard_path(match)
        if shard is None or shard.level not in CONFIG_LEVELS[name] or shard.split != split:
            problems.append(
                f"{where} matches {match}, not a `{split}` shard of {_levels(CONFIG_LEVELS[name])}"
            )
            return []
    return matches


def _levels(levels: tuple[int, ...]) -> str:
    return f"level {levels[0]}" if len(levels) == 1 else "levels " + ", ".join(map(str, levels))


def _check_row(where: str, row: dict, level: int, seen_ids: dict[str, str], problems: list[str]) -> dict:
    """Row-level checks; return the row's meta (empty when it is not a JSON object)."""
    images, parts = row["images"] or [], row["prompt"][0]["content"] if row["prompt"] else []
    placeholders = sum(part["type"] == "image" for part in parts)
    checks = [
        (row["id"] not in seen_ids, f"duplicate id (also in {seen_ids.get(row['id'])})"),
        (len(images) >= 2, f"{len(images)} image(s); rows need at least 2"),
        (
            placeholders == len(images),
            f"{len(images)} images but {placeholders} image placeholders in the prompt",
        ),
        (row["level"] == level, f"level {row['level']} in the level{level} folder"),
        (row["task"] in LEVEL_TASKS[level], f"task `{row['task']}` is not a level-{level} task"),
        (-1 <= row["target"] < len(images), f"target {row['target']} out of range for {len(images)} images"),
        ([m["role"] for m in row["prompt"]] == ["user"], "prompt must be one user message"),
        (
            [m["role"] for m in row["chosen"]] == ["assistant"] == [m["role"] for m in row["rejected"]],
            "chosen and rejected must each be one assistant message",
        ),
        (row["chosen"] != row["rejected"], "chosen equals rejected"),
        (all(p["text"] for m in row["chosen"] + row["rejected"] for p in m["content"]), "empty answer text"),
    ]
    problems += [f"{where} id={row['id']}: {message}" for ok, message in checks if not ok]
    seen_ids.setdefault(row["id"], where)
    try:
        meta = json.loads(row["meta"])
    except (TypeError, json.JSONDecodeError):
        meta = None
    if not isinstance(meta, dict):
        problems.append(f"{where} id={row['id']}: meta is not a JSON object")
        return {}
    return meta


def _check_images(where: str, row: dict, verified: set[bytes], problems: list[str]) -> None:
    for image in row["images"] or []:
        digest = hashlib.sha1(image["bytes"] or b"").digest()
        if digest in verified:
            continue
        try:
            with Image.open(io.BytesIO(image["bytes"])) as decoded:
                decoded.load()
            verified.add(digest)
        except Exception as err:  # any decoder failure is a problem to report, not to raise
            problems.append(f"{where} id={row['id']}: undecodable image ({type(err).__name__})")


def _first_line(err: Exception) -> str:
    return f"{type(err).__name__}: {error_line(err)}"


class _Enough(Exception):
    """Raised to stop reading once MAX_PROBLEMS are listed."""


def _check_shard(root: Path, shard: ShardName, state: dict, problems: list[str]) -> None:
    where = shard.path
    try:
        file = pq.ParquetFile(root / where)
        features = datasets.Features.from_arrow_schema(file.schema_arrow)
    except Exception as err:  # a foreign or damaged file: report, keep checking the others
        problems.append(f"{where}: cannot be read as parquet ({_first_line(err)})")
        return
    if features != FEATURES:
        problems.append(f"{where}: columns/types differ from the S2H schema")
        return
    try:
        for batch in file.iter_batches(batch_size=256):
            for row in batch.to_pylist():
                meta = _check_row(where, row, shard.level, state["ids"], problems)
                _check_images(where, row, state["verified"], problems)
                sources = meta.get("sources", [])
                state["sources"][shard.split].update(s for s in sources if isinstance(s, str))
                if len(problems) >= MAX_PROBLEMS:
                    raise _Enough
    except _Enough:
        raise
    except Exception as err:  # damaged pages or rows that do not fit the schema
        problems.append(f"{where}: damaged data ({_first_line(err)})")


def _check_flags(root: Path, problems: list[str]) -> None:
    """A task the report's blind audit flags beyond its 95 % margin is a problem, unless the build recorded
    `--keep-flagged` or the folder is one `--shard I/N` slice (the merge audits and holds back)."""
    report = read_report(root, [])  # a missing or unreadable report is `check_files`' problem to name
    if report is None or partial_shards(report) is not None:
        return
    if (report.get("arguments") or {}).get("keep_flagged") is True:
        return
    for entry in report.get("blind_audit") or []:
        clear = [f for f in findings(entry) if f["clear"]] if isinstance(entry, dict) else []
        if clear:
            figures = "; ".join(f"{f['reader']} {f['accuracy']:.3f} on {f['pairs']} pairs" for f in clear)
            problems.append(
                f"level {entry.get('level')} `{entry.get('task')}`: the blind audit tells chosen from rejected "
                f"without the images ({figures}; flag {FLAG:.2f}, beyond the 95 % margin) and the build did "
                "not say --keep-flagged; rebuild (it holds the task back) or rebuild with --keep-flagged"
            )


def validate(root: str | Path) -> list[str]:
    root = Path(root)
    if not (root / DATA_DIR).is_dir():
        return [f"{root}: no data/ folder; is this a folder made by `s2h build`?"]
    problems: list[str] = []
    shards = check_files(root, problems)
    _check_flags(root, problems)
    named = _check_configs(root, problems)
    problems += check_row_groups(root)  # early: an oversized row group is also costly to check row by row
    state = {"ids": {}, "verified": set(), "sources": defaultdict(set)}
    for shard in shards:
        if shard.path not in named:
            problems.append(f"{shard.path}: not referenced by any config in README.md")
        try:
            _check_shard(root, shard, state, problems)
        except _Enough:
            return problems[:MAX_PROBLEMS] + [f"stopped after {MAX_PROBLEMS} problems"]
    leaked = state["sources"]["train"] & state["sources"]["test"]
    if leaked:
        problems.append(f"{len(leaked)} source images are in both train and test, e.g. {sorted(leaked)[0]}")
    return problems
