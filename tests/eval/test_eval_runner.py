"""The harness end to end with scripted models on fixture copies of every benchmark (real schema, offline)."""

import json

import datasets
import pytest
from eval_fixtures import AlwaysA, OracleModel, build_all

from s2h_dataset.errors import UserError
from s2h_dataset.eval import EvalConfig, evaluate, rescore
from s2h_dataset.eval.benchmarks import BENCHMARKS
from s2h_dataset.eval.probe import probe_unit
from s2h_dataset.eval.report import PREDICTIONS, RESULTS_JSON, RESULTS_MD, read_predictions
from s2h_dataset.eval.runner import task_items, task_units

PROBE_N = 24


@pytest.fixture(scope="session")
def bench(tmp_path_factory):
    return build_all(tmp_path_factory.mktemp("benchmarks"))


def config(bench, out, **kwargs):
    return EvalConfig(
        model_name_or_path="scripted",
        out=str(out),
        dataset_path=[f"{k}={v}" for k, v in bench.items()],
        probe_questions=PROBE_N,
        **kwargs,
    )


@pytest.fixture(scope="session")
def oracle_run(bench, tmp_path_factory):
    out = tmp_path_factory.mktemp("oracle")
    return out, evaluate(config(bench, out, batch_size=3), OracleModel())


def gold_a_share(bench):
    """Per task and subtask, the share of items whose gold is letter A, read from the fixture rows themselves."""
    shares = {}
    for task, spec in BENCHMARKS.items():
        for config_name in datasets.get_dataset_config_names(str(bench[task])):
            for split in spec.splits:
                rows = datasets.load_dataset(str(bench[task]), config_name, split=split)
                subtask = {"blink": config_name, "pope": split, "nlvr2": "nlvr2"}.get(task)
                for row in rows:
                    name = subtask or (row["category"] if task == "mmstar" else row["question_type"])
                    is_a = str(row["answer"]).strip("()") == "A" and task != "pope"
                    shares.setdefault(task, {}).setdefault(name, []).append(is_a)
    plan = probe_unit("emoji", PROBE_N, seed=0, holdout=0.05).plan  # the EvalConfig defaults
    for q in plan:
        shares.setdefault("l3probe", {}).setdefault(f"N={len(q.records) - 1}", []).append(q.target == 0)
    return {t: {s: sum(v) / len(v) for s, v in subs.items()} for t, subs in shares.items()}


def test_oracle_scores_everything(oracle_run):
    _, results = oracle_run
    assert set(results) == {"blink", "mantis", "nlvr2", "mmstar", "pope", "l3probe"}
    for task, scores in results.items():
        assert scores["accuracy"] == 1.0, task
        assert scores["parse_failures"] == 0, task
        assert all(s["accuracy"] == 1.0 for s in scores["subtasks"].values()), task
    assert set(results["blink"]["subtasks"]) == {"Art_Style", "Counting", "IQ_Test"}
    assert set(results["pope"]["subtasks"]) == {"adversarial", "popular", "random"}
    assert results["pope"]["f1_mean_of_splits"] == 1.0
    assert results["pope"]["subtasks"]["adversarial"]["yes_ratio"] == 0.5  # 2 of 4 golds are yes
    assert results["l3probe"]["n"] == PROBE_N
    assert results["mantis"]["n"] == 5 and results["blink"]["n"] == 9 and results["pope"]["n"] == 9


def test_always_a_scores_the_share_of_a(bench, tmp_path):
    results = evaluate(config(bench, tmp_path), AlwaysA())
    expected = gold_a_share(bench)
    for task in ("blink", "mantis", "nlvr2", "mmstar", "l3probe"):
        for name, share in expected[task].items():
            assert results[task]["subtasks"][name]["accuracy"] == pytest.approx(share), (task, name)
    assert 0 < results["blink"]["accuracy"] < 1 and 0 < results["mmstar"]["accuracy"] < 1
    # "A" is no yes/no answer: every POPE reply is unreadable, counted, and none is a "yes"
    assert results["pope"]["parse_failures"] == results["pope"]["n"] == 9
    assert results["pope"]["accuracy"] == 0.0 and results["pope"]["yes_ratio_mean_of_splits"] == 0.0
    # mantis' short-answer item reads "a", a wrong answer but not a parse failure
    assert results["mantis"]["parse_failures"] == 0


def test_blink_unweighted_mean_differs_from_pooled(bench, tmp_path):
    results = evaluate(config(bench, tmp_path, eval_tasks="blink"), AlwaysA())["blink"]
    subtasks = results["subtasks"]
    assert results["accuracy_mean_of_subtasks"] == pytest.approx(
        sum(s["correct"] / s["n"] for s in subtasks.values()) / 3, abs=1e-6
    )
    assert results["accuracy"] == pytest.approx(sum(s["correct"] for s in subtasks.values()) / 9)
    assert results["accuracy"] != pytest.approx(results["accuracy_mean_of_subtasks"])


def test_predictions_and_rescore_reproduce_results(oracle_run):
    out, results = oracle_run
    records = read_predictions(out)
    assert len(records) == sum(r["n"] for r in results.values())
    first = records[0]
    assert {"task", "id", "raw", "parsed", "gold", "subtask"} <= set(first)
    before = (out / RESULTS_JSON).read_bytes()
    assert json.loads(before)["s2h"] == results  # our scores, inside lmms-eval's layout (issue #22)
    assert "| BLINK (val) |" in (out / RESULTS_MD).read_text()
    (out / RESULTS_JSON).unlink()
    (out / RESULTS_MD).unlink()
    assert rescore(out) == results
    assert (out / RESULTS_JSON).read_bytes() == before


