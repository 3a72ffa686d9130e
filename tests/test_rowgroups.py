"""Row groups sized by bytes: several per shard load and stream like one; validate refuses oversized ones."""

from __future__ import annotations

import io
import logging
import shutil

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from PIL import Image

from s2h_dataset.build import BuildConfig, build
from s2h_dataset.imagestore import ImageStore
from s2h_dataset.layout import CONFIG_LEVELS, SPLITS
from s2h_dataset.rowgroups import VIEWER_ROW_GROUP_MIB, row_group_sizes
from s2h_dataset.schema import RowSpec
from s2h_dataset.sources import emoji_records
from s2h_dataset.validate import validate
from s2h_dataset.writer import cut_row_groups, estimate_row_bytes, rows_per_shard

MIB = 1 << 20


def _cfg(out, **kw):
    return BuildConfig(
        out=str(out), n_per_level=100, test_fraction=0.2, seed=2, arithmetic_pool=64, filter=False, **kw
    )


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """The same rows written with the default row groups (one per shard here) and with 1 MiB ones."""
    tmp = tmp_path_factory.mktemp("rowgroups")
    return build(_cfg(tmp / "one")), build(_cfg(tmp / "small", row_group_mib=1))


def _texts(row: dict) -> dict:
    """Every column but the images; NaN similarity (filter off) as None so equal rows compare equal."""
    return {k: (None if k == "similarity" and v != v else v) for k, v in row.items() if k != "images"}


def _pixels(row: dict) -> list[tuple]:
    assert all(isinstance(image, Image.Image) for image in row["images"])
    return [(image.mode, image.size, image.tobytes()) for image in row["images"]]


def test_small_row_groups_split_shards_and_stay_under_the_limit(builds):
    one, small = builds
    for shard in sorted(small.glob("data/level*/train-*.parquet")):
        sizes = row_group_sizes(shard)
        assert len(sizes) >= 2, shard  # ~80 rows of ~30 KiB each: 3 groups of at most 1 MiB
        assert all(s.read_bytes <= MIB for s in sizes)
        # the computed read-back size is what Arrow really holds once the group is read
        file = pq.ParquetFile(shard)
        for s in sizes:
            assert abs(s.read_bytes - file.read_row_group(s.index).nbytes) < 0.001 * s.read_bytes
    for shard in one.glob("data/level*/*.parquet"):
        assert pq.ParquetFile(shard).metadata.num_row_groups == 1
    assert validate(small) == []
    largest = max(
        (s for p in small.glob("data/level*/*.parquet") for s in row_group_sizes(p)),
        key=lambda s: s.read_bytes,
    )
    card = (small / "README.md").read_text()
    assert f"reads back as {largest.read_bytes / MIB:.1f} MiB" in card and f"{largest.rows} rows)" in card


@pytest.mark.parametrize("config", list(CONFIG_LEVELS))
def test_several_row_groups_load_identically(builds, config):
    one, small = builds
    for split in SPLITS:
        a = datasets.load_dataset(str(one), config, split=split)
        b = datasets.load_dataset(str(small), config, split=split)
        assert len(a) == len(b) > 0
        for x, y in zip(a, b):
            assert _texts(x) == _texts(y)
            assert _pixels(x) == _pixels(y)


@pytest.mark.parametrize("which", ["default_build", "small_row_groups"])
def test_every_config_streams(builds, built_dataset, which):
    folder = built_dataset if which == "default_build" else builds[1]
    for config in CONFIG_LEVELS:
        streamed = datasets.load_dataset(str(folder), config, streaming=True)
        assert set(streamed) == set(SPLITS)
        for split in SPLITS:
            first = next(iter(streamed[split]))
            loaded = datasets.load_dataset(str(folder), config, split=split)[0]
            assert _texts(first) == _texts(loaded)
            assert _pixels(first) == _pixels(loaded)


def _noise_png(side: int) -> bytes:
    pixels = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG", compress_level=1)
    return out.getvalue()


