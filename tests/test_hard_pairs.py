"""Hard, vision-indispensable pairs (#9): clean labels, the confusion guard, hardness, arithmetic operands,
describe_each errors, caption_search negatives, label-held-out splits, the task registry."""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import ClassVar

import pytest

from s2h_dataset import tasks
from s2h_dataset.captioners import ReferenceCaptioner
from s2h_dataset.labels import conflicts
from s2h_dataset.layout import split_of
from s2h_dataset.levels import LevelContext
from s2h_dataset.levels.negatives import RATIO
from s2h_dataset.lexicon import wordnet
from s2h_dataset.plan import finish_shard, plan_shards, split_pools
from s2h_dataset.schema import RowSpec
from s2h_dataset.sources import Sources, load_sources
from s2h_dataset.sources.arithmetic import _layout

SHORTCODES = {"clock1130", "cow2", "tada", "zap", "hocho", "mouse2", "star2", "8ball", "tophat", "icecream"}
VOWEL_SOUND_EXCEPTIONS = {"X-ray", "hourglass", "hourglass with flowing sand"}  # "an" before a consonant
CONSONANT_SOUND_EXCEPTIONS = ("euro", "unicorn", "one-")  # "a" before a vowel letter


@pytest.fixture(scope="module")
def emoji():
    return load_sources(["emoji"], seed=0).objects


def test_every_bundled_label_is_a_clean_noun_phrase(emoji):
    assert len(emoji) == 849 and len({r.label for r in emoji}) == 849
    captioner = ReferenceCaptioner()
    for record in emoji:
        label, phrase = record.label, record.a_label
        assert label not in SHORTCODES and not re.search(r"[a-z]\d|\d[a-z]|_", label), label
        if record.label_form == "count":
            article, rest = phrase.split(" ", 1)
            vowel = rest[:1].lower() in "aeiou"
            if article == "an":
                assert vowel or rest in VOWEL_SOUND_EXCEPTIONS, phrase
            else:
                assert article == "a" and (
                    not vowel or rest.lower().startswith(CONSONANT_SOUND_EXCEPTIONS)
                ), phrase
        else:
            assert not phrase.startswith(("a ", "an ")), phrase  # "grapes", "Mount Fuji", "the Milky Way"
        caption = captioner.caption(record)
        assert phrase[:1].upper() + phrase[1:] in caption or phrase in caption
        for false_claim in ("plain background", "close-up", "centred", "there are a", "shows minibus"):
            assert false_claim not in caption


@pytest.mark.parametrize(
    "a, b",
    [
        ("bird", "eagle"),
        ("dog", "poodle"),
        ("soft-serve ice cream cone", "bowl of ice cream"),
        ("icecream", "ice cream"),
        ("postbox", "closed mailbox with a raised flag"),
        ("delivery truck", "articulated lorry"),
        ("yen banknote", "euro banknote"),
        ("dollar banknote", "pound banknote"),
        ("white flower", "rose"),
    ],
)
def test_confusable_bundled_pairs_conflict(emoji, a, b):
    labels = {r.label for r in emoji} | {"icecream", "ice cream"}
    assert a in labels and b in labels
    assert conflicts(a, b)


@pytest.mark.parametrize(
    "a, b", [("eagle", "owl"), ("tiger", "leopard"), ("rose", "tulip"), ("red car", "red envelope")]
)
def test_hard_but_distinct_pairs_may_share_a_row(a, b):
    assert not conflicts(a, b)


@pytest.mark.skipif(wordnet() is None, reason="WordNet is not installed (apt-get install wordnet-base)")
@pytest.mark.parametrize(
    "a, b", [("truck", "lorry"), ("postbox", "mailbox"), ("bird", "hawk"), ("dog", "beagle")]
)
def test_wordnet_guard_for_other_labels(a, b):
    assert conflicts(a, b)
    assert not conflicts("hawk", "lorry")


def _rows(
    level: int, n: int = 240, seed: int = 0, sources=("emoji", "arithmetic"), **ctx_options
) -> list[RowSpec]:
    pools = split_pools(load_sources(list(sources), seed=seed, arithmetic_pool=300), 0.0)
    ctx = LevelContext(pools["train"], 4, "train", **ctx_options)
    captioner, records = ReferenceCaptioner(), {r.source_id: r for r in pools["train"].all_records()}
    rows = []
    for shard in plan_shards(
        level, "train", ctx, n, seed=seed, shard_rows=10_000, quantile=1.0, captioner_name="reference"
    ):
        rows += finish_shard(shard, captioner, records, seed=seed, scorer=None, quantile=1.0)
    return rows


@pytest.fixture(scope="module")
def level2():
    return _rows(2, n=400)


