"""Invariants of the generated rows on the bundled images (read back from parquet, as a user sees them)."""

from __future__ import annotations

import json
import math
import re
from collections import Counter

import datasets
import pytest

from s2h_dataset.captioners import ReferenceCaptioner
from s2h_dataset.labels import ORDINALS, conflicts
from s2h_dataset.sources import load_sources
from s2h_dataset.tasks import TASKS


@pytest.fixture(scope="module")
def rows(built_dataset):
    ds = datasets.load_dataset(str(built_dataset), "all", split="train").remove_columns("images")
    out = []
    for row in ds:
        row["meta"] = json.loads(row["meta"])
        row["text"] = row["prompt"][0]["content"][-1]["text"]
        out.append(row)
    return out


def _names(text: str, position: int) -> bool:
    text = text.lower()
    return f"image {position + 1}" in text or f"the {ORDINALS[position]} image" in text


def test_level3_target_holds_the_label_and_no_distractor_does(rows):
    level3 = [r for r in rows if r["level"] == 3]
    assert {r["task"] for r in level3} == {"caption_search", "which_image", "attribute_search"}
    for row in (r for r in level3 if r["task"] != "attribute_search"):  # one query label, one target
        labels, target, query = row["meta"]["labels"], row["target"], row["meta"]["query"]
        if row["meta"].get("scene"):  # a search over shape scenes: the query is a kind of shape
            assert query in row["text"] and labels[target] == "shapes"
            continue
        assert labels[target] == query and query in row["text"]
        assert not any(conflicts(query, label) for i, label in enumerate(labels) if i != target)
        assert not re.search(r"Image \d|image \d", row["text"])  # no image is named in a search prompt
        if row["task"] == "which_image":
            assert _names(row["chosen"][0]["content"][0]["text"], target)
            assert not _names(row["rejected"][0]["content"][0]["text"], target)


def test_level1_chosen_is_about_the_named_image(rows):
    records = {r.source_id: r for r in load_sources(["emoji"], seed=0).objects}
    captioner = ReferenceCaptioner()
    level1 = [r for r in rows if r["level"] == 1]
    for row in level1:
        target, chosen = row["target"], row["chosen"][0]["content"][0]["text"]
        rejected = row["rejected"][0]["content"][0]["text"]
        assert _names(row["text"], target)
        target_record = records[row["meta"]["sources"][target]]
        wrong_record = records[row["meta"]["sources"][row["meta"]["rejected_from"]]]
        if row["task"] == "caption_indexed":  # one phrasing for both; a fact edit is checked elsewhere
            variant = row["meta"]["phrasing"]
            assert chosen == captioner.caption(target_record, variant)
            if row["meta"]["negative"] == "other_image":
                assert rejected == captioner.caption(wrong_record, variant)
        else:
            assert target_record.label in chosen and wrong_record.label in rejected
        assert row["meta"]["rejected_from"] != target


def test_level2_arithmetic_recomputed_from_tracked_counts(rows):
    shapes = {r.source_id: dict(r.counts) for r in load_sources(["arithmetic"], seed=1).shapes}
    arithmetic = [r for r in rows if r["task"] == "arithmetic"]
    assert {r["meta"]["op"] for r in arithmetic} == {"add", "subtract", "total"}
    for row in arithmetic:
        meta = row["meta"]
        counts = [shapes[row["meta"]["sources"][p]].get(meta["unit"], 0) for p in meta["named"]]
        expected = counts[0] - counts[1] if meta["op"] == "subtract" else sum(counts)
        chosen = row["chosen"][0]["content"][0]["text"]
        rejected = row["rejected"][0]["content"][0]["text"]
        assert int(re.search(r"= (-?\d+)", chosen).group(1)) == expected == meta["answer"]
        assert int(re.search(r"= (-?\d+)", rejected).group(1)) != expected
        assert meta["unit"] + "s" in row["text"] and all(_names(row["text"], p) for p in meta["named"])


def test_answer_positions_are_uniform(rows):
    for level in (1, 3):
        counts = Counter(r["target"] for r in rows if r["level"] == level)
        assert set(counts) == {0, 1, 2, 3}
        assert max(counts.values()) - min(counts.values()) <= 0.1 * sum(counts.values()) / 4 + 2, counts


def test_yes_ratio_is_balanced(rows):
    verdicts = [r["chosen"][0]["content"][0]["text"].split(".")[0] for r in rows if r["task"] == "compare"]
    assert set(verdicts) == {"Yes", "No"}
    assert 0.45 <= verdicts.count("Yes") / len(verdicts) <= 0.55


def test_filter_scores_are_stored_and_bounded(rows, built_dataset):
    report = json.loads((built_dataset / "build_report.json").read_text())
    stats = report["filter"]
    assert 0 < stats["strings_encoded"] <= stats["strings_requested"]  # repeated strings hit the cache
    assert stats["cache_hit_rate"] == round(1 - stats["strings_encoded"] / stats["strings_requested"], 4)
    # only free-text pairs are scored and filtered; minimal pairs keep NaN
    free_text = {t.name for t in TASKS.values() if t.free_text}

    def scored(row):  # free text, and not a near miss edited by design (caption_search fact / claim)
        return row["task"] in free_text and row["meta"].get("negative") in (None, "describe", "other_image")

    similarity = [r["similarity"] for r in rows if scored(r)]
    assert all(math.isnan(r["similarity"]) for r in rows if not scored(r))
    assert all(-1.0 <= s <= 1.0001 for s in similarity)
    assert len(set(similarity)) > 30  # real scores, not a constant
