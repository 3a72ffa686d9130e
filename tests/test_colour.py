"""#19 grounded colour: the namer agrees with colours named by eye, is sure only where a person would be,
and what the rows state about colour follows it (compare_colour, colour-swap negatives)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from s2h_dataset.captioners.colour import clearly, clearly_not, colour_vote, confusions
from s2h_dataset.captioners.facts import image_facts
from s2h_dataset.labels import COLOUR_NAMES
from s2h_dataset.levels.fact_edits import candidate_edits

DATA = Path(__file__).parent / "data"
EMOJI = Path(__file__).parents[1] / "s2h_dataset" / "data" / "fluent-emoji-3d"


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _facts(file: str):
    return image_facts(Image.open(EMOJI / file))


@pytest.fixture(scope="module")
def by_label() -> dict[str, str]:
    return {r["label"]: r["file"] for r in _jsonl(EMOJI / "labels.jsonl")}


def test_agrees_with_colours_named_by_eye():
    """120 bundled objects labelled by eye on contact sheets before the namer was written (colour, and the
    colours also acceptable for a two-coloured object). The HSV namer it replaced: 0.858 (0.625 strict)."""
    rows = _jsonl(DATA / "colour_labels.jsonl")
    named = [_facts(r["file"]).colours[0] for r in rows]
    accepted = np.mean([n in (r["colour"], *r["also"]) for n, r in zip(named, rows)])
    strict = np.mean([n == r["colour"] for n, r in zip(named, rows)])
    assert len(rows) >= 100 and accepted >= 0.90 and strict >= 0.70, (accepted, strict)


def test_hard_cases(by_label):
    """Yellows the HSV namer called orange, browns it called red: named right, or (the two it still gets
    wrong: a mauve-brown monkey, a horse face with a black mane) never named with confidence."""
    for case in _jsonl(DATA / "colour_hard_cases.jsonl"):
        vote = _facts(by_label[case["label"]]).vote
        if case.get("known_miss"):
            assert not clearly(vote, vote.name), (case, vote)
        else:
            assert vote.name in (case["colour"], *case.get("also", [])), (case, vote.shares[:3])


def test_votes_not_a_mean_colour():
    """Half red, half green: a mean colour is brown; the votes are red and green, neither clear."""
    pixels = np.array([(220, 30, 30)] * 50 + [(30, 180, 40)] * 50, dtype=np.uint8)
    vote = colour_vote(pixels)
    assert {vote.shares[0][0], vote.shares[1][0]} == {"red", "green"}
    assert not clearly(vote, vote.name) and vote.margin == 0


def test_confidence_and_confusions():
    vote = colour_vote(np.array([(250, 210, 40)] * 90 + [(240, 140, 30)] * 10, dtype=np.uint8))
    assert vote.name == "yellow" and vote.confidence == pytest.approx(0.9) and clearly(vote, "yellow")
    wrong = confusions(vote)
    assert wrong and "yellow" not in wrong and all(clearly_not(vote, c) for c in wrong)
    assert "orange" not in wrong  # a tenth of it is orange: not clearly not orange


def test_photo_without_alpha_names_the_whole_picture():
    image = Image.new("RGB", (40, 40), (30, 90, 220))
    facts = image_facts(image)
    assert facts.colours == ("blue",) and facts.size is None and facts.vote.confidence == 1.0


def test_colour_swaps_never_name_a_colour_the_object_has(by_label):
    swapped = 0
    for file in list(by_label.values())[::7]:
        facts = _facts(file)
        wrong = confusions(facts.vote, facts.colours)
        text = f"A thing in {' and '.join(facts.colours)}, large and in the centre."
        edits = candidate_edits(text, None, wrong)  # the build's edits of a text whose image is unmeasured
        assert edits and {e.kind for e in edits} == {"colour"}
        for edit in edits:
            assert edit.new in wrong and clearly_not(facts.vote, edit.new) and edit.new not in facts.colours
            swapped += 1
    assert swapped


def test_colour_swap_without_pixels_draws_a_near_colour():
    news = {e.name for e in candidate_edits("A yellow taxi.", None)}
    assert news and all(n.split(">")[1] in COLOUR_NAMES and n != "colour:yellow>yellow" for n in news)
    assert "colour:yellow>purple" not in news  # far from yellow: not a plausible confusion


def test_compare_colour_states_only_clear_colours():
    from s2h_dataset.captioners import ReferenceCaptioner
    from s2h_dataset.captioners.facts import record_facts
    from s2h_dataset.levels import LevelContext
    from s2h_dataset.plan import finish_shard, plan_shards, split_pools
    from s2h_dataset.sources import load_sources

    pools = split_pools(load_sources(["emoji", "arithmetic"], seed=0, arithmetic_pool=300), 0.0)
    ctx = LevelContext(pools["train"], 4, "train")
    records = {r.source_id: r for r in pools["train"].all_records()}
    rows = []
    for shard in plan_shards(
        2, "train", ctx, 200, seed=0, shard_rows=10_000, quantile=1.0, captioner_name="reference"
    ):
        rows += finish_shard(shard, ReferenceCaptioner(), records, seed=0, scorer=None, quantile=1.0)
    rows = [r for r in rows if r.task == "compare_colour"]
    assert len(rows) >= 10
    for row in rows:
        colour = row.meta["colour"]
        votes = [record_facts(records[row.source_ids[i]]).vote for i in row.meta["named"]]
        inside = sum(clearly(v, colour) for v in votes)
        outside = sum(clearly_not(v, colour) for v in votes)
        assert (inside, outside) == ((2, 0) if row.meta["answer"] == "yes" else (1, 1)), row.meta


def test_colour_table_is_cached_per_machine_by_what_it_is_made_from(tmp_path, monkeypatch):
    from s2h_dataset.captioners import colour

    monkeypatch.setattr(colour, "TABLE_CACHE", str(tmp_path))
    colour._table.cache_clear()
    computed = colour._table()
    (cached,) = tmp_path.glob("table-*.npy")
    assert colour._table_key() in cached.name
    colour._table.cache_clear()
    monkeypatch.setattr(colour, "_compute_table", lambda: pytest.fail("computed again"))
    assert np.array_equal(colour._table(), computed)
    monkeypatch.setattr(colour, "WHITE", colour.WHITE + 1)  # another rule: another key, another file
    assert colour._table_key() not in cached.name
    colour._table.cache_clear()


def test_held_out_objects_labelled_after_the_namer_was_tuned():
    """40 more bundled objects (seeded draw, none of the 120 above) labelled by eye on a contact sheet after
    the namer's thresholds were set, so it was never tuned on them. First colour: the HSV namer 31/40, this
    one 35/40 (red objects with pink highlights read as pink); every object it calls clear is right."""
    rows = _jsonl(DATA / "colour_labels_heldout.jsonl")
    facts = [_facts(r["file"]) for r in rows]
    right = [f.colours[0] in (r["colour"], *r["also"]) for f, r in zip(facts, rows)]
    assert sum(right) >= 35
    assert all(ok for f, ok in zip(facts, right) if clearly(f.vote, f.colours[0]))
