"""The `evaluate` metric modules load offline by path and give the scorer's numbers; model-index in the card."""

import random

import pytest
from huggingface_hub import ModelCard

from s2h_dataset.eval.metrics import METRIC_NAMES, metric_path
from s2h_dataset.eval.model_index import eval_results
from s2h_dataset.eval.scoring import score_task
from s2h_dataset.training.model_card import CardInfo, write_model_card


def rec(task, subtask, gold, parsed, **meta):
    return {
        "task": task,
        "id": f"{subtask}-{random.random()}",
        "subtask": subtask,
        "gold": gold,
        "parsed": parsed,
        "meta": meta,
    }


@pytest.fixture(scope="module")
def records():
    rng = random.Random(0)
    pope = [
        rec("pope", "random", rng.choice(["yes", "no"]), rng.choice(["yes", "no", None])) for _ in range(60)
    ]
    probe = []
    for _ in range(80):
        n = rng.choice([3, 4, 5])
        gold = "ABCDE"[rng.randrange(n)]
        probe.append(
            rec("l3probe", f"N={n - 1}", gold, rng.choice(["A", "B", "C", None]), n_distractors=n - 1)
        )
    return pope, probe


def test_metric_modules_load_offline_and_match_the_scorer(records):
    import evaluate

    pope, probe = records
    assert {
        p.name
        for p in __import__("pathlib").Path(metric_path("pope")).parent.iterdir()
        if p.is_dir() and not p.name.startswith("_")
    } >= set(METRIC_NAMES)
    module = evaluate.load(metric_path("pope"))
    got = module.compute(predictions=[r["parsed"] or "" for r in pope], references=[r["gold"] for r in pope])
    want = score_task("pope", pope)["subtasks"]["random"]
    for key in ("accuracy", "precision", "recall", "f1", "yes_ratio"):
        assert got[key] == pytest.approx(want[key], abs=1e-6), key
    # by hand: an unreadable reply is wrong for accuracy and for F1 alike
    tp = sum(r["gold"] == "yes" and r["parsed"] == "yes" for r in pope)
    fp = sum(r["gold"] == "no" and r["parsed"] in ("yes", None) for r in pope)
    fn = sum(r["gold"] == "yes" and r["parsed"] in ("no", None) for r in pope)
    assert got["f1"] == pytest.approx(2 * tp / (2 * tp + fp + fn))

    module = evaluate.load(metric_path("probe_accuracy"))
    got = module.compute(
        predictions=[r["parsed"] or "" for r in probe],
        references=[r["gold"] for r in probe],
        n_images=[r["meta"]["n_distractors"] + 1 for r in probe],
    )
    want = score_task("l3probe", probe)
    assert got["accuracy"] == pytest.approx(want["accuracy"], abs=1e-6)
    assert got["chance"] == pytest.approx(want["chance"], abs=1e-6)
    assert got["ci95"] == pytest.approx(want["ci95"], abs=1e-6)
    assert got["ci95"][0] < got["accuracy"] < got["ci95"][1]

    module = evaluate.load(metric_path("preference_accuracy"))
    got = module.compute(chosen=[1.0, -2.0, 0.5, 3.0], rejected=[0.0, -1.0, 0.5, 1.0])
    assert got == {"accuracy": 0.5, "margin_mean": pytest.approx(0.5), "margin_min": -1.0}


def test_model_card_carries_a_model_index_the_hub_library_parses(records, tmp_path):
    """Issue #22: plain metric types (accuracy, f1), chance and item counts beside them, never a "chance"
    metric of value 0; base_model and datasets keys; the probe listed under the S2H-DPO dataset's Hub id."""
    pope, probe = records
    results = {"pope": score_task("pope", pope), "l3probe": score_task("l3probe", probe), "eval_loss": 0.3}
    results["pope"]["dataset"] = {"revision": None, "resolved_revision": "a" * 40}
    info = CardInfo(
        "DPO",
        "org/base",
        "org/s2h-dpo",
        {"levels": ["level3"]},
        {"beta": 0.1},
        model_name="tiny-s2h",
        eval_results=results,
        eval_table="| benchmark | score |",
    )
    path = write_model_card(tmp_path, info)
    card = ModelCard.load(path)
    parsed = {(r.dataset_type, r.metric_type, r.metric_name): r for r in card.data.eval_results}
    f1 = parsed[("lmms-lab/POPE", "f1", "F1 (mean of 3 splits) (60 items)")]
    assert f1.metric_value == round(100 * results["pope"]["f1_mean_of_splits"], 2)
    assert f1.dataset_revision == "a" * 40 and f1.metric_args["items"] == 60
    probe_row = parsed[("org/s2h-dpo", "accuracy", f"accuracy ({len(probe)} items)")]
    assert probe_row.metric_value == round(100 * results["l3probe"]["accuracy"], 2)
    assert probe_row.metric_args["chance"] == round(100 * results["l3probe"]["chance"], 2) > 0
    assert all("chance" not in r.metric_name for r in card.data.eval_results)
    assert card.data.base_model == "org/base" and card.data.datasets == ["org/s2h-dpo"]
    assert card.data.model_name == "tiny-s2h" and "model-index" in path.read_text()
    assert f"l3probe {len(probe)}" in card.text  # the item counts are stated in the body too
    assert len(eval_results(results, "org/s2h-dpo")) == 4  # POPE's three headline rows + the probe's
    assert len(eval_results(results)) == 3  # no Hub id for the probe: left out, eval_loss skipped
