"""Issue #21 item 2: one helper per idea. The levels spec has one parser (build and training read it alike),
train-check's arguments are the training script's fields, and GRPO reads yes/no replies as eval does."""

from __future__ import annotations

import dataclasses

import pytest

from s2h_dataset.configs import BuildConfig
from s2h_dataset.errors import UserError
from s2h_dataset.training.arguments import S2HScriptArguments


@pytest.mark.parametrize(
    ("spec", "levels"), [("all", (1, 2, 3)), ("level3,level1", (3, 1)), ("3,1", (3, 1)), ("2,", (2,))]
)
def test_build_and_training_read_a_levels_spec_alike(spec, levels):
    assert S2HScriptArguments(dataset_name="x", dataset_config=spec).levels == levels
    assert BuildConfig(out="x", levels=spec).level_list == sorted(levels)  # built in level order


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ("1,1", "level 1 is named twice"),
        ("all,2", "level 2 is named twice"),
        ("4", "unknown level `4`"),
        (",", "names no level"),
    ],
)
def test_build_and_training_refuse_the_same_specs(spec, why):
    with pytest.raises(UserError, match=why) as build:
        BuildConfig(out="x", levels=spec)
    with pytest.raises(UserError, match=why) as training:
        S2HScriptArguments(dataset_name="x", dataset_config=spec)
    assert str(build.value).startswith("`--levels`") and str(training.value).startswith("`dataset_config`")


def test_train_check_takes_the_training_fields_as_they_are(tmp_path):
    from s2h_dataset.commands.train_check import SHARED, TrainCheckArgs, run

    training = {f.name: f for f in dataclasses.fields(S2HScriptArguments)}
    for f in dataclasses.fields(TrainCheckArgs):
        if f.name in SHARED:
            assert f.metadata["help"] == training[f.name].metadata["help"], f.name
            if f.name != "dataset_name":  # required here
                assert f.default == training[f.name].default, f.name
    # 0 rows: training skips its preflight, and train-check accepts it the same way (it used to refuse it)
    args = TrainCheckArgs(model_name_or_path=str(tmp_path), dataset_name=str(tmp_path), preflight_rows=0)
    assert run(args) == 0
    with pytest.raises(UserError, match=r"^`--preflight-rows` must be -1"):
        TrainCheckArgs(model_name_or_path=str(tmp_path), dataset_name=str(tmp_path), preflight_rows=-2)


def test_grpo_reads_a_yes_no_reply_as_eval_does():
    from s2h_dataset.training.rewards import format_reward, similarity_reward
    from s2h_dataset.vlm.replies import read_yes_no

    replies = ["Both are mammals, so yes.", "Yes. Both are mammals.", "Nope, not the same."]
    scores = similarity_reward(
        replies, task=["compare"] * 3, meta=['{"answer": "yes"}'] * 3, images=[[None] * 2] * 3
    )
    assert scores == [float(read_yes_no(r).value == "yes") for r in replies] == [1.0, 1.0, 0.0]
    # the format still wants the answer first, as the S2H replies give it
    assert format_reward(replies, task=["compare"] * 3, images=[[None] * 2] * 3) == [0.0, 1.0, 1.0]


def test_the_training_package_names_resolve_to_what_they_say():
    """Lazy names of `s2h_dataset.training` give the object, never a submodule of the same name."""
    import inspect
    import subprocess
    import sys

    import s2h_dataset.training as training

    code = "import s2h_dataset.training as t, inspect; print(*[inspect.ismodule(getattr(t, n)) for n in t.__all__])"
    shown = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert shown and set(shown) == {"False"}, dict(zip(training.__all__, shown))
    assert not any(inspect.ismodule(getattr(training, name)) for name in training.__all__)
