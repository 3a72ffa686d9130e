"""Bad input in an imagefolder: the build finishes, odd images are converted, broken ones are reported."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import datasets
import numpy as np
import pytest
from PIL import Image

from s2h_dataset.build import BuildConfig, build

GOOD_LABELS = ["peacock", "lamp", "bicycle", "teapot", "guitar", "cactus", "anchor", "violin"]


def _jpeg(color, mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (64, 48), color).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def messy_folder(tmp_path):
    root = tmp_path / "messy"
    for i, label in enumerate(GOOD_LABELS):
        (root / label).mkdir(parents=True)
        (root / label / "a.jpg").write_bytes(_jpeg((30 * i, 100, 200)))
    odd = {
        "cmyk_box": ("box.jpg", _jpeg((0, 120, 200, 10), mode="CMYK")),
    }
    for label, (name, data) in odd.items():
        (root / label).mkdir()
        (root / label / name).write_bytes(data)
    (root / "deep_png").mkdir()
    Image.fromarray(np.linspace(0, 65535, 64 * 64, dtype=np.uint16).reshape(64, 64)).save(
        root / "deep_png" / "x.png"
    )
    (root / "palette_kite").mkdir()
    palette = Image.new("P", (64, 64), 0)
    palette.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    palette.paste(1, (16, 16, 48, 48))
    palette.save(root / "palette_kite" / "x.png", transparency=0)
    broken = root / "broken"
    broken.mkdir()
    (broken / "truncated.jpg").write_bytes(_jpeg((1, 2, 3))[:300])
    (broken / "empty.jpg").write_bytes(b"")
    (broken / "notes.jpg").write_text("this is a text file, not a JPEG\n")
    bomb = Image.new("1", (10_000, 10_000))  # 100 M pixels: over Pillow's 89.5 M decompression-bomb limit
    bomb.save(broken / "bomb.png")
    (root / "captions.jsonl").write_text(
        json.dumps({"file": "peacock/a.jpg", "caption": "A blue peacock."}) + "\n"
    )
    return root


def test_messy_imagefolder_builds_and_reports(messy_folder, tmp_path):
    out = build(
        BuildConfig(
            out=str(tmp_path / "out"),
            source=[f"imagefolder:{messy_folder}"],
            levels="1,3",
            n_per_level=60,
            test_fraction=0.0,
            filter=False,
            distractors=2,
            seed=0,
            shard_rows=10,
            keep_flagged=True,  # 9 labels of one image each: caption_search is text-learnable (held back)
        )
    )  # several shards: a bad image found late voids earlier ones
    report = json.loads((out / "build_report.json").read_text())
    skipped = {item["source_id"].split("/")[-1]: item["reason"] for item in report["skipped_images"]}
    assert set(skipped) == {"truncated.jpg", "empty.jpg", "notes.jpg", "bomb.png"}
    assert "decompression-bomb" in skipped["bomb.png"] and "not an image" in skipped["notes.jpg"]
    ds = datasets.load_dataset(str(out), "all", split="train")
    used = {s for meta in ds["meta"] for s in json.loads(meta)["sources"]}
    assert not any("broken" in s for s in used)
    for odd in ("cmyk_box/box.jpg", "deep_png/x.png", "palette_kite/x.png"):
        assert f"imagefolder:messy/{odd}" in used  # converted and used, not dropped
    assert all(im.convert("RGB").mode == "RGB" for row in ds.select(range(10)) for im in row["images"])
    captions = [c[0]["content"][0]["text"] for c in ds["chosen"]]
    assert "A blue peacock." in captions  # captions.jsonl is used for the caption tasks


def test_too_few_labels_is_one_line_exit_2_and_leaves_nothing(tmp_path):
    root = tmp_path / "few"
    for label in ("cat", "dog", "owl"):
        (root / label).mkdir(parents=True)
        (root / label / "a.jpg").write_bytes(_jpeg((1, 2, 3)))
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "s2h_dataset.cli",
            "build",
            "--out",
            str(out),
            "--source",
            f"imagefolder:{root}",
            "--n-per-level",
            "10",
            "--no-filter",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.strip().splitlines() if " INFO " not in line]  # progress lines
    assert len(lines) == 1 and "too few labels for 3 distractors" in lines[0], result.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == [root]


def test_small_test_split_warns_once_only_when_the_build_goes_on(caplog):
    """The small-test-split warning comes after the pool checks (a failing build prints its one error line
    alone, see above) and only where the test split holds too few labels."""
    from s2h_dataset.plan import split_pools, warn_small_test
    from s2h_dataset.sources import load_sources

    sources = load_sources(["emoji"], seed=0)
    with caplog.at_level("WARNING", logger="s2h_dataset.plan"):
        warn_small_test(split_pools(sources, 0.05), 0.05)  # ~40 test labels: enough
        assert not caplog.records
        warn_small_test(split_pools(sources, 0.01), 0.01)
    assert len(caplog.records) == 1 and "too few for meaningful test figures" in caplog.records[0].message


def pair_folder(root):
    """One image per label, but for a second peacock whose file is truncated: the only pair of one kind."""
    for i, label in enumerate(GOOD_LABELS):
        (root / label).mkdir(parents=True)
        (root / label / "a.jpg").write_bytes(_jpeg((30 * i, 100, 200)))
    (root / "peacock" / "b.jpg").write_bytes(_jpeg((1, 2, 3))[:300])
    return root


PAIR_BUILD = dict(
    levels="2", n_per_level=40, test_fraction=0.0, filter=False, distractors=2, seed=0, shard_rows=10
)


def test_a_replan_without_a_bad_image_reports_the_final_plans_task_skips(tmp_path, caplog):
    """The only label with two images loses one to a broken file, found while encoding: the re-plan cannot
    make `compare` (no two images of one kind), and the report, the card and the log say so."""
    root = pair_folder(tmp_path / "pair")
    out = build(BuildConfig(out=str(tmp_path / "out"), source=[f"imagefolder:{root}"], **PAIR_BUILD))
    report = json.loads((out / "build_report.json").read_text())
    assert [item["source_id"].split("/")[-2:] for item in report["skipped_images"]] == [["peacock", "b.jpg"]]
    skipped = {(s["level"], s["split"], s["task"]) for s in report["skipped_tasks"]}
    assert (2, "train", "compare") in skipped  # planned before the bad image was found; not after
    ds = datasets.load_dataset(str(out), "level2", split="train")
    assert "compare" not in set(ds["task"]) and "describe_each" in set(ds["task"])
    card = (out / "README.md").read_text()
    assert "level 2 `compare`, train split: skipped" in card
    assert any("`compare` is skipped in the train split" in r.getMessage() for r in caplog.records)