def test_rescore_rereads_the_raw_replies(bench, tmp_path):
    evaluate(config(bench, tmp_path, eval_tasks="mmstar"), OracleModel())
    lines = (tmp_path / PREDICTIONS).read_text().splitlines()
    record = json.loads(lines[0])
    record["raw"] = "Based on the picture, I cannot tell."
    (tmp_path / PREDICTIONS).write_text("\n".join([json.dumps(record), *lines[1:]]) + "\n")
    results = rescore(tmp_path)["mmstar"]
    assert results["parse_failures"] == 1 and results["correct"] == results["n"] - 1


def test_resume_skips_answered_questions(bench, tmp_path):
    calls = []

    class Counting(OracleModel):
        def generate(self, items):
            calls.extend(item.id for item in items)
            return super().generate(items)

    evaluate(config(bench, tmp_path, eval_tasks="mmstar", eval_limit=2), Counting())
    evaluate(config(bench, tmp_path, eval_tasks="mmstar"), Counting())
    assert len(calls) == 6 and len(set(calls)) == 6  # 2, then the 4 not asked yet
    assert len(read_predictions(tmp_path)) == 6


def items_of(bench, task, **kwargs):
    cfg = config(bench, "unused", eval_tasks=task, **kwargs)
    spec = BENCHMARKS[task]
    return [item for unit in task_units(spec, cfg) for item in task_items(spec, unit, cfg)]


def test_items_follow_the_benchmark_layout(bench):
    blink = items_of(bench, "blink")
    assert [len(i.images) for i in blink if i.subtask == "Counting"] == [1, 1, 1, 1]
    assert blink[0].choices == ("A", "B") and "(B) choice B" in blink[0].prompt_text()
    mantis = {i.id: i for i in items_of(bench, "mantis")}
    # placeholders become image parts where the question puts them
    assert mantis["m2"].prompt_text().startswith("Compare <image> with <image>: same colour?")
    assert mantis["m3"].prompt_text().startswith("<image><image><image>How do the images differ?")
    assert "(A) colour\n(B) size\n(C) shape" in mantis["m3"].prompt_text()
    assert (
        "A. yes\nB. no" in mantis["m2"].prompt_text()
    )  # options that carry their letter are not re-lettered
    assert mantis["m4"].answer_type == "short" and mantis["m4"].gold == "two"
    nlvr2 = items_of(bench, "nlvr2")
    assert [i.gold for i in nlvr2] == ["A", "B", "B", "A", "B"]  # (A) True (B) False, as Mantis renders
    assert "(A) True\n(B) False" in nlvr2[0].prompt_text()


def test_missing_dataset_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="--dataset-path mmstar=LOCAL_COPY"):
        evaluate(
            EvalConfig(
                model_name_or_path="x",
                out=str(tmp_path),
                eval_tasks="mmstar",
                dataset_path=[f"mmstar={tmp_path / 'nowhere'}"],
            ),
            OracleModel(),
        )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"eval_tasks": "blink,vqa"}, "unknown task `vqa`"),
        ({"protocol": "mmbench"}, "--protocol mmbench"),
        ({"processor_kwargs": "{max_pixels: 1}"}, "--processor-kwargs. must be a JSON object"),
        ({"processor_kwargs": "[1]"}, "JSON object"),
        ({"revision": ["blink"]}, "TASK=VALUE"),
        ({"backend": "vllm"}, "openai:BASE_URL#MODEL"),
        ({"backend": "openai:localhost:8000/v1#m"}, "--backend. `openai:localhost:8000/v1#m` must be"),
        ({"judge": "openai:http://h/v1#"}, "--judge. `openai:http://h/v1#` must be"),
        ({"resume": "maybe"}, "refuse or fresh"),
        ({"eval_limit": 0}, "--eval-limit"),
        ({"batch_size": 0}, "--batch-size"),
        ({"dataset_path": ["blink"]}, "TASK=VALUE"),
        ({"out": None}, "--out"),
    ],
)
def test_config_validation(kwargs, message):
    with pytest.raises(UserError, match=message):
        EvalConfig(**{"model_name_or_path": "m", "out": "o", **kwargs})


def test_rescore_prints_the_table(oracle_run, capsys):
    from s2h_dataset.cli import main

    out, _ = oracle_run
    assert main(["eval", "--rescore", str(out)]) == 0
    printed = capsys.readouterr().out
    assert (
        "| benchmark | metric | score (%) |" in printed
        and "| POPE | F1 (mean of 3 splits) | 100.00 |" in printed
    )


def test_unreadable_replies_say_why_and_old_files_still_rescore(bench, tmp_path):
    """predictions.jsonl gives the parser's reason for every reply it could not read (so a user sees why it
    was scored wrong), none for a read one; a file written before the field existed rescores the same."""
    from s2h_dataset.vlm.replies import read_reply

    results = evaluate(config(bench, tmp_path, eval_tasks="pope,mmstar"), AlwaysA())
    records = read_predictions(tmp_path)
    for record in records:
        reading = read_reply(record["answer_type"], record["raw"], record["choices"], record["options"])
        assert record.get("failure") == reading.failure and record["parsed"] == reading.value, record
    reasons = {r["task"]: r.get("failure") for r in records}
    assert reasons == {"pope": "no answer found", "mmstar": None}  # "A" is no yes/no answer
    old = [{k: v for k, v in r.items() if k not in ("failure", "parsed")} for r in records]
    (tmp_path / PREDICTIONS).write_text("".join(json.dumps(r) + "\n" for r in old))
    assert rescore(tmp_path) == results