def test_validate_fails_a_shard_with_an_oversized_row_group(builds, tmp_path, caplog):
    """A shard as the old one-row-group writer made it on a photo source: small on disk (its one image is
    stored once), far above the viewer's limit once every row's images are read."""
    folder = tmp_path / "big"
    shutil.copytree(builds[0], folder)
    shard = sorted(folder.glob("data/level1/train-*.parquet"))[0]
    original = pq.ParquetFile(shard)
    table = original.read().slice(0, 24)
    big = _noise_png(1060)  # ~3.2 MiB; 24 rows x 4 images of it read back as ~310 MiB
    counts = [len(images) for images in table["images"].to_pylist()]
    values = pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(sum(counts), dtype=np.int32)), pa.array([big], type=pa.binary())
    )
    element = pa.StructArray.from_arrays(
        [values, pa.nulls(sum(counts), pa.string())], names=["bytes", "path"]
    )
    images = pa.ListArray.from_arrays(pa.array(np.cumsum([0, *counts], dtype=np.int32)), element)
    table = table.set_column(table.schema.get_field_index("images"), "images", images)
    with pq.ParquetWriter(
        shard, table.schema, store_schema=False, dictionary_pagesize_limit=1 << 30
    ) as writer:
        writer.write_table(table)
        writer.add_key_value_metadata({"huggingface": original.metadata.metadata[b"huggingface"].decode()})
    assert shard.stat().st_size < 4 * MIB
    with caplog.at_level(logging.INFO, logger="s2h_dataset.rowgroups"):
        problems = validate(folder)
    oversized = [p for p in problems if "row group" in p]
    # the rewritten shard no longer matches the build's manifest either: that is the only other problem
    others = [p for p in problems if p not in oversized]
    assert len(oversized) == 1 and len(others) == 1, problems
    assert others[0].startswith(
        f"{shard.relative_to(folder).as_posix()}: its bytes differ from the build's manifest"
    )
    assert "data/level1/train-00000-of-00001.parquet: row group 0 (24 rows)" in oversized[0]
    assert f"above the Hub viewer's {VIEWER_ROW_GROUP_MIB} MiB" in oversized[0]
    assert "--row-group-mib" in oversized[0]
    report = [r.getMessage() for r in caplog.records if "largest row group" in r.getMessage()]
    assert report and "level1/train-00000-of-00001.parquet #0, 24 rows" in report[0]


def _spec(sources: list[str]) -> RowSpec:
    return RowSpec(level=3, task="which_image", source_ids=sources, prompt="p", chosen="a", rejected="b")


def test_cut_row_groups_keeps_order_and_isolates_an_oversized_row():
    sizes = {"small": 1000, "huge": 50_000}
    specs = [_spec(["small", "small"])] * 5 + [_spec(["huge", "small"])] + [_spec(["small", "small"])] * 3
    limit = 3 * estimate_row_bytes(specs[0], sizes)
    groups = cut_row_groups(specs, sizes, limit)
    assert groups == [(0, 3), (3, 5), (5, 6), (6, 9)]
    assert cut_row_groups([], sizes, limit) == []


def test_rows_per_shard_caps_rows_by_bytes(tmp_path):
    records = emoji_records()
    store = ImageStore(tmp_path / "images", 384, "auto")
    # small builds never encode a sample: even raw pixels could not reach the budget
    assert rows_per_shard(records, store, 4, shard_rows=10_000, shard_mib=512, most_rows=50) == 10_000
    assert store.encoded == 0
    rows = rows_per_shard(records, store, 4, shard_rows=10_000, shard_mib=2, most_rows=20_000)
    assert store.encoded > 0
    mean = np.mean([p.stat().st_size for p in (tmp_path / "images" / "blobs").rglob("*") if p.is_file()])
    assert rows == int(2 * MIB // (4 * mean + 2048))  # 2 MiB of rows of 4 mean-sized images
    assert (
        rows_per_shard(records, store, 4, shard_rows=10, shard_mib=2, most_rows=20_000) == 10
    )  # --shard-rows still caps
