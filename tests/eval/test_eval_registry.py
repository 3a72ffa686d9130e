"""The task registry: a toy benchmark is one spec; CircularEval; `--eval-limit` spread over subtasks; headlines."""

import pytest
from datasets import Features, Value
from datasets import Image as DImage
from eval_fixtures import AlwaysA, OracleModel, build_all, image, write_hub_folder

from s2h_dataset.eval import EvalConfig, evaluate, markdown_table
from s2h_dataset.eval.benchmarks.pope import POPE_SCORING
from s2h_dataset.eval.items import Question
from s2h_dataset.eval.report import read_predictions
from s2h_dataset.eval.spec import REGISTRY, Prompt, TaskSpec, register


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return build_all(tmp_path_factory.mktemp("benchmarks"))


def cfg(bench, out, task, **kwargs):
    return EvalConfig(
        model_name_or_path="scripted",
        out=str(out),
        eval_tasks=task,
        dataset_path=[f"{task}={bench[task]}"],
        **kwargs,
    )


def test_a_toy_benchmark_is_one_spec(tmp_path):
    features = Features({"qid": Value("string"), "picture": DImage(), "colour": Value("string")})
    rows = {
        "qid": ["t1", "t2", "t3"],
        "picture": [image() for _ in range(3)],
        "colour": ["red", "blue", "red"],
    }
    folder = write_hub_folder(tmp_path / "toy", {"default": {"test": (rows, features)}})

    def build(row, config, split):
        return Question(
            row["qid"],
            "colours",
            [row["picture"]],
            "Is it red?",
            "yes" if row["colour"] == "red" else "no",
            "yesno",
        )

    register(
        TaskSpec(
            name="toy",
            title="Toy colours",
            hub_id="nobody/toy",
            configs=("default",),
            splits=("test",),
            build=build,
            prompts={"s2h": Prompt(lambda q: f"{q.stem} Say yes or no.", 8, "yesno")},
            scoring=POPE_SCORING,  # a yes/no task takes POPE's scores by naming them
            headline=(("F1", "f1_mean_of_splits"),),
        )
    )
    try:
        results = evaluate(
            EvalConfig(
                model_name_or_path="m",
                out=str(tmp_path / "o"),
                eval_tasks="toy",
                dataset_path=[f"toy={folder}"],
            ),
            OracleModel(),
        )
        assert results["toy"]["accuracy"] == 1.0 and results["toy"]["f1_mean_of_splits"] == 1.0
        assert "| Toy colours | F1 | 100.00 | 3 | 0 |" in markdown_table(results)
        assert read_predictions(tmp_path / "o")[0]["prompt"] == "<image>Is it red? Say yes or no."
    finally:
        REGISTRY.pop("toy")


def test_circular_eval_counts_a_question_only_if_every_rotation_is_right(bench, tmp_path):
    oracle = evaluate(cfg(bench, tmp_path / "o", "mmstar", circular=True), OracleModel())["mmstar"]
    assert oracle["accuracy"] == 1.0 and oracle["n"] == 6
    assert oracle["circular"] == {"questions": 6, "replies": 24}  # 4 rotations of each 4-option question
    records = read_predictions(tmp_path / "o")
    first = [r for r in records if r["id"].startswith("0#c")]
    assert [r["gold"] for r in first] == ["A", "D", "C", "B"]  # gold A moves with its option
    assert "A: dog, B: car, C: tree (q0), D: cat" in first[1]["prompt"]
    plain = evaluate(cfg(bench, tmp_path / "p", "mmstar"), AlwaysA())["mmstar"]
    circular = evaluate(cfg(bench, tmp_path / "c", "mmstar", circular=True), AlwaysA())["mmstar"]
    assert plain["accuracy"] == 0.5 and circular["accuracy"] == 0.0  # "always A" never survives a rotation


def test_limit_spreads_over_subtasks_and_is_seeded(bench, tmp_path):
    def subtasks(out, **kwargs):
        evaluate(cfg(bench, out, "mmstar", eval_limit=3, **kwargs), OracleModel())
        return sorted((r["subtask"], r["id"]) for r in read_predictions(out))

    drawn = subtasks(tmp_path / "a")
    assert [s for s, _ in drawn] == ["coarse perception", "logical reasoning", "math"]  # first-N would be 2+1
    assert subtasks(tmp_path / "b") == drawn
    other = [subtasks(tmp_path / f"s{seed}", eval_limit_seed=seed) for seed in range(1, 5)]
    assert any(o != drawn for o in other) and all(len({s for s, _ in o}) == 3 for o in other)


def test_limit_spreads_the_probe_over_its_image_counts(tmp_path):
    """The probe is a generated unit (no `datasets` table behind it); `--eval-limit` spreads it over N too."""
    config = EvalConfig(
        model_name_or_path="m", out=str(tmp_path), eval_tasks="l3probe", probe_questions=12, eval_limit=3
    )
    evaluate(config, OracleModel())
    records = read_predictions(tmp_path)
    assert len(records) == 3 and len({r["subtask"] for r in records}) == 3  # one question of each N


def test_headlines_as_the_literature_reports_them(bench, tmp_path):
    results = evaluate(cfg(bench, tmp_path, "pope"), OracleModel())
    table = markdown_table(results)
    assert table.index("F1 (mean of 3 splits)") < table.index("accuracy (mean of 3 splits)")
    results = evaluate(cfg(bench, tmp_path / "m", "mmstar"), AlwaysA())
    assert results["mmstar"]["l2_categories"]["recognition"]["n"] == 6
    assert "| MMStar | mean of category accuracies |" in markdown_table(results)
