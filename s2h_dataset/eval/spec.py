"""The task registry: one `TaskSpec` per benchmark holds everything the harness knows about it.

A spec says where the data lives (`hub_id`, `configs`, `splits`), how a row becomes an `Item` under each
protocol preset (`prompts`: protocol -> `Prompt`), how replies are read (the `Prompt`'s parser kind, an
answer type of the one reply parser), which row field its results are broken down by (`subtask_field`),
what it reports beyond accuracy (`scoring`: its own per-group scores and task-level aggregates) and what the
summary table shows (`headline`). Adding a benchmark is one `register(TaskSpec(...))` call; the runner,
loader, scorer and report read nothing else and name no benchmark.

Protocols (`PROTOCOLS`): `s2h` is this project's own prompt set; `lmms-eval`, `vlmevalkit` and `official`
reproduce the prompt text, option rendering and generation length of that reference. A benchmark a
reference does not cover falls back to `official` (`Prompt.source` says where each string comes from).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import UserError
from .items import Question

__all__ = [
    "MODEL_FAMILIES",
    "PROTOCOLS",
    "REGISTRY",
    "S2H_TOKENS",
    "Headline",
    "Prompt",
    "Scoring",
    "TaskSpec",
    "get_task",
    "model_family",
    "protocol_table",
    "register",
]

PROTOCOLS = ("s2h", "lmms-eval", "vlmevalkit", "official")
FALLBACK = "official"
S2H_TOKENS = 128  # long enough for "The answer is (B) because ..."; 32 cut verbose models into "unreadable"


@dataclass(frozen=True)
class Prompt:
    """How one protocol asks one benchmark's question.

    render: Question -> the user text, `<image>` placeholders where images go (images without a
        placeholder go first, in order).
    max_new_tokens: the reference's generation length.
    parser: answer type the reply is read as (letter, yesno, truefalse, position, short); "" = the
        question's own (MANTIS mixes letter and short-answer questions).
    source: where the strings come from (file of the reference repository), for the README table.
    note: what the preset's prompt looks like, for the README table.
    variants: (model family, Prompt) pairs: the reference's own prompt for that family of models
        (VLMEvalKit's per-model `build_prompt`), chosen by `EvalConfig.model_family`.
    hub_id: the dataset this reference reads when it is not the spec's (lmms-eval's POPE copy); "" = the spec's.
    """

    render: Callable[[Question], str]
    max_new_tokens: int
    parser: str = ""
    source: str = ""
    note: str = ""
    variants: tuple[tuple[str, Prompt], ...] = ()
    hub_id: str = ""

    def for_family(self, family: str) -> Prompt:
        return dict(self.variants).get(family, self)


Records = list[dict[str, Any]]


@dataclass(frozen=True)
class Scoring:
    """What a task reports beyond what `scoring` gives every task (n, correct, accuracy, parse failures per
    subtask and pooled, the mean of the subtask accuracies).

    group: records -> the task's own scores of one group of records (each subtask, and all records pooled);
        None = none. E.g. POPE's precision / recall / F1 of "yes".
    task: (records, subtasks, pooled) -> task-level entries of results.json, from all records, the scores of
        each subtask (name -> scores) and of the pooled records; None = none. E.g. POPE's means over its
        splits, MMStar's l2-category breakdown.
    """

    group: Callable[[Records], dict[str, Any]] | None = None
    task: Callable[[Records, dict[str, dict[str, Any]], dict[str, Any]], dict[str, Any]] | None = None


# (label, result key) pairs of the summary table, e.g. ("F1 (mean of 3 splits)", "f1_mean_of_splits")
Headline = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class TaskSpec:
    """One benchmark (or generated task such as the Level-3 probe).

    name: the `--eval-tasks` name. title: the report's heading.
    hub_id / configs / splits: the (config, split) units read with `datasets` (empty for generated tasks).
    build: (row, config, split) -> Question.
    prompts: protocol -> Prompt; protocols missing here fall back to `official`, then to `s2h`.
    subtask_field: the row field results are broken down by (and `--eval-limit` spreads over); "" = the
        split when there are several, else the config.
    scoring: what the task reports beyond accuracy (`Scoring`); the default reports accuracy only.
    headline: the summary table's rows; the first one is the task's headline number.
    load: (spec, config) -> units, for tasks that are not read from the Hub (the probe); None = Hub.
    circular: whether `--circular` applies (multiple-choice items with option texts).
    """

    name: str
    title: str
    build: Callable[..., list]
    prompts: dict[str, Prompt]
    hub_id: str = ""
    configs: tuple[str, ...] = ()
    splits: tuple[str, ...] = ()
    subtask_field: str = ""
    scoring: Scoring = Scoring()
    headline: Headline = (("accuracy", "accuracy"),)
    load: Callable[..., list] | None = None
    circular: bool = False
    run: Callable[..., dict] | None = None  # (spec, config, generator, sink, done) -> provenance, for tasks
    # that are scored, not asked (s2h_test); None = ask the loaded questions
    key_fields: tuple[str, ...] = field(default=())  # EvalConfig fields that change this task's answers

    def prompt(self, protocol: str, family: str = "") -> Prompt:
        """The protocol's prompt (after fallback); the `family` variant where the reference has one."""
        if protocol not in PROTOCOLS:
            raise UserError(f"`--protocol {protocol}`: choose one of {', '.join(PROTOCOLS)}")
        for name in (protocol, FALLBACK, "s2h"):
            if name in self.prompts:
                return self.prompts[name].for_family(family)
        raise UserError(f"task `{self.name}` defines no prompt")

    def prompt_protocol(self, protocol: str) -> str:
        """The protocol whose strings `prompt(protocol)` actually uses (after fallback)."""
        return next(name for name in (protocol, FALLBACK, "s2h") if name in self.prompts)


