"""results.json in lmms-eval's layout, read by a small reader written against that layout (lmms-eval@75571cf
`utils.make_table`: `results` -> task -> "<metric>,<filter>" with "<metric>_stderr,<filter>"; `versions`,
`n-shot`, `higher_is_better`, `configs`, `n-samples`, `config`), and run.json's real limit and counts."""

import json

import pytest
from eval_fixtures import OracleModel, build_all

from s2h_dataset.eval import EvalConfig, evaluate, rescore
from s2h_dataset.eval.lmms_layout import read_results
from s2h_dataset.eval.report import RESULTS_JSON, read_run


def lmms_table(document: dict) -> list[tuple]:
    """(task, filter, n-shot, metric, value, stderr) rows, as lmms-eval's make_table walks the document."""
    rows = []
    for task, metrics in document["results"].items():
        shots = document["n-shot"][task]
        document["versions"][task]
        document["higher_is_better"][task]
        for key, value in sorted(metrics.items()):
            if key == "alias":
                continue
            metric, _, flt = key.partition(",")
            assert flt, f"{task}: key {key!r} is not 'metric,filter'"
            if metric.endswith("_stderr"):
                continue
            stderr = metrics[f"{metric}_stderr,{flt}"]
            assert stderr == "N/A" or isinstance(stderr, float)
            rows.append((task, flt, shots, metric, value, stderr))
    return rows


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    bench = build_all(tmp_path_factory.mktemp("benchmarks"))
    out = tmp_path_factory.mktemp("lmms-layout")
    config = EvalConfig(
        model_name_or_path="scripted",
        out=str(out),
        eval_tasks="blink,pope,l3probe",
        protocol="lmms-eval",
        eval_limit=4,
        probe_questions=12,
        dataset_path=[f"{k}={v}" for k, v in bench.items()],
    )
    evaluate(config, OracleModel())
    return out


def test_an_lmms_eval_reader_reads_results_json(run):
    document = json.loads((run / RESULTS_JSON).read_text())
    rows = lmms_table(document)
    accuracy = {(t, f): (v, se) for t, f, _, m, v, se in rows if m == "accuracy"}
    assert accuracy[("blink", "none")] == (1.0, 0.0)  # four right answers: stderr 0
    reference = {(t, f): v for t, f, _, m, v, _ in rows if m == "reference_headline"}
    assert ("blink", "as-lmms-eval") in reference and ("pope", "as-lmms-eval") in reference
    assert document["n-samples"]["blink"] == {"original": 9, "effective": 4}  # 9 fixture rows, --eval-limit 4
    assert document["n-samples"]["l3probe"] == {"original": 12, "effective": 4}
    assert document["configs"]["pope"]["generation_kwargs"]["max_new_tokens"] == 128
    assert document["configs"]["blink"]["protocol"] == "lmms-eval"
    config = document["config"]
    assert config["limit"] == 4 and "pretrained=scripted" in config["model_args"]
    assert {"torch", "transformers", "datasets", "trl", "peft"} <= set(config["versions"])
    assert "git_hash" in document and document["date"]


def test_run_json_records_the_real_limit_and_counts(run):
    record = read_run(run)
    assert record["eval_limit"] == 4
    assert record["questions"]["l3probe"] == {"available": 12, "asked": 4}


def test_our_scores_read_back_and_rescore_is_byte_stable(run, tmp_path):
    scores = read_results(run / RESULTS_JSON)
    assert scores["blink"]["n"] == 4 and "subtasks" in scores["blink"]
    before = (run / RESULTS_JSON).read_bytes()
    rescore(run)
    assert (run / RESULTS_JSON).read_bytes() == before
    flat = tmp_path / "old.json"  # the flat layout of earlier runs still reads
    flat.write_text(json.dumps({"blink": {"accuracy": 0.5}}))
    assert read_results(flat) == {"blink": {"accuracy": 0.5}}
