"""The one layout module: shard paths round-trip, malformed names are refused, validate sees every config."""

from __future__ import annotations

import shutil

import pytest
import yaml

from s2h_dataset.layout import CONFIG_LEVELS, SPLITS, parse_shard_path, shard_glob, shard_path, split_of
from s2h_dataset.validate import validate


@pytest.mark.parametrize(
    "level,split,index,count", [(1, "train", 0, 1), (3, "test", 4, 12), (2, "train", 99, 100)]
)
def test_shard_path_round_trips(level, split, index, count):
    path = shard_path(level, split, index, count)
    assert path.startswith(f"data/level{level}/{split}-")
    name = parse_shard_path(path)
    assert (name.level, name.split, name.index, name.count) == (level, split, index, count)
    assert name.path == path
    assert path.replace(f"-{index:05d}-", "-*-", 1).endswith(".parquet")
    assert shard_glob(level, split) == f"data/level{level}/{split}-*.parquet"


@pytest.mark.parametrize(
    "path",
    [
        "data/level4/train-00000-of-00001.parquet",  # no such level
        "data/level1/valid-00000-of-00001.parquet",  # no such split
        "data/level1/train.parquet",
        "data/level1/train-00001-of-00001.parquet",  # index past the count
        "data/level1/train-00000-of-00001 (copy).parquet",
        "level1/train-00000-of-00001.parquet",
    ],
)
def test_malformed_shard_paths_are_refused(path):
    assert parse_shard_path(path) is None


def test_split_of_is_stable_and_nested():
    keys = [f"emoji:{i}" for i in range(2000)]
    small = {k for k in keys if split_of(k, 0.02) == "test"}
    large = {k for k in keys if split_of(k, 0.05) == "test"}
    assert small and small < large  # a smaller fraction holds out a subset of a larger one's images
    assert 0.03 < len(large) / len(keys) < 0.07
    assert set(SPLITS) == {split_of(k, 0.5) for k in keys}


def test_validate_reports_each_missing_config(built_dataset, tmp_path):
    """Every config, `all` included, must be in the card when its shards exist (the `all` check never fired)."""
    copy = tmp_path / "copy"
    shutil.copytree(built_dataset, copy)
    readme = copy / "README.md"
    _, front, body = readme.read_text().split("---\n", 2)
    meta = yaml.safe_load(front)
    meta["configs"] = [c for c in meta["configs"] if c["config_name"] not in ("all", "level2")]
    readme.write_text("---\n" + yaml.safe_dump(meta) + "---\n" + body)
    problems = "\n".join(validate(copy))
    for name in CONFIG_LEVELS:
        assert (f"config `{name}` missing" in problems) == (name in ("all", "level2"))
