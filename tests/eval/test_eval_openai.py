"""`--backend openai:` and `--judge openai:` against a real OpenAI-compatible server (`transformers serve`)."""

import json

import pytest
from captioner_server import serve_tiny_vlm
from eval_fixtures import OracleModel

from s2h_dataset.eval import EvalConfig, evaluate
from s2h_dataset.eval.judge import JUDGE
from s2h_dataset.eval.report import read_predictions
from s2h_dataset.eval.runner import make_generator


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from serve_tiny_vlm(tmp_path_factory)


def test_openai_backend_answers_in_the_same_format(server, tmp_path):
    spec = f"openai:{server.url}#{server.model}"
    config = EvalConfig(
        model_name_or_path=server.model,
        out=str(tmp_path / "served"),
        eval_tasks="l3probe",
        probe_questions=6,
        max_new_tokens=4,
        backend=spec,
        concurrency=3,
    )
    before = server.requests
    results = evaluate(config, make_generator(config))
    assert results["l3probe"]["n"] == 6 and server.requests - before == 6
    served = read_predictions(tmp_path / "served")
    local = EvalConfig(
        model_name_or_path="scripted", out=str(tmp_path / "local"), eval_tasks="l3probe", probe_questions=6
    )
    evaluate(local, OracleModel())
    keys = {"meta", "failure"}  # `failure` only on unreadable replies (the tiny model's mostly are)
    assert [set(r) - keys for r in served] == [set(r) - keys for r in read_predictions(tmp_path / "local")]
    assert [r["id"] for r in served] == [f"l3probe-{i:04d}" for i in range(6)]  # item order kept
    evaluate(config, make_generator(config))  # a resumed run sends nothing
    assert server.requests - before == 6


class HalfReadable(OracleModel):
    """Every other reply says nothing a rule can read."""

    name = "half"

    def generate(self, items):
        replies = super().generate(items)
        return [reply if i % 2 == 0 else "Hard to say, honestly." for i, reply in enumerate(replies)]


def test_judge_is_asked_only_for_unreadable_replies(server, tmp_path):
    config = EvalConfig(
        model_name_or_path="scripted",
        out=str(tmp_path),
        eval_tasks="l3probe",
        probe_questions=6,
        batch_size=6,
        judge=f"openai:{server.url}#{server.model}",
    )
    before = server.requests
    results = evaluate(config, HalfReadable())["l3probe"]
    assert results["parse_failures"] == 3 and server.requests - before == 3
    judged = [json.loads(line) for line in (tmp_path / JUDGE).read_text().splitlines()]
    assert sorted(j["id"] for j in judged) == ["l3probe-0001", "l3probe-0003", "l3probe-0005"]
    assert all(j["raw"] == "Hard to say, honestly." and "judge_raw" in j for j in judged)
    assert results["judge_asked"] == 3 and results["accuracy"] == 0.5  # rule-only numbers unchanged
    helped = sum(
        j["judge"] is not None and j["judge"] == r["gold"]
        for j in judged
        for r in read_predictions(tmp_path)
        if r["id"] == j["id"]
    )
    assert results["with_judge"]["accuracy"] == pytest.approx((3 + helped) / 6, abs=1e-6)
    assert all("judge" not in r for r in read_predictions(tmp_path))  # the model's own predictions untouched
    evaluate(config, HalfReadable())
    assert server.requests - before == 3  # judged replies are not asked again
