"""Paper-scale inputs on small synthetic fixtures: LLaVA-665k VQA (L1), FIW and KinFaceW kinship (L2)."""

from __future__ import annotations

import json
import re
from collections import Counter

import datasets
import pytest
from PIL import Image

from s2h_dataset.build import BuildConfig, build
from s2h_dataset.levels.vqa import point_at
from s2h_dataset.sources.kinship import kinship_records
from s2h_dataset.validate import validate


def _face(path, seed):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (40, 48), ((seed * 37) % 256, (seed * 91) % 256, (seed * 53) % 256)).save(path)


@pytest.fixture
def llava_fixture(tmp_path):
    root = tmp_path / "llava"
    samples = []
    for i in range(12):
        _face(root / "coco" / f"{i:03d}.jpg", i)
        samples.append(
            {
                "id": f"s{i}",
                "image": f"coco/{i:03d}.jpg",
                "conversations": [
                    {"from": "human", "value": f"<image>\nWhat colour is the object in the image? ({i})"},
                    {"from": "gpt", "value": f"It is colour number {i}."},
                    {"from": "human", "value": "And then?"},
                    {"from": "gpt", "value": "Nothing."},
                ],
            }
        )
    samples.append(
        {
            "id": "text-only",
            "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}],
        }
    )
    (root / "mix.json").write_text(json.dumps(samples))
    return f"llava:{root / 'mix.json'}:{root}"


def test_point_at_rewrites_the_question():
    assert point_at("What colour is the bus in the image?", "Image 3") == "What colour is the bus in Image 3?"
    assert (
        point_at("How many people are there?", "the second image")
        == "In the second image, how many people are there?"
    )


def test_llava_level1_rows(llava_fixture, tmp_path):
    out = build(
        BuildConfig(
            out=str(tmp_path / "out"),
            source=[llava_fixture],
            levels="1",
            n_per_level=16,
            test_fraction=0.0,
            filter=False,
            seed=0,
            keep_flagged=True,  # the fixture's questions name their answer's number: flagged, kept to inspect
        )
    )
    assert validate(out) == []
    ds = datasets.load_dataset(str(out), "level1", split="train")
    assert set(ds["task"]) == {"vqa_gold"}
    for row in ds:
        meta, target = json.loads(row["meta"]), row["target"]
        prompt = row["prompt"][0]["content"][-1]["text"]
        chosen, rejected = row["chosen"][0]["content"][0]["text"], row["rejected"][0]["content"][0]["text"]
        number = re.search(r"\((\d+)\)", prompt).group(1)
        assert meta["sources"][target] == f"llava:s{number}" and chosen == f"It is colour number {number}."
        assert rejected != chosen and rejected.startswith("It is colour number")  # a distractor's gold answer
        assert f"Image {target + 1}" in prompt or ["first", "second", "third", "fourth"][target] in prompt
    assert sorted(Counter(ds["target"]).values()) == [4, 4, 4, 4]


def _fiw(root):
    # three families; in F0001 MID1 and MID2 are parents of MID3 and MID4 is MID3's sibling
    matrix = {
        "F0001": [
            "MID,1,2,3,4,Gender,Name",
            "1,0,5,4,4,m,a",
            "2,5,0,4,4,f,b",
            "3,1,1,0,2,m,c",
            "4,1,1,2,0,f,d",
        ],
        "F0002": ["MID,1,2,Gender,Name", "1,0,4,m,e", "2,1,0,f,f"],
        "F0003": ["MID,1,2,Gender,Name", "1,0,2,m,g", "2,2,0,f,h"],
    }
    seed = 0
    for family, lines in matrix.items():
        (root / family).mkdir(parents=True)
        (root / family / "mid.csv").write_text("\n".join(lines) + "\n")
        for member in range(1, len(lines)):
            for k in range(2):
                seed += 1
                _face(root / family / f"MID{member}" / f"P{seed:05d}_face{k}.jpg", seed)


