"""`s2h eval` names its options as the training YAML does; the old names still parse for one release."""

from __future__ import annotations

import dataclasses

import pytest

from s2h_dataset.cli import parse
from s2h_dataset.eval.config import EvalConfig
from s2h_dataset.training.arguments import S2HScriptArguments

RENAMED = {  # old flag -> (field, value given, value parsed)
    "--model": ("model_name_or_path", "org/m", "org/m"),
    "--tasks": ("eval_tasks", "blink,pope", "blink,pope"),
    "--limit": ("eval_limit", "7", 7),
    "--limit-seed": ("eval_limit_seed", "3", 3),
}


def test_the_names_are_the_training_scripts():
    eval_fields = {f.name for f in dataclasses.fields(EvalConfig)}
    training_fields = {f.name for f in dataclasses.fields(S2HScriptArguments)}
    assert {"eval_tasks", "eval_limit"} <= eval_fields & training_fields
    assert "model_name_or_path" in eval_fields  # TRL's ModelConfig field, the recipes' first key


@pytest.mark.parametrize("old", RENAMED)
def test_an_old_flag_still_works_with_a_rename_note(old, capsys):
    name, given, parsed = RENAMED[old]
    argv = ["--out", "o", *([] if old == "--model" else ["--model-name-or-path", "m"]), old, given]
    _, (config,) = parse("eval", argv)
    assert getattr(config, name) == parsed
    new = "--" + name.replace("_", "-")
    assert (
        f"s2h eval: `{old}` is now `{new}`; the old name goes in the next release" in capsys.readouterr().err
    )
    _, (same,) = parse("eval", [new if a == old else a for a in argv])
    assert same == config and capsys.readouterr().err == ""


def test_help_shows_the_new_names_only():
    from s2h_dataset.commands.eval import ARGS
    from s2h_dataset.dataclass_args import DataclassParser

    text = DataclassParser(ARGS, prog="s2h eval").format_help()
    for old, (name, _, _) in RENAMED.items():
        assert "--" + name.replace("_", "-") in text
        assert f"{old} " not in text and f"{old}\n" not in text


def test_a_training_recipe_s_keys_configure_eval(tmp_path):
    recipe = tmp_path / "eval.yaml"
    recipe.write_text("model_name_or_path: org/m\neval_tasks: mmstar,pope\neval_limit: 5\nout: o\n")
    _, (config,) = parse("eval", ["--config", str(recipe)])
    assert (config.model_name_or_path, config.task_list, config.eval_limit) == (
        "org/m",
        ["mmstar", "pope"],
        5,
    )
