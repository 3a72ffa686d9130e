"""Issue #21 item 5: every CLI config documents every field, in TRL's docstring style (`Parameters:`, each field
`name (`type`, ...):` on its own line) and in its `help` metadata; the captioner's errors name the CLI's flags."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import re

import pytest

import s2h_dataset.commands
from s2h_dataset.errors import UserError


def _cli_configs() -> list[type]:
    found = []
    for info in pkgutil.iter_modules(s2h_dataset.commands.__path__):
        module = importlib.import_module(f"s2h_dataset.commands.{info.name}")
        found += [c for c in getattr(module, "ARGS", ()) if c not in found]
    from s2h_dataset.training.arguments import S2HScriptArguments
    from s2h_dataset.training.rewards import GRPOScriptArguments

    return [*found, S2HScriptArguments, GRPOScriptArguments]


CONFIGS = _cli_configs()


def test_every_command_is_covered():
    names = {c.__name__ for c in CONFIGS}
    assert {"BuildConfig", "EvalConfig", "SpaceArguments", "TrainCheckArgs", "S2HScriptArguments"} <= names
    assert len(CONFIGS) >= 12


@pytest.mark.parametrize("config", CONFIGS, ids=[c.__name__ for c in CONFIGS])
def test_every_field_has_help_and_is_in_the_docstring(config):
    for f in dataclasses.fields(config):
        if not f.init:
            continue
        assert f.metadata.get("help", "").strip(), f"{config.__name__}.{f.name} has no help"
        owner = next(c for c in config.__mro__ if f.name in inspect.get_annotations(c))
        doc = owner.__doc__ or ""
        assert "\n    Parameters:\n" in doc, f"{owner.__name__}: no `Parameters:` section"
        assert re.search(
            rf"^        {f.name} \(`[^`]+`(, \*optional\*(, defaults to `.+`)?)?\):$", doc, re.M
        ), f"{owner.__name__}.{f.name} is not documented in its docstring"


def test_build_groups_its_parameters_by_concern():
    from s2h_dataset.configs import BuildConfig

    headers = re.findall(r"^        > Parameters (.+)$", BuildConfig.__doc__, re.M)
    for concern in ("sources", "captioner", "filter", "output", "runtime"):
        assert any(concern in h for h in headers), concern


@pytest.mark.parametrize(
    ("flag", "value"),
    [("caption_batch_size", 0), ("concurrency", 0), ("caption_max_new_tokens", 0), ("dtype", "float8")],
)
def test_captioner_errors_name_the_cli_flag(flag, value):
    from s2h_dataset.cli import main  # noqa: F401  (the CLI parses into BuildConfig)
    from s2h_dataset.configs import BuildConfig

    with pytest.raises(UserError) as err:
        BuildConfig(out="x", **{flag: value})
    assert str(err.value).startswith(f"`--{flag.replace('_', '-')}` must be"), str(err.value)
