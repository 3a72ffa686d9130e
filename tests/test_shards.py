"""Distributed builds: `--shard I/N` slices merged with `s2h merge` equal one single-machine build."""

from __future__ import annotations

import json
import shutil

import pytest

from s2h_dataset.build import BuildConfig, build
from s2h_dataset.cli import main
from s2h_dataset.errors import UserError
from s2h_dataset.merge import merge


def _cfg(out, shard="1/1"):
    return BuildConfig(
        out=str(out),
        n_per_level=40,
        test_fraction=0.2,
        shard_rows=12,
        arithmetic_pool=64,
        filter=True,
        seed=2,
        shard=shard,
    )


def _parquet(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.glob("data/*/*.parquet"))}


@pytest.fixture(scope="module")
def single_and_shards(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shards")
    single = build(_cfg(tmp / "single"))
    halves = [build(_cfg(tmp / f"part{i}", shard=f"{i}/2")) for i in (1, 2)]
    return tmp, single, halves


def test_each_shard_writes_its_own_slice(single_and_shards):
    _, single, (first, second) = single_and_shards
    a, b = set(_parquet(first)), set(_parquet(second))
    assert a and b and not a & b and a | b == set(_parquet(single))
    report = json.loads((first / "build_report.json").read_text())
    assert sorted(report["shard_files"]["expected"]) == sorted(_parquet(single))


def test_merge_equals_single_build(single_and_shards):
    tmp, single, halves = single_and_shards
    assert main(["merge", str(tmp / "merged"), str(halves[1]), str(halves[0])]) == 0
    merged = tmp / "merged"
    assert _parquet(merged) == _parquet(single)  # same row ids, same bytes
    report = json.loads((merged / "build_report.json").read_text())
    assert report["rows"] == json.loads((single / "build_report.json").read_text())["rows"]
    assert {"copy_shards", "card", "write_shards"} <= set(report["timings_s"])


def test_merge_refuses_incomplete_or_mixed_sets(single_and_shards, tmp_path):
    _tmp, _single, halves = single_and_shards
    with pytest.raises(UserError, match=r"shard\(s\) missing"):
        merge(tmp_path / "x", [halves[0]])
    with pytest.raises(UserError, match="is in both"):
        merge(tmp_path / "y", [halves[0], halves[0], halves[1]])
    other = build(
        BuildConfig(
            out=str(tmp_path / "other"),
            n_per_level=40,
            test_fraction=0.2,
            shard_rows=12,
            arithmetic_pool=64,
            filter=True,
            seed=3,
            shard="2/2",
        )
    )
    with pytest.raises(UserError, match=r"other arguments.*seed"):
        merge(tmp_path / "z", [halves[0], other])


def test_merge_refuses_shards_filtered_on_other_runtimes(single_and_shards, tmp_path, monkeypatch):
    """Same arguments (`--filter-backend auto`) but one machine lacked onnxruntime: its half ran torch."""
    from s2h_dataset import encoders

    _, _, halves = single_and_shards
    monkeypatch.setattr(encoders, "onnx_available", lambda: False)
    torch_half = build(_cfg(tmp_path / "torch-half", shard="2/2"))
    assert json.loads((torch_half / "build_report.json").read_text())["filter"]["backend"] == "torch"
    with pytest.raises(UserError, match=r"different runtimes .*onnx.*torch"):
        merge(tmp_path / "merged", [halves[0], torch_half])
    assert not (tmp_path / "merged").exists()


def _copy_part(part, dest, edit):
    """A copy of a shard folder whose build_report.json went through `edit(report)`."""
    shutil.copytree(part, dest)
    report = json.loads((dest / "build_report.json").read_text())
    edit(report)
    (dest / "build_report.json").write_text(json.dumps(report))
    return dest


def _files(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize("bad", ["data/level3/../../../../escaped.parquet", "../escaped.parquet", "/tmp/x"])
def test_merge_refuses_a_shard_path_outside_the_layout_and_writes_nothing(single_and_shards, tmp_path, bad):
    _tmp, _single, halves = single_and_shards
    work = tmp_path / "a" / "b"

    def add_bad(report, here=False):
        report["shard_files"]["expected"].append(bad)
        if here:
            report["shard_files"]["written_here"].append(bad)

    first = _copy_part(halves[0], work / "p1", add_bad)
    second = _copy_part(halves[1], work / "p2", lambda r: add_bad(r, here=True))
    (second / "data" / "level3" / "../../../../escaped.parquet").resolve().write_bytes(b"PAR1")
    before = _files(tmp_path)
    with pytest.raises(UserError, match=r"not a shard path \(data/levelL/SPLIT-IIIII-of-NNNNN.parquet\)"):
        merge(tmp_path / "out", [first, second])
    assert _files(tmp_path) == before


def test_merge_refuses_a_shard_that_is_a_symlink_out_of_its_folder(single_and_shards, tmp_path):
    _tmp, _single, halves = single_and_shards
    second = _copy_part(halves[1], tmp_path / "p2", lambda r: None)
    shard = sorted(second.glob("data/*/*.parquet"))[0]
    outside = tmp_path / "secret.parquet"
    shard.rename(outside)
    shard.symlink_to(outside)
    with pytest.raises(UserError, match="not a regular file inside"):
        merge(tmp_path / "out", [halves[0], second])
    assert not (tmp_path / "out").exists()


def test_merge_of_parts_with_different_shard_counts_names_the_counts(single_and_shards, tmp_path):
    _tmp, _single, halves = single_and_shards
    third = _copy_part(halves[1], tmp_path / "p2of3", lambda r: r["arguments"].update(shard="2/3"))
    with pytest.raises(
        UserError, match=r"--shard 2/3 but \S+ with --shard 1/2: the parts of one build share"
    ):
        merge(tmp_path / "out", [halves[0], third])


def test_merge_into_one_of_its_parts_is_refused(single_and_shards, tmp_path):
    _tmp, _single, halves = single_and_shards
    part = _copy_part(halves[0], tmp_path / "p1", lambda r: None)
    with pytest.raises(UserError, match="is the input"):
        merge(part, [part, halves[1]], overwrite=True)
    assert _files(part) == _files(halves[0])
