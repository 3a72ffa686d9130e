"""Scoring from hand-made prediction records, the probe generator, and the Markdown report."""

import pytest
from PIL import Image

from s2h_dataset.errors import UserError
from s2h_dataset.eval import markdown_table
from s2h_dataset.eval.probe import plan_probe, probe_text, probe_unit
from s2h_dataset.eval.scoring import score_records, score_task
from s2h_dataset.labels import conflicts
from s2h_dataset.sources import load_sources


def rec(task, subtask, gold, parsed, **meta):
    return {
        "task": task,
        "subtask": subtask,
        "gold": gold,
        "parsed": parsed,
        **({"meta": meta} if meta else {}),
    }


def test_pope_metrics_by_hand():
    records = [
        rec("pope", "random", g, p) for g, p in [("yes", "yes"), ("yes", None), ("no", "yes"), ("no", "no")]
    ]
    records += [rec("pope", "popular", g, p) for g, p in [("yes", "yes"), ("no", "no")]]
    scores = score_task("pope", records)
    rnd = scores["subtasks"]["random"]
    # TP 1, FP 1, FN 1 (the unreadable reply to a "yes" question), TN 1
    assert (rnd["accuracy"], rnd["precision"], rnd["recall"], rnd["f1"], rnd["yes_ratio"]) == (
        0.5,
        0.5,
        0.5,
        0.5,
        0.5,
    )
    assert rnd["parse_failures"] == 1 and scores["parse_failures"] == 1
    assert scores["subtasks"]["popular"]["f1"] == 1.0
    assert scores["f1_mean_of_splits"] == 0.75 and scores["accuracy_mean_of_subtasks"] == 0.75
    assert scores["accuracy"] == round(4 / 6, 6)


def test_pooled_and_unweighted_mean():
    records = [rec("blink", "Counting", "A", "A")] * 3 + [rec("blink", "Jigsaw", "B", "A")]
    scores = score_records(records)["blink"]
    assert scores["accuracy"] == 0.75 and scores["accuracy_mean_of_subtasks"] == 0.5
    assert list(scores["subtasks"]) == ["Counting", "Jigsaw"]


def test_parse_failures_are_wrong_and_counted():
    scores = score_task("mmstar", [rec("mmstar", "math", "A", None), rec("mmstar", "math", "A", "A")])
    assert scores["accuracy"] == 0.5 and scores["parse_failures"] == 1 and scores["parse_failure_rate"] == 0.5


def test_probe_chance():
    records = [
        rec("l3probe", "N=2", "A", "A", n_distractors=2),
        rec("l3probe", "N=4", "B", "A", n_distractors=4),
    ]
    scores = score_task("l3probe", records)
    assert scores["chance"] == round((1 / 3 + 1 / 5) / 2, 6)
    assert scores["subtasks"]["N=4"]["chance"] == 0.2 and scores["subtasks"]["N=2"]["accuracy"] == 1.0


def test_empty_task_is_an_error():
    with pytest.raises(ValueError, match="no predictions"):
        score_task("blink", [])


def test_markdown_table_lists_every_task():
    results = score_records(
        [
            rec("blink", "Counting", "A", "A"),
            rec("blink", "Jigsaw", "B", None),
            rec("l3probe", "N=3", "C", "C", n_distractors=3),
        ]
    )
    table = markdown_table(results)
    assert "| BLINK (val) | pooled accuracy | 50.00 | 2 | 1 |" in table
    assert "| BLINK (val) | mean of subtask accuracies | 50.00 | 2 | 1 |" in table
    assert "| Level-3 probe | accuracy (chance) | 100.00 (25.00; 95% CI 100.00-100.00) | 1 | 0 |" in table


@pytest.fixture(scope="module")
def emoji():
    return load_sources(["emoji"], seed=0).objects