def test_arithmetic_aggregates_several_images_and_is_right(level2):
    rows = [r for r in level2 if r.task == "arithmetic"]
    assert len(rows) >= 60
    for row in rows:
        seed, index = (int(x) for x in row.source_ids[0].split(":")[1:])
        counts = []
        for p in row.meta["named"]:
            _, seed, index = row.source_ids[p].split(":")
            counts.append(sum(f"{c} {s}" == row.meta["unit"] for c, s, _ in _layout(int(seed), int(index))))
        assert counts == row.meta["operands"]
        expected = counts[0] - counts[1] if row.meta["op"] == "subtract" else sum(counts)
        assert row.meta["answer"] == expected and f"= {expected} " in row.chosen
        assert row.meta["rejected_answer"] != expected and row.meta["error"] in ("miscount", "wrong_image")
    two_nonzero = sum(sum(c > 0 for c in r.meta["operands"]) >= 2 for r in rows) / len(rows)
    assert two_nonzero >= 0.70


def test_compare_answers_are_length_matched_and_balanced(level2):
    for task in ("compare", "compare_colour", "more_than"):
        rows = [r for r in level2 if r.task == task]
        assert rows and abs(sum(r.meta["answer"] == "yes" for r in rows) / len(rows) - 0.5) <= 0.05
        yes_shorter = [len(r.chosen) < len(r.rejected) for r in rows if r.meta["answer"] == "yes"]
        no_shorter = [len(r.chosen) < len(r.rejected) for r in rows if r.meta["answer"] == "no"]
        # the yes text is shorter (or not) the same way whatever the answer: length tells nothing
        assert abs(sum(yes_shorter) / len(yes_shorter) - (1 - sum(no_shorter) / len(no_shorter))) <= 0.15


def test_describe_each_rejected_has_exactly_its_one_error(level2):
    rows = [r for r in level2 if r.task == "describe_each"]
    captioner, records = ReferenceCaptioner(), {r.source_id: r for r in load_sources(["emoji"], 0).objects}
    assert Counter(r.meta["error"] for r in rows).keys() == {"omitted", "swapped", "conflated"}
    for row in rows:
        captions = [captioner.caption(records[s]) for s in row.source_ids]
        assert row.chosen == " ".join(captions)  # the right captions, in image order
        error, positions = row.meta["error"], row.meta["positions"]
        expected = list(captions)
        if error == "omitted":  # the image's caption is missing: an absent image's caption stands in
            extra = records[row.meta["replaced_by"]]
            assert extra.source_id not in row.source_ids
            expected[positions[0]] = captioner.caption(extra)
        elif error == "swapped":
            i, j = positions
            expected[i], expected[j] = expected[j], expected[i]
            assert captions[i] != captions[j]
        else:
            i, j = positions
            a, b = records[row.source_ids[i]].a_label, records[row.source_ids[j]].a_label
            for k, (own, other) in ((i, (a, b)), (j, (b, a))):
                cap = captions[k]
                at = cap.lower().index(own.lower())
                swap_in = other[:1].upper() + other[1:] if cap[at].isupper() else other
                expected[k] = cap[:at] + swap_in + cap[at + len(own) :]
            assert expected[i] != captions[i] and expected[j] != captions[j]
        assert row.rejected == " ".join(expected)


def test_caption_search_negatives_match_form_length_and_query():
    rows = [r for r in _rows(3, n=300) if r.task == "caption_search"]
    negatives = Counter(r.meta["negative"] for r in rows)
    assert set(negatives) == {"fact", "claim"} and min(negatives.values()) >= 0.3 * len(rows)
    records = {r.source_id: r for r in load_sources(["emoji"], 0).objects}
    in_range = 0
    for row in rows:
        if row.meta.get("scene"):  # a search over shape scenes: a count edit (test_truthful_negatives)
            in_range += 1
            continue
        query = records[row.source_ids[row.target]].a_label.lower()
        assert query in row.chosen.lower() and query in row.rejected.lower() and row.chosen != row.rejected
        in_range += RATIO[0] <= len(row.rejected) / len(row.chosen) <= RATIO[1]
    assert in_range >= 0.97 * len(rows)
    describe = [r for r in _rows(3, n=60, search_negatives=("describe",)) if r.task == "caption_search"]
    assert {r.meta["negative"] for r in describe} == {"describe"}


def test_level1_and_level3_distractors_are_hard_and_never_confusable():
    records = {r.source_id: r for r in load_sources(["emoji"], 0).objects}
    for level in (1, 3):
        rows = [r for r in _rows(level, n=300) if not r.meta.get("scene")]  # shape scenes have no labels
        for row in rows:
            labels = [records[s].label for s in row.source_ids]
            target = labels[row.target]
            assert not any(conflicts(target, other) for i, other in enumerate(labels) if i != row.target)
        same = sum(r.meta["hardness"]["same_subcategory"] > 0 for r in rows) / len(rows)
        assert same >= 0.5, (level, same)
        easy = [r for r in _rows(level, n=100, hardness="random") if not r.meta.get("scene")]
        assert sum(r.meta["hardness"]["same_subcategory"] > 0 for r in easy) / len(easy) < same


