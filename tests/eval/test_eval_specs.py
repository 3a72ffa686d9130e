"""Every task is one complete `TaskSpec`: the runner, loader, scorer and report name no benchmark."""

import dataclasses
import re
from pathlib import Path

import pytest
from eval_fixtures import OracleModel, build_all

import s2h_dataset.eval as eval_package
from s2h_dataset.eval import EvalConfig, evaluate
from s2h_dataset.eval.loading import load_units
from s2h_dataset.eval.spec import PROTOCOLS, REGISTRY, Scoring, get_task
from s2h_dataset.vlm.replies import READ_AS

GENERIC_MODULES = ("scoring.py", "loading.py", "runner.py", "report.py")


def registered() -> dict:
    get_task(next(iter(REGISTRY), "blink"))  # the built-in specs register on first use
    return dict(REGISTRY)


def test_generic_modules_name_no_benchmark():
    names = sorted(registered())
    assert {"blink", "pope", "mmstar", "l3probe", "s2h_test"} <= set(names)
    folder = Path(eval_package.__file__).parent
    hits = []
    for module in GENERIC_MODULES:
        for number, line in enumerate((folder / module).read_text(encoding="utf-8").splitlines(), 1):
            hits += [
                f"{module}:{number}: {name}"
                for name in names
                if re.search(rf"\b{re.escape(name)}\b", line, re.I)
            ]
    assert not hits, "benchmark names belong in the task's spec:\n" + "\n".join(hits)


def _prompts(spec):
    for prompt in spec.prompts.values():
        yield prompt
        yield from (variant for _, variant in prompt.variants)


@pytest.mark.parametrize("name", sorted(registered()))
def test_every_registered_spec_is_complete(name):
    spec = REGISTRY[name]
    assert spec.title and callable(spec.build), name
    assert spec.prompts and set(spec.prompts) <= set(PROTOCOLS), name
    for protocol in PROTOCOLS:  # every protocol resolves, after fallback, to a prompt the spec holds
        assert spec.prompt(protocol) is not None
    assert isinstance(spec.scoring, Scoring), name
    assert all(hook is None or callable(hook) for hook in (spec.scoring.group, spec.scoring.task)), name
    assert spec.headline and all(label and key for label, key in spec.headline), name
    config_fields = {f.name for f in dataclasses.fields(EvalConfig)}
    assert set(spec.key_fields) <= config_fields, name
    if spec.run is not None:  # scored, not asked: it brings its own rows and records
        assert callable(spec.run)
        return
    for prompt in _prompts(spec):
        assert prompt.source and prompt.max_new_tokens > 0, name
        assert prompt.parser in (*READ_AS, ""), (name, prompt.parser)
    if spec.load is None:  # read from the Hub: where, and what the results break down by
        assert spec.hub_id and spec.configs and spec.splits, name
        assert isinstance(spec.subtask_field, str), name


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return build_all(tmp_path_factory.mktemp("benchmarks"))


def test_declared_subtasks_are_the_questions_subtasks(bench):
    """`--eval-limit` spreads over `Unit.subtasks()` (the spec's `subtask_field`, read without building
    questions); results break down by each question's `subtask`: the two must agree, on every Hub task."""
    hub = [spec for spec in registered().values() if spec.run is None and spec.load is None]
    assert {spec.name for spec in hub} <= set(bench), (
        "every Hub benchmark needs a fixture in eval_fixtures.py"
    )
    for spec in hub:
        for unit in load_units(spec, str(bench[spec.name])):
            assert unit.subtasks() == [question.subtask for question in unit], spec.name


def test_every_headline_is_in_the_results(bench, tmp_path):
    asked = [name for name, spec in registered().items() if spec.run is None]
    config = EvalConfig(
        model_name_or_path="scripted",
        out=str(tmp_path),
        eval_tasks=",".join(asked),
        dataset_path=[f"{k}={v}" for k, v in bench.items()],
        probe_questions=12,
    )
    results = evaluate(config, OracleModel())
    for name in asked:
        missing = [key for _, key in REGISTRY[name].headline if key not in results[name]]
        assert not missing, f"{name}: headline keys {missing} are not in its results"
