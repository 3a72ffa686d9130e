"""`s2h validate` on tampered folders: every corruption is one problem line (never a traceback), and the
manifest in build_report.json catches what the row checks cannot (deleted, stray or altered files)."""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from s2h_dataset.build import BuildConfig, build
from s2h_dataset.cli import main
from s2h_dataset.validate import validate

SHARD = "data/level1/train-00000-of-00003.parquet"


@pytest.fixture(scope="module")
def multi_shard(tmp_path_factory):
    """3 train shards + 1 test shard per level, so a deleted shard leaves its config's glob matching."""
    out = tmp_path_factory.mktemp("integrity") / "s2h"
    return build(
        BuildConfig(
            out=str(out), n_per_level=30, test_fraction=0.2, filter=False, shard_rows=8, arithmetic_pool=64
        )
    )


@pytest.fixture
def copy(multi_shard, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(multi_shard, target, symlinks=True)
    return target


def _delete(root: Path):
    (root / "data/level1/train-00001-of-00003.parquet").unlink()
    return ["data/level1/train-00001-of-00003.parquet: missing (1 of 3 `train` shards absent)"]


def _stray_other_name(root: Path):
    shutil.copyfile(root / SHARD, root / "data/level1/train-copy.parquet")
    return ["data/level1/train-copy.parquet: not a shard name", "not in the build's manifest"]


def _stray_shard_name(root: Path):
    shutil.copyfile(root / SHARD, root / "data/level2/train-00000-of-00004.parquet")
    return [
        "shards disagree on their count",
        "duplicate id (also in data/level1/train-00000-of-00003.parquet)",
    ]


def _flip_image_bytes(root: Path):
    path = root / SHARD
    data = bytearray(path.read_bytes())
    start = len(data) // 2  # the middle of a shard is image bytes (the dictionary page)
    data[start : start + 64] = random.Random(0).randbytes(64)
    path.write_bytes(bytes(data))
    return [f"{SHARD}: its bytes differ from the build's manifest"]


def _broken_footer(root: Path):
    path = root / SHARD
    data = bytearray(path.read_bytes())
    data[-12:-4] = b"\xff" * 8  # footer length and metadata end
    path.write_bytes(bytes(data))
    return [f"{SHARD}: cannot be read as parquet"]


def _truncated(root: Path):
    path = root / SHARD
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return [f"{SHARD}: cannot be read as parquet"]


def _empty(root: Path):
    (root / SHARD).write_bytes(b"")
    return [f"{SHARD}: cannot be read as parquet"]


def _symlink(root: Path):
    (root / SHARD).unlink()
    os.symlink(root / "README.md", root / SHARD)
    return [f"{SHARD}: is a symlink"]


def _level4(root: Path):
    (root / "data/level4").mkdir()
    shutil.copyfile(root / SHARD, root / "data/level4/train-00000-of-00001.parquet")
    return ["data/level4: not a level folder of this dataset"]


def _meta_not_json(root: Path):
    path = root / SHARD
    table = pq.read_table(path)
    rows = table.to_pylist()
    rows[0]["meta"] = "{not json"
    pq.write_table(table.from_pylist(rows, schema=table.schema), path)
    return ["meta is not a JSON object"]


def _report_not_json(root: Path):
    (root / "build_report.json").write_text("{oops")
    return ["build_report.json: not readable JSON"]


CASES = [
    _delete,
    _stray_other_name,
    _stray_shard_name,
    _flip_image_bytes,
    _broken_footer,
    _truncated,
    _empty,
    _symlink,
    _level4,
    _meta_not_json,
    _report_not_json,
]


def test_the_build_validates(multi_shard):
    assert validate(multi_shard) == []
    manifest = json.loads((multi_shard / "build_report.json").read_text())["manifest"]
    assert manifest[SHARD]["rows"] == 8 and len(manifest[SHARD]["sha256"]) == 64
    assert {"README.md", "data/level3/test-00000-of-00001.parquet"} <= set(manifest)


@pytest.mark.parametrize("damage", CASES, ids=lambda f: f.__name__.strip("_"))
def test_each_corruption_is_reported_in_one_line(copy, damage, capsys):
    expected = damage(copy)
    problems = validate(copy)
    assert problems and all("\n" not in p for p in problems), problems
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)
    assert main(["validate", str(copy)]) == 1  # through the CLI: a problem list, not a traceback
    assert "Traceback" not in capsys.readouterr().err