def test_probe_plan_is_seeded_and_valid(emoji):
    plan = plan_probe(emoji, 500, seed=0)
    again = plan_probe(emoji, 500, seed=0)
    other = plan_probe(emoji, 500, seed=1)

    def ids(p):
        return [(q.target, tuple(r.source_id for r in q.records)) for q in p]

    assert ids(plan) == ids(again) and ids(plan) != ids(other)
    by_n = {}
    for q in plan:
        n = len(q.records) - 1
        by_n.setdefault(n, []).append(q.target)
        assert q.records[q.target].label == q.label
        labels = [r.label for r in q.records]
        assert not any(conflicts(a, b) for i, a in enumerate(labels) for b in labels[i + 1 :]), labels
    assert sorted(by_n) == [2, 3, 4]
    for n, targets in by_n.items():
        assert 0.25 < len(targets) / 500 < 0.42  # N uniform over {2, 3, 4}
        for position in range(n + 1):  # target position uniform over the n + 1 slots
            assert abs(targets.count(position) / len(targets) - 1 / (n + 1)) < 0.12, (n, position)
    chance = sum(1 / len(q.records) for q in plan) / 500
    assert abs(chance - 0.261) < 0.02


def as_items(unit):
    return [q.to_item(probe_text(q)) for q in unit]


def test_probe_items(emoji):
    unit = probe_unit("emoji", n_questions=6, seed=0, limit=3)
    items = as_items(unit)
    assert len(items) == 3
    item = items[0]
    assert item.prompt_text().count("<image>") == len(item.images) == len(item.choices)
    assert "Which of the following images contains" in item.prompt_text()
    assert "A. Image 1\nB. Image 2" in item.prompt_text()
    assert item.meta["label"] in item.prompt_text() and item.gold == item.choices[item.meta["target"]]
    assert all(im.mode == "RGB" for im in item.images)
    numbered = as_items(probe_unit("emoji", n_questions=1, seed=0, style="number"))[0]
    assert "Answer with the image's number" in numbered.prompt_text()


def test_probe_from_imagefolder(tmp_path):
    for i, label in enumerate(["cat", "dog", "car", "tree", "boat", "lamp"]):
        (tmp_path / label).mkdir()
        Image.new("RGB", (16, 16), (40 * i, 0, 0)).save(tmp_path / label / "1.png")
    items = as_items(probe_unit(f"imagefolder:{tmp_path}", n_questions=4, seed=0))
    assert {i.meta["label"] for i in items} <= {"cat", "dog", "car", "tree", "boat", "lamp"}
    for name in ("boat", "lamp"):
        for f in (tmp_path / name).iterdir():
            f.unlink()
        (tmp_path / name).rmdir()
    with pytest.raises(UserError, match="distinct labels"):
        probe_unit(f"imagefolder:{tmp_path}", n_questions=4, seed=0)


def test_probe_holdout_uses_only_images_a_build_holds_out():
    from s2h_dataset.layout import split_of

    items = as_items(probe_unit("emoji", n_questions=30, seed=0, holdout=0.05))
    used = {sid for item in items for sid in item.meta["source_ids"]}
    assert used and all(split_of(sid, 0.05) == "test" for sid in used)
    everything = {
        sid
        for q in probe_unit("emoji", n_questions=30, seed=0).plan
        for r in q.records
        for sid in [r.source_id]
    }
    assert any(
        split_of(sid, 0.05) == "train" for sid in everything
    )  # without holdout, training images appear
    with pytest.raises(UserError, match="probe_holdout"):
        probe_unit("emoji", n_questions=3, holdout=0.7)


def test_probe_from_a_datasets_source(tmp_path):
    from datasets import ClassLabel, Features
    from datasets import Image as DImage
    from eval_fixtures import image, write_hub_folder

    names = ["cat", "dog", "car", "tree", "boat", "lamp"]
    features = Features({"image": DImage(), "label": ClassLabel(names=names)})
    columns = {"image": [image() for _ in names], "label": list(range(len(names)))}
    folder = write_hub_folder(tmp_path / "animals", {"default": {"train": (columns, features)}})
    items = as_items(probe_unit(f"hub:{folder}", n_questions=5, seed=0))
    assert len(items) == 5 and all(item.meta["label"] in names for item in items)
    assert all(sid.startswith("hub:") for item in items for sid in item.meta["source_ids"])
