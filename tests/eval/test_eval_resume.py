"""Safe resume: every setting that changes an answer is in the key; a change refuses or re-asks, never mixes."""

import json

import pytest
from eval_fixtures import AlwaysA, OracleModel, build_all

from s2h_dataset.errors import UserError
from s2h_dataset.eval import EvalConfig, evaluate
from s2h_dataset.eval.report import PREDICTIONS, RUN_JSON, read_predictions
from s2h_dataset.eval.spec import REGISTRY, Prompt


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return build_all(tmp_path_factory.mktemp("benchmarks"))


class Counting(OracleModel):
    def __init__(self):
        self.calls = 0

    def generate(self, items):
        self.calls += len(items)
        return super().generate(items)


def cfg(bench, out, task, **kwargs):
    base = {"model_name_or_path": "scripted", "out": str(out), "eval_tasks": task, "probe_questions": 6}
    base["dataset_path"] = [f"{task}={bench[task]}"] if task in bench else []
    return EvalConfig(**{**base, **kwargs})


# (task, changed field, value): every field of the resume key
CHANGES = [
    ("mmstar", "model_name_or_path", "other-model"),
    ("mmstar", "model_revision", "v2"),
    ("mmstar", "protocol", "vlmevalkit"),
    ("mmstar", "max_new_tokens", 9),
    ("mmstar", "batch_size", 2),
    ("mmstar", "dtype", "bfloat16"),
    ("mmstar", "processor_kwargs", '{"max_pixels": 200704}'),
    ("mmstar", "backend", "openai:http://127.0.0.1:1/v1#m"),
    ("mmstar", "circular", True),
    ("mmstar", "revision", ["mmstar=abc123"]),
    ("l3probe", "probe_seed", 1),
    ("l3probe", "probe_source", "imagefolder:PLACEHOLDER"),
    ("l3probe", "probe_questions", 7),
    ("l3probe", "probe_style", "number"),
    ("l3probe", "probe_holdout", 0.0),
]

# the resume key keeps the name older run.json files use
RESUME_KEYS = {"model_name_or_path": "model"}


@pytest.mark.parametrize("task, name, value", CHANGES, ids=[c[1] for c in CHANGES])
def test_a_changed_setting_refuses_then_fresh_reasks(bench, tmp_path, task, name, value):
    if value == "imagefolder:PLACEHOLDER":
        from PIL import Image

        for i, label in enumerate(["cat", "dog", "car", "tree", "boat", "lamp"]):
            (tmp_path / "imgs" / label).mkdir(parents=True)
            Image.new("RGB", (16, 16), (40 * i, 0, 0)).save(tmp_path / "imgs" / label / "1.png")
        value = f"imagefolder:{tmp_path / 'imgs'}"
    out = tmp_path / "eval"
    base = {"probe_holdout": 0.0} if name == "probe_source" else {}  # 6 tiny images: keep them all
    first = Counting()
    evaluate(cfg(bench, out, task, **base), first)
    asked = first.calls
    assert asked > 0
    same = Counting()
    evaluate(cfg(bench, out, task, **base), same)
    assert same.calls == 0  # unchanged settings: everything reused
    changed = cfg(bench, out, task, **{**base, name: value})
    key_name = RESUME_KEYS.get(name, name)
    with pytest.raises(UserError, match=f"other settings .*`{key_name}` was"):
        evaluate(changed, Counting())
    again = Counting()
    changed.resume = "fresh"
    evaluate(changed, again)
    assert again.calls >= 1 and (again.calls == asked or name in ("circular", "probe_questions"))
    kept = list(out.glob("replaced-*.jsonl"))
    assert len(kept) == 1 and len(kept[0].read_text().splitlines()) == asked  # old answers set aside
    assert all(r["task"] == task for r in read_predictions(out))
    key = json.loads((out / RUN_JSON).read_text())["answer_settings"][task]
    assert key[key_name] == (
        changed.processor_options if name == "processor_kwargs" else {"revision": "abc123"}.get(name, value)
    )


def test_another_generator_is_refused(bench, tmp_path):
    evaluate(cfg(bench, tmp_path, "nlvr2"), OracleModel())
    with pytest.raises(UserError, match='`generator` was "oracle", now "always-a"'):
        evaluate(cfg(bench, tmp_path, "nlvr2"), AlwaysA())


