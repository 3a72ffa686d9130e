"""The harness with tiny random VLMs (real processors, chat templates, generate): a few questions per task."""

import json

import pytest
from eval_fixtures import build_all

from s2h_dataset.cli import main
from s2h_dataset.eval import EvalConfig, run_eval
from s2h_dataset.eval.generate import HFGenerator
from s2h_dataset.eval.lmms_layout import read_results
from s2h_dataset.eval.probe import probe_text, probe_unit
from s2h_dataset.eval.report import RESULTS_JSON, RESULTS_MD, read_predictions
from s2h_dataset.testing import tiny_vlm_cache
from s2h_dataset.vlm.replies import read_reply


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return build_all(tmp_path_factory.mktemp("benchmarks"))


def test_every_benchmark_through_the_cli(bench, tmp_path):
    model, out = tiny_vlm_cache("qwen2_vl"), tmp_path / "eval"
    paths = [f"{task}={path}" for task, path in bench.items()]
    argv = [
        "eval",
        "--model-name-or-path",
        str(model),
        "--out",
        str(out),
        "--eval-limit",
        "3",
        "--batch-size",
        "2",
        "--max-new-tokens",
        "6",
        "--probe-questions",
        "3",
        "--dataset-path",
        *paths,
    ]
    assert main(argv) == 0
    results = read_results(out / RESULTS_JSON)  # our scores; the file is in lmms-eval's layout
    # --eval-limit 3: three questions per task, one from each of 3 subtasks where there are 3 or more
    assert {t: r["n"] for t, r in results.items()} == dict.fromkeys(results, 3)
    assert set(results["blink"]["subtasks"]) == {"Art_Style", "Counting", "IQ_Test"}
    assert set(results["pope"]["subtasks"]) == {"adversarial", "popular", "random"}
    assert len(results["mmstar"]["subtasks"]) == 3  # coarse perception, logical reasoning, math
    records = read_predictions(out)
    assert all(isinstance(r["raw"], str) and r["meta"]["prompt_tokens"] > 0 for r in records)
    assert all(
        r["parsed"] == read_reply(r["answer_type"], r["raw"], r["choices"], r["options"]).value
        for r in records
    )
    before = (out / RESULTS_JSON).read_bytes()
    (out / RESULTS_JSON).unlink()
    (out / RESULTS_MD).unlink()
    assert main(["eval", "--rescore", str(out)]) == 0
    assert (out / RESULTS_JSON).read_bytes() == before
    assert "| POPE |" in (out / RESULTS_MD).read_text()


def test_run_eval_api_with_interleaved_images(bench, tmp_path):
    config = EvalConfig(
        model_name_or_path=str(tiny_vlm_cache("llava")),
        eval_tasks="mantis,l3probe",
        out=str(tmp_path),
        eval_limit=3,
        batch_size=3,
        max_new_tokens=4,
        probe_questions=3,
        dataset_path=[f"mantis={bench['mantis']}"],
    )
    results = run_eval(config)
    assert results["mantis"]["n"] == 3 and results["l3probe"]["n"] == 3
    assert 0.0 <= results["l3probe"]["accuracy"] <= 1.0 and results["l3probe"]["chance"] > 0


def test_batched_replies_match_one_by_one():
    generator = HFGenerator(str(tiny_vlm_cache("qwen2_vl")), max_new_tokens=6)
    items = [q.to_item(probe_text(q)) for q in probe_unit("emoji", n_questions=4, seed=1)]  # 3-5 images
    assert len({len(i.images) for i in items}) > 1
    assert generator.generate(items) == [generator.generate([item])[0] for item in items]


def test_bad_model_is_a_one_line_error(tmp_path, capsys):
    """A missing folder is refused while the options are read; a folder that holds no model when loading."""
    empty = tmp_path / "empty"
    empty.mkdir()
    for model, expected in ((tmp_path / "missing", "folder does not exist"), (empty, "cannot load model")):
        argv = ["eval", "--model-name-or-path", str(model), "--out", str(tmp_path / "o")]
        assert main([*argv, "--eval-tasks", "l3probe"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and expected in err[0], err


def test_processor_kwargs_reach_the_processor(tmp_path):
    from s2h_dataset.eval.runner import make_generator

    size = {"longest_edge": 56 * 56, "shortest_edge": 56 * 56}
    config = EvalConfig(
        model_name_or_path=str(tiny_vlm_cache("qwen2_vl")),
        out=str(tmp_path),
        eval_tasks="l3probe",
        processor_kwargs=json.dumps({"size": size}),
    )
    processor = make_generator(config).processor
    assert processor.image_processor.size["longest_edge"] == 56 * 56
    stock = make_generator(
        EvalConfig(model_name_or_path=config.model_name_or_path, out=str(tmp_path), eval_tasks="l3probe")
    ).processor
    assert stock.image_processor.size["longest_edge"] != 56 * 56