def _kinfacew(root):
    for folder, prefix in (
        ("father-dau", "fd"),
        ("father-son", "fs"),
        ("mother-dau", "md"),
        ("mother-son", "ms"),
    ):
        for n in range(1, 4):
            for side in (1, 2):
                _face(root / "images" / folder / f"{prefix}_{n:03d}_{side}.jpg", n * 10 + side)


def test_fiw_relations_read_from_mid_csv(tmp_path):
    _fiw(tmp_path / "fiw")
    records, relations = kinship_records(str(tmp_path / "fiw"))
    assert len(records) == 16
    assert (
        relations["F0001/MID1", "F0001/MID3"] == "parent" and relations["F0001/MID3", "F0001/MID1"] == "child"
    )
    assert (
        relations["F0001/MID3", "F0001/MID4"] == "sibling"
        and relations["F0001/MID1", "F0001/MID2"] == "spouse"
    )


@pytest.mark.parametrize("layout", ["fiw", "kinfacew"])
def test_kinship_level2_rows(layout, tmp_path):
    (_fiw if layout == "fiw" else _kinfacew)(tmp_path / layout)
    _, relations = kinship_records(str(tmp_path / layout))
    out = build(
        BuildConfig(
            out=str(tmp_path / "out"),
            source=[f"kinship:{tmp_path / layout}"],
            levels="2",
            n_per_level=24,
            test_fraction=0.0,
            filter=False,
            seed=0,
        )
    )
    assert validate(out) == []
    ds = datasets.load_dataset(str(out), "level2", split="train")
    assert set(ds["task"]) == {"kinship"}
    answers = Counter()
    for row in ds:
        meta = json.loads(row["meta"])
        a, b = meta["people"]
        truth = relations.get((a, b)) == meta["relation"]
        chosen = row["chosen"][0]["content"][0]["text"]
        assert chosen.startswith("Yes." if truth else "No.")
        assert row["rejected"][0]["content"][0]["text"].startswith("No." if truth else "Yes.")
        families = [
            s.split("/")[1] if layout == "fiw" else re.search(r"(\w\w_\d+)_", s).group(1)
            for s in meta["sources"]
        ]
        named = set(meta["named"])
        assert all(families[i] not in {families[j] for j in named} for i in range(4) if i not in named)
        answers[chosen.split(".")[0]] += 1
    assert answers["Yes"] == answers["No"] == 12


@pytest.mark.slow
def test_transformers_captioner_builds_all_three_levels(llava_fixture, tmp_path):
    """A tiny local VLM captions level 1/3 rows and answers level-1 VQA questions, end to end."""
    from s2h_dataset.testing.tiny_vlms import tiny_vlm_cache

    model = tiny_vlm_cache("qwen2_vl")
    out = build(
        BuildConfig(
            out=str(tmp_path / "out"),
            source=["emoji", "arithmetic", llava_fixture],
            n_per_level=12,
            test_fraction=0.0,
            filter=False,
            seed=0,
            arithmetic_pool=32,
            captioner=f"transformers:{model}",
            caption_max_new_tokens=6,
            caption_batch_size=4,
            device="cpu",
            caption_cache=str(tmp_path / "captions"),
            keep_flagged=True,  # the llava fixture's vqa_gold is flagged (its questions name the answer)
        )
    )
    assert validate(out) == []
    report = json.loads((out / "build_report.json").read_text())
    name = report["captions"]["captioner"]
    assert report["captions"]["misses"] > 0 and name == f"transformers:{model.name}"  # local folders by name
    captions = report["captions"]  # the captioner's stats() reach the report: a fallback is a request
    assert 0 <= captions["fallbacks"] <= captions["hits"] + captions["repeats"] + captions["misses"], captions
    assert (
        report["captions"]["hits"] == 0 and "cache hit rate" not in (out / "README.md").read_text()
    )  # report only
    for config in ("level1", "level2", "level3"):
        ds = datasets.load_dataset(str(out), config, split="train")
        assert len(ds) == 12 and {json.loads(m)["captioner"] for m in ds["meta"]} == {name}
    search = datasets.load_dataset(str(out), "level3", split="train").filter(
        lambda r: r["task"] == "caption_search"
    )
    assert len(search) > 0  # chosen / rejected of these rows came from the model (or its reference fallback)
