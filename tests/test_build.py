"""`s2h build` end to end on the bundled images: Hub layout, loading, determinism, resume, atomicity."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from s2h_dataset import build as build_module
from s2h_dataset import build_shards
from s2h_dataset.build import BuildConfig, build
from s2h_dataset.validate import validate


def _parquet_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.glob("data/*/*.parquet"))}


def test_layout_card_and_report(built_dataset):
    files = sorted(str(p.relative_to(built_dataset)) for p in built_dataset.rglob("*") if p.is_file())
    assert "README.md" in files and "build_report.json" in files
    for level in (1, 2, 3):
        assert f"data/level{level}/train-00000-of-00001.parquet" in files
        assert f"data/level{level}/test-00000-of-00001.parquet" in files
    readme = (built_dataset / "README.md").read_text()
    for name in ("level1", "level2", "level3", "all"):
        assert f"config_name: {name}" in readme
    assert "default: true" in readme and "dataset_info:" in readme and "license: mit" in readme
    assert "s2h build" in readme and "--seed 1" in readme and "Microsoft" in readme  # command + attribution
    # build statistics: the captioner; per-machine seconds only in the report (identical builds, identical card)
    assert "Captioner `reference`" in readme and "`write_shards`" not in readme
    assert (built_dataset / "plots" / "target_positions.png").stat().st_size > 1000
    report = json.loads((built_dataset / "build_report.json").read_text())
    assert report["rows"] == {
        f"level{lv}/{s}": n for lv in (1, 2, 3) for s, n in (("train", 204), ("test", 36))
    }
    assert report["skipped_images"] == [] and set(report["timings_s"]) >= {
        "plan_and_encode_images",
        "captions_and_filter",
        "write_shards",
        "validate",
    }
    assert validate(built_dataset) == []


def test_load_dataset_without_our_package(built_dataset):
    """A user's process: `datasets` alone, no import of s2h_dataset, PIL images back."""
    script = textwrap.dedent(
        f"""
        import json, sys, datasets
        from PIL import Image
        sizes = {{}}
        for config in ("level1", "level2", "level3", "all"):
            ds = datasets.load_dataset({str(built_dataset)!r}, config)
            sizes[config] = [len(ds["train"]), len(ds["test"])]
        ds = datasets.load_dataset({str(built_dataset)!r}, "level3", split="train")
        row = ds[0]
        assert all(isinstance(im, Image.Image) for im in row["images"]), type(row["images"][0])
        assert list(ds.features) == ["id", "level", "task", "images", "prompt", "chosen", "rejected", "target", "similarity", "meta"]
        assert str(ds.features["level"].dtype) == "int8" and str(ds.features["target"].dtype) == "int16"
        assert "s2h_dataset" not in sys.modules
        print(json.dumps(sizes))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd="/",
        timeout=300,
        env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "HOME": str(built_dataset.parent)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    sizes = json.loads(result.stdout.strip().splitlines()[-1])
    assert sizes == {"level1": [204, 36], "level2": [204, 36], "level3": [204, 36], "all": [612, 108]}


def _small(out: Path, **kwargs) -> BuildConfig:
    args = dict(
        out=str(out),
        n_per_level=30,
        test_fraction=0.2,
        filter=False,
        shard_rows=8,
        arithmetic_pool=64,
        seed=5,
    )
    return BuildConfig(**(args | kwargs))


@pytest.mark.slow
def test_same_arguments_give_identical_bytes_and_seed_changes_them(tmp_path):
    first, second = build(_small(tmp_path / "a")), build(_small(tmp_path / "b"))
    assert _parquet_bytes(first) == _parquet_bytes(second)
    assert len(_parquet_bytes(first)) == 3 * (3 + 1)  # 24 train rows in 3 shards of 8, 6 test rows in 1
    other = build(_small(tmp_path / "c", seed=6))
    assert _parquet_bytes(other) != _parquet_bytes(first)


@pytest.mark.slow
def test_interrupted_build_resumes_to_the_same_bytes(tmp_path, monkeypatch):
    reference = build(_small(tmp_path / "ref"))
    real_write, calls = build_shards.write_shard, []

    def crash_after_two(path, specs, store, *args):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(path)
        real_write(path, specs, store, *args)

    monkeypatch.setattr(build_shards, "write_shard", crash_after_two)
    out = tmp_path / "resumed"
    with pytest.raises(KeyboardInterrupt):
        build(_small(out))
    assert not out.exists()  # nothing half-written appears under --out
    assert (tmp_path / ".resumed.partial").is_dir()
    encoded_before = len(
        [p for p in (tmp_path / ".resumed.partial" / "work" / "images" / "blobs").rglob("*") if p.is_file()]
    )
    monkeypatch.setattr(build_shards, "write_shard", real_write)
    build(_small(out))
    assert _parquet_bytes(out) == _parquet_bytes(reference)
    report = json.loads((out / "build_report.json").read_text())
    assert report["shards"] == {"written": 10, "reused": 2}
    total = json.loads((reference / "build_report.json").read_text())["images"]["encoded_this_run"]
    assert encoded_before > 0 and encoded_before + report["images"]["encoded_this_run"] == total  # none twice
    assert not (tmp_path / ".resumed.partial").exists()


def test_resume_refuses_other_arguments(tmp_path, monkeypatch):
    monkeypatch.setattr(build_shards, "write_shard", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        build(_small(tmp_path / "x"))
    with pytest.raises(build_module.UserError, match="unfinished build with other arguments"):
        build(_small(tmp_path / "x", seed=9))


def test_resume_refuses_another_filter_runtime(tmp_path, monkeypatch):
    """`--filter-backend auto` picks ONNX here; resumed where onnxruntime is missing it would pick torch,
    whose embeddings differ slightly: the staging folder records the runtime, not `auto`."""
    from s2h_dataset import encoders

    real_write = build_shards.write_shard
    monkeypatch.setattr(build_shards, "write_shard", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        build(_small(tmp_path / "x", filter=True))
    monkeypatch.setattr(build_shards, "write_shard", real_write)
    monkeypatch.setattr(encoders, "onnx_available", lambda: False)
    with pytest.raises(build_module.UserError, match=r"other arguments \(filter_backend\)"):
        build(_small(tmp_path / "x", filter=True))


def test_existing_output_is_refused(tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(build_module.UserError, match="already exists"):
        build(_small(tmp_path / "taken"))


def test_builder_script_mirrors_the_folder(built_dataset, tmp_path):
    import importlib.util

    import datasets

    spec = importlib.util.spec_from_file_location("s2h_builder", Path(__file__).parents[1] / "s2h_dataset.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["s2h_builder"] = module  # datasets re-imports the builder's module by name
    spec.loader.exec_module(module)
    assert [c.name for c in module.S2HDataset.BUILDER_CONFIGS] == ["level1", "level2", "level3", "all"]
    builder = module.S2HDataset(config_name="level3", data_dir=str(built_dataset), cache_dir=str(tmp_path))
    builder.download_and_prepare()
    mirrored = builder.as_dataset(split="test")
    loaded = datasets.load_dataset(str(built_dataset), "level3", split="test")
    assert mirrored.features == loaded.features
    assert mirrored["id"] == loaded["id"]
    # one citation: the builder's is the BibTeX the card prints
    card = (built_dataset / "README.md").read_text(encoding="utf-8")
    assert builder.info.citation and f"```bibtex\n{builder.info.citation}\n```" in card
