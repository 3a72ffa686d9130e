"""`s2h validate DIR`: check a built folder before anyone loads or publishes it.

Checks the card's `configs:` against the files, every shard's schema against `FEATURES`, and every row:
image count = image placeholders, at least two images, chosen != rejected, target in range, level and
task consistent with the folder, roles, JSON meta, unique ids, decodable images, that no source image
is in both train and test, and that no row group reads back above the Hub viewer's limit (`rowgroups`). Returns a list of problems (empty = valid).
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

from .layout import CONFIG_LEVELS, SPLITS, shard_glob
from .rowgroups import check_row_groups
from .schema import FEATURES, LEVEL_TASKS

__all__ = ["validate"]

MAX_PROBLEMS = 200  # stop listing after this many; the first ones say what is wrong


def _front_matter(readme: Path) -> dict:
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
    configs = {c.get("config_name"): c for c in meta.get("configs", [])}
    for name, levels in CONFIG_LEVELS.items():
        if name not in configs and any(
            glob.glob(str(root / shard_glob(lv, split))) for lv in levels for split in SPLITS
        ):
            problems.append(f"README.md: config `{name}` missing although its shards exist")
    for name, config in configs.items():
        for entry in config.get("data_files", []):
            patterns = entry["path"] if isinstance(entry["path"], list) else [entry["path"]]
            for pattern in patterns:
                matches = glob.glob(str(root / pattern))
                if not matches:
                    problems.append(
                        f"README.md: config `{name}` split `{entry['split']}` pattern {pattern} matches no file"
                    )
                named.update(str(Path(m).relative_to(root)) for m in matches)
    return named


def _check_row(where: str, row: dict, level: int, seen_ids: set[str], problems: list[str]) -> None:
    images, parts = row["images"], row["prompt"][0]["content"] if row["prompt"] else []
    placeholders = sum(part["type"] == "image" for part in parts)
    checks = [
        (row["id"] not in seen_ids, f"duplicate id {row['id']}"),
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
    seen_ids.add(row["id"])
    try:
        json.loads(row["meta"])
    except (TypeError, json.JSONDecodeError):
        problems.append(f"{where} id={row['id']}: meta is not JSON")


def _check_images(where: str, row: dict, verified: set[bytes], problems: list[str]) -> None:
    for image in row["images"]:
        digest = hashlib.sha1(image["bytes"] or b"").digest()
        if digest in verified:
            continue
        try:
            with Image.open(io.BytesIO(image["bytes"])) as decoded:
                decoded.load()
            verified.add(digest)
        except Exception as err:  # any decoder failure is a problem to report, not to raise
            problems.append(f"{where} id={row['id']}: undecodable image ({type(err).__name__})")


def validate(root: str | Path) -> list[str]:
    root = Path(root)
    if not (root / "data").is_dir():
        return [f"{root}: no data/ folder; is this a folder made by `s2h build`?"]
    problems: list[str] = []
    named = _check_configs(root, problems)
    problems += check_row_groups(root)  # first: an oversized row group is also costly to check row by row
    sources_by_split: dict[str, set[str]] = defaultdict(set)
    verified: set[bytes] = set()
    for shard in sorted((root / "data").glob("level*/*.parquet")):
        where = str(shard.relative_to(root))
        if where not in named:
            problems.append(f"{where}: not referenced by any config in README.md")
        level, split = int(shard.parent.name[len("level") :]), shard.name.split("-")[0]
        file = pq.ParquetFile(shard)
        try:
            features = datasets.Features.from_arrow_schema(file.schema_arrow)
        except Exception as err:  # a foreign or damaged file: report, keep checking the others
            problems.append(f"{where}: unreadable features ({err})")
            continue
        if features != FEATURES:
            problems.append(f"{where}: columns/types differ from the S2H schema")
            continue
        seen_ids: set[str] = set()
        for batch in file.iter_batches(batch_size=256):
            for row in batch.to_pylist():
                _check_row(where, row, level, seen_ids, problems)
                _check_images(where, row, verified, problems)
                sources_by_split[split].update(json.loads(row["meta"]).get("sources", []))
                if len(problems) >= MAX_PROBLEMS:
                    return problems + [f"stopped after {MAX_PROBLEMS} problems"]
    leaked = sources_by_split["train"] & sources_by_split["test"]
    if leaked:
        problems.append(f"{len(leaked)} source images are in both train and test, e.g. {sorted(leaked)[0]}")
    return problems
