"""`s2h_test`: preference accuracy on the built test split, per level and task, streamed; oracle check."""

import datasets
import pytest

from s2h_dataset.eval import EvalConfig, evaluate, markdown_table
from s2h_dataset.eval.preference import preference_rows
from s2h_dataset.eval.report import read_predictions
from s2h_dataset.eval.runner import make_generator
from s2h_dataset.testing import tiny_vlm_cache


class PrefersChosen:
    """A reference-free oracle: scores each row's chosen completion above its rejected one."""

    name = "oracle-scorer"

    def score(self, rows):
        return [(0.0, -1.0 - len(row["rejected"][0]["content"][0]["text"]) / 100) for row in rows]


class PrefersShorter:
    name = "shorter"

    def score(self, rows):
        return [tuple(-len(row[k][0]["content"][0]["text"]) for k in ("chosen", "rejected")) for row in rows]


def cfg(built_dataset, out, **kwargs):
    return EvalConfig(
        model_name_or_path="scripted",
        out=str(out),
        eval_tasks="s2h_test",
        test_dataset=str(built_dataset),
        **kwargs,
    )


def test_oracle_scorer_gets_everything_per_level(built_dataset, tmp_path):
    assert isinstance(
        datasets.load_dataset(str(built_dataset), "all", split="test", streaming=True),
        datasets.IterableDataset,
    )
    results = evaluate(cfg(built_dataset, tmp_path), PrefersChosen())["s2h_test"]
    n_test = sum(1 for _ in preference_rows(str(built_dataset)))
    assert results["n"] == n_test and results["accuracy"] == 1.0
    assert set(results["levels"]) == {"level1", "level2", "level3"}
    assert all(s["accuracy"] == 1.0 and s["margin_min"] > 0 for s in results["levels"].values())
    assert all(name.startswith("level") and "/" in name for name in results["subtasks"])
    assert (
        "| S2H-DPO test split (preference accuracy) | preference accuracy (mean of levels) | 100.00 |"
        in markdown_table({"s2h_test": results})
    )


def test_a_biased_scorer_is_measured_and_resume_reuses_scores(built_dataset, tmp_path):
    results = evaluate(cfg(built_dataset, tmp_path, eval_limit=30), PrefersShorter())["s2h_test"]
    rows = list(preference_rows(str(built_dataset), limit=30))
    expected = sum(
        len(r["chosen"][0]["content"][0]["text"]) < len(r["rejected"][0]["content"][0]["text"]) for r in rows
    )
    assert results["n"] == 30 and results["correct"] == expected
    evaluate(cfg(built_dataset, tmp_path, eval_limit=30), PrefersShorter())
    assert len(read_predictions(tmp_path)) == 30  # nothing scored twice


def test_limit_spreads_over_levels_and_tasks(built_dataset):
    """`--eval-limit` on the `all` config: every level/task subtask gets its share, not the first N rows
    (which are all level 1); the pick is seeded."""
    every = [f"level{r['level']}/{r['task']}" for r in preference_rows(str(built_dataset))]
    subtasks = sorted(set(every))
    assert len(subtasks) >= 6 and every[: len(every) // 3].count(every[0]) > 1  # the split is ordered
    limit = 2 * len(subtasks)
    picked = [f"level{r['level']}/{r['task']}" for r in preference_rows(str(built_dataset), limit=limit)]
    assert len(picked) == limit
    counts = {s: picked.count(s) for s in subtasks}
    assert set(picked) == set(subtasks), counts  # round robin: every subtask before any gets a second
    assert max(counts.values()) - min(counts[s] for s in subtasks if every.count(s) >= 2) <= 1, counts
    ids = [r["id"] for r in preference_rows(str(built_dataset), limit=limit)]
    assert ids == [r["id"] for r in preference_rows(str(built_dataset), limit=limit, seed=0)]
    assert ids != [r["id"] for r in preference_rows(str(built_dataset), limit=limit, seed=1)]


def test_tiny_model_policy_and_dpo_reward(built_dataset, tmp_path):
    model = str(tiny_vlm_cache("qwen2_vl"))

    def run(out, **kwargs):
        config = cfg(built_dataset, out, test_config="level3", eval_limit=4, **kwargs)
        config.model_name_or_path = model
        return evaluate(config, make_generator(config))["s2h_test"]

    scores = run(tmp_path / "p")
    assert scores["n"] == 4 and set(scores["levels"]) == {"level3"}
    records = read_predictions(tmp_path / "p")
    assert all(r["chosen"] < 0 and r["rejected"] < 0 for r in records)  # summed log-probabilities
    # the model against itself as reference: every implicit reward is 0, so no pair is ranked right
    reward = run(tmp_path / "r", reference_model=model)
    assert reward["accuracy"] == 0.0 and reward["margin_mean"] == pytest.approx(0.0, abs=1e-5)