def test_other_tasks_are_kept_when_one_is_reasked(bench, tmp_path):
    evaluate(cfg(bench, tmp_path, "nlvr2"), OracleModel())
    evaluate(cfg(bench, tmp_path, "pope"), OracleModel())
    evaluate(cfg(bench, tmp_path, "pope", protocol="lmms-eval", resume="fresh"), OracleModel())
    tasks = [r["task"] for r in read_predictions(tmp_path)]
    assert tasks.count("nlvr2") == 5 and tasks.count("pope") == 9


def test_a_changed_prompt_template_is_reasked(bench, tmp_path, monkeypatch):
    evaluate(cfg(bench, tmp_path, "pope"), OracleModel())
    spec = REGISTRY["pope"]
    monkeypatch.setitem(spec.prompts, "s2h", Prompt(lambda q: f"{q.stem} Yes or no?", 128, "yesno"))
    model = Counting()
    results = evaluate(cfg(bench, tmp_path, "pope"), model)
    assert model.calls == 9 and results["pope"]["n"] == 9  # re-asked, and the new replies supersede the old
    assert len((tmp_path / PREDICTIONS).read_text().splitlines()) == 18


def test_backend_credentials_are_not_written_and_not_part_of_the_key(bench, tmp_path):
    secret = "http://user:p@ss@127.0.0.1:1/v1?api_key=RESUMEKEY#m"
    model = Counting()
    evaluate(cfg(bench, tmp_path, "l3probe", backend=f"openai:{secret}"), model)
    run_path = tmp_path / RUN_JSON
    assert "RESUMEKEY" not in run_path.read_text() and "p@ss" not in run_path.read_text()
    run = json.loads(run_path.read_text())
    assert run["answer_settings"]["l3probe"]["backend"] == "openai:http://***@127.0.0.1:1/v1?api_key=***#m"
    run["answer_settings"]["l3probe"]["backend"] = f"openai:{secret}"  # a folder written before redaction
    run_path.write_text(json.dumps(run))
    asked = model.calls
    evaluate(
        cfg(bench, tmp_path, "l3probe", backend="openai:http://other:KEY2@127.0.0.1:1/v1?api_key=K2#m"), model
    )
    assert model.calls == asked  # new credentials, same server and model: nothing asked again


def _tear_last_line(path):
    """What a kill or a full disk leaves: the last record cut half-way, no newline."""
    text = path.read_text()
    path.write_text(text[: len(text) - len(text.splitlines()[-1]) // 2 - 1])


def test_a_torn_last_prediction_resumes_and_rescores(bench, tmp_path, caplog):
    from s2h_dataset.eval import rescore

    whole = evaluate(cfg(bench, tmp_path / "whole", "pope"), OracleModel())
    out = tmp_path / "torn"
    evaluate(cfg(bench, out, "pope"), OracleModel())
    _tear_last_line(out / PREDICTIONS)
    rescored = rescore(out)  # the torn record is left out, with one warning
    assert rescored["pope"]["n"] == whole["pope"]["n"] - 1
    assert [r.message for r in caplog.records].count(
        f"{out / PREDICTIONS}: ignored its unfinished last line {whole['pope']['n']} (an interrupted write)"
    ) == 1
    model = Counting()
    assert evaluate(cfg(bench, out, "pope"), model) == whole  # only the torn question is asked again
    assert model.calls == 1
    assert len(read_predictions(out)) == whole["pope"]["n"]  # the file reads back whole, no warning needed
    assert all(json.loads(line) for line in (out / PREDICTIONS).read_text().splitlines())


def test_a_bad_prediction_line_in_the_middle_is_one_line_naming_it(bench, tmp_path):
    evaluate(cfg(bench, tmp_path, "pope"), OracleModel())
    lines = (tmp_path / PREDICTIONS).read_text().splitlines()
    lines[2] = lines[2][:20]
    (tmp_path / PREDICTIONS).write_text("\n".join(lines) + "\n")
    with pytest.raises(
        UserError, match=rf"{PREDICTIONS}:3: not a JSON record \(.*\); fix or delete that line"
    ):
        evaluate(cfg(bench, tmp_path, "pope"), OracleModel())


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", ""])
def test_a_corrupt_run_json_is_one_line(bench, tmp_path, capsys, content):
    from s2h_dataset.cli import main

    evaluate(cfg(bench, tmp_path, "pope"), OracleModel())
    (tmp_path / RUN_JSON).write_text(content)
    with pytest.raises(UserError, match=rf"{RUN_JSON} is not a readable run record .*delete it and rerun"):
        evaluate(cfg(bench, tmp_path, "pope"), OracleModel())
    assert main(["eval", "--rescore", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "is not a readable run record" in err, err