REGISTRY: dict[str, TaskSpec] = {}

# model family -> the `model_type`s (config.json) and name fragments that mark it
MODEL_FAMILIES = {
    "llava": ("llava",),
    "qwen2_vl": ("qwen2_vl", "qwen2_5_vl", "qwen2-vl", "qwen2.5-vl"),
    "qwen3_vl": ("qwen3_vl", "qwen3_vl_moe", "qwen3-vl"),
}


def model_family(model: str | None) -> str:
    """The family of `model` (a Hub id or local folder) for per-model prompts: its config.json
    `model_type` when it is a local folder, else its name; "" when none matches."""
    import json
    from pathlib import Path

    text = (model or "").lower()
    config = Path(model or "") / "config.json"
    if model and config.is_file():
        with contextlib.suppress(OSError, ValueError, AttributeError):
            text = str(json.loads(config.read_text(encoding="utf-8")).get("model_type", "")).lower()
    # the longest fragment first, so "qwen2_5_vl" is not read as another family's fragment
    pairs = sorted(((f, n) for n, fs in MODEL_FAMILIES.items() for f in fs), key=lambda p: -len(p[0]))
    return next((name for fragment, name in pairs if fragment in text), "")


def register(spec: TaskSpec) -> TaskSpec:
    """Add `spec` to the registry (a later spec of the same name replaces the earlier one)."""
    REGISTRY[spec.name] = spec
    return spec


def protocol_table() -> str:
    """The README's table: for each benchmark and preset, the prompt layout and generation length."""
    _register_builtins()
    lines = [
        "| benchmark | " + " | ".join(f"`{p}`" for p in PROTOCOLS) + " |",
        "|---" * (len(PROTOCOLS) + 1) + "|",
    ]
    # Hub benchmarks in registration order, then generated tasks: the same order whatever was imported first
    specs = sorted((s for s in REGISTRY.values() if s.run is None), key=lambda s: not s.hub_id)
    for spec in specs:
        cells = []
        for protocol in PROTOCOLS:
            used = spec.prompt_protocol(protocol)
            prompt = spec.prompts[used]
            own = f"{prompt.note}; {prompt.max_new_tokens} tokens"
            if prompt.variants:
                own += "; own prompts for " + ", ".join(f"`{family}`" for family, _ in prompt.variants)
            cells.append(f"same as `{used}`" if used != protocol else own)
        lines.append(f"| {spec.title} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _register_builtins() -> None:
    from . import benchmarks, probe, preference  # noqa: F401, I001  (they register the built-in specs, in order)


def get_task(name: str) -> TaskSpec:
    _register_builtins()
    if name not in REGISTRY:
        raise UserError(f"`--eval-tasks`: unknown task `{name}`; choose from {','.join(REGISTRY)}")
    return REGISTRY[name]