def test_labelled_folder_is_split_by_label(tmp_path):
    from PIL import Image

    for label in [f"thing{i:02d}" for i in range(40)]:
        (tmp_path / label).mkdir()
        for k in range(3):
            Image.new("RGB", (8, 8), (k, 0, 0)).save(tmp_path / label / f"{k}.png")
    sources = load_sources([f"imagefolder:{tmp_path}"], seed=0)
    pools = split_pools(sources, 0.3)
    train, test = ({r.label for r in pools[s].objects} for s in ("train", "test"))
    assert train and test and not train & test
    assert all(split_of(f"label:{label}", 0.3) == "test" for label in test)
    assert isinstance(pools["test"], Sources)


def toy_generator(ctx, rng, slot):
    a, b = rng.sample(ctx.shapes, 2)
    yes = slot == 1
    return RowSpec(
        2,
        "toy_two",
        [a.source_id, b.source_id]
        + [r.source_id for r in rng.sample(ctx.shapes, ctx.n_images - 2) if r not in (a, b)][
            : ctx.n_images - 2
        ],
        f"Toy question {rng.random():.6f}?",
        "Yes." if yes else "No.",
        "No." if yes else "Yes.",
        stratum=str(slot),
    )


def test_registering_a_toy_task_is_one_line(tmp_path):
    from s2h_dataset.build import BuildConfig, build
    from s2h_dataset.schema import LEVEL_TASKS

    tasks.register(
        tasks.LevelTask(
            name="toy_two",
            level=2,
            pool="shapes",
            answer="text",
            slots=lambda n: 2,
            generator=toy_generator,
            about="a toy",
        )
    )
    try:
        assert "toy_two" in LEVEL_TASKS[2]
        out = build(
            BuildConfig(
                out=str(tmp_path / "toy"),
                levels="2",
                n_per_level=24,
                source=["arithmetic"],
                arithmetic_pool=40,
                test_fraction=0.0,
                filter=False,
                image_size=32,
            )
        )
        report = json.loads((out / "build_report.json").read_text())
        assert any(t["task"] == "toy_two" for t in report["blind_audit"])
        assert "level 2 `toy_two`: a toy" in (out / "README.md").read_text()  # the card's task list
    finally:
        tasks.unregister("toy_two")
    assert "toy_two" not in LEVEL_TASKS[2]


def test_model_edit_validation():
    from s2h_dataset.levels.negatives import valid_edit

    chosen = "A red apple in the centre of the frame, on a white background."
    assert valid_edit(chosen, "A green apple in the centre of the frame, on a white background.")
    assert not valid_edit(chosen, chosen)  # no error
    assert not valid_edit(chosen, "A red apple.")  # length out of range
    assert not valid_edit(
        chosen, "Two blue cars parked on the left side of a road, under a grey sky."
    )  # rewrite
    assert not valid_edit(chosen, None)


class ScriptedModel:
    """A model backend whose replies are scripted: a random tiny VLM never writes a one-word edit, and this
    test is about what the planner does with a model's edits (asked once, cached, validated, used)."""

    def __init__(self, tmp_path):
        from s2h_dataset.captioners.cache import CaptionCache
        from s2h_dataset.captioners.model import ModelCaptioner

        class Backend(ModelCaptioner):
            asked: ClassVar[list] = []

            def generate(self, jobs):
                for i, job in enumerate(jobs):
                    Backend.asked.append(job.kind)
                    if job.kind == "edit":  # a good edit for even-numbered jobs, a rewrite for the others
                        caption = job.prompt.split("\n")[1]
                        yield i, caption.replace("red", "blue") if i % 2 == 0 else "Something else entirely."
                    else:
                        yield i, f"Caption: A red {job.records[0].label} on a plain table.\nPrimary object: x"

        self.backend = Backend("scripted", "scripted", CaptionCache(str(tmp_path), "scripted", "s"))


def test_model_captioner_edits_are_asked_cached_and_validated(tmp_path):
    from s2h_dataset.plan import _resolve_texts

    model = ScriptedModel(tmp_path).backend
    pools = split_pools(load_sources(["emoji"], seed=0), 0.0)
    ctx = LevelContext(pools["train"], 4, "train", search_negatives=("fact",))
    records = {r.source_id: r for r in pools["train"].all_records()}
    shard = next(
        plan_shards(3, "train", ctx, 20, seed=0, shard_rows=100, quantile=1.0, captioner_name="scripted")
    )
    rows = shard.candidates["caption_search"]
    _resolve_texts(rows, model, records)
    assert "edit" in model.asked
    used = [r for r in rows if r.meta.get("edit") == "model"]
    assert used and all(r.rejected == r.chosen.replace("red", "blue") for r in used)
    assert all(r.meta["false"] == "colour:blue" for r in used)  # used only when the facts prove it false
    fallen = [r for r in rows if r not in used]
    assert fallen and all(r.meta["edit"].startswith("colour:") for r in fallen)  # rewrites: rule-based edit
    asked = len(model.asked)
    again = next(
        plan_shards(3, "train", ctx, 20, seed=0, shard_rows=100, quantile=1.0, captioner_name="scripted")
    ).candidates["caption_search"]
    _resolve_texts(again, model, records)
    assert len(model.asked) == asked  # every caption and edit came from the cache
