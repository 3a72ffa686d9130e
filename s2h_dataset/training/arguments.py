"""The training scripts' own arguments; everything else is TRL's `DPOConfig` / `SFTConfig` and `ModelConfig`.

`TrlParser((S2HScriptArguments, DPOConfig, ModelConfig))` fills all three from one YAML `--config` and CLI
overrides, so a recipe key that names no field fails the same way a mistyped flag does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..errors import UserError
from ..layout import parse_levels
from ..vlm.processor_defaults import parse_processor_kwargs

__all__ = ["S2HScriptArguments", "parse_levels", "parse_stages", "parse_weights"]


def parse_stages(spec: str) -> tuple[tuple[int, ...], ...]:
    """`1;2,3` -> ((1,), (2, 3)): stages separated by `;`, each a union of levels (`level2,level3` works too).

    A level may come back in a later stage (`1;1,2`); within a stage it is named once.
    """
    stages = tuple(parse_levels(part, "curriculum") for part in spec.split(";"))
    if len(stages) < 2:
        raise UserError(
            f"`curriculum` `{spec}` has one stage; separate stages with `;` (`1;2;3`, or `1;2,3` for L1 then "
            "L2 and L3 together); one stage is `dataset_config`"
        )
    return stages


def parse_weights(spec: str, levels: tuple[int, ...]) -> tuple[float, ...]:
    """`1,1,2` (one weight per level, in order) or `level3=2,level1=1` (unnamed levels get 0)."""
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    try:
        if all("=" in p for p in parts):
            named = {
                parse_levels(k, "level_weights")[0]: float(v) for k, v in (p.split("=", 1) for p in parts)
            }
            if set(named) - set(levels):
                raise UserError(
                    f"`level_weights` names levels {sorted(set(named) - set(levels))} that are not trained"
                )
            weights = tuple(named.get(level, 0.0) for level in levels)
        else:
            weights = tuple(float(p) for p in parts)
    except ValueError as err:
        raise UserError(f"`level_weights`: `{spec}` is not a comma list of numbers ({err})") from None
    if len(weights) != len(levels):
        raise UserError(
            f"`level_weights` has {len(weights)} weights for {len(levels)} levels {levels}; give one per level"
        )
    if any(not math.isfinite(w) or w < 0 for w in weights) or sum(weights) <= 0:
        raise UserError(f"`level_weights` must be non-negative numbers with a positive sum, got `{spec}`")
    return weights


@dataclass
class S2HScriptArguments:
    """Which S2H-DPO data to train on and how the levels are mixed.

    Parameters:
        dataset_name (`str | None`, *optional*):
            Hub id or local folder of an S2H-DPO dataset (`s2h build --out DIR`).
        dataset_config (`str`, *optional*, defaults to `"all"`):
            `all`, or a comma list of levels (e.g. `level1,level3`) mixed flat.
        curriculum (`str | None`, *optional*):
            Stages trained in sequence, `;` between stages, `,` joins levels in one stage: `1;2;3`, `1;2,3`
            (paper Table 3). Each stage is a full training with its own schedule, starting from the previous
            stage's weights and using them as its DPO reference.
        level_weights (`str | None`, *optional*):
            Sampling weight per level, e.g. `1,1,2` or `level3=2,level1=1`; the mixture keeps the flat mixture's
            size and draws each level's share (repeating a level that has too few rows).
        dataset_train_split (`str`, *optional*, defaults to `"train"`):
            Split to train on.
        dataset_test_split (`str`, *optional*, defaults to `"test"`):
            Split evaluated when `eval_strategy` is set.
        eval_tasks (`str | None`, *optional*):
            Comma list of evaluation tasks (`s2h_dataset.eval`) run after training (e.g. `l3probe,blink`), if
            installed.
        eval_limit (`int | None`, *optional*):
            N items of each evaluation task, spread evenly over its subtasks (quick checks).
        preflight_rows (`int`, *optional*, defaults to `16`):
            Rows rendered through the processor before training (-1: all, 0: skip).
        max_images (`int | None`, *optional*):
            Most images per row the model may get (default: the family's limit).
        processor_kwargs (`dict | str | None`, *optional*):
            JSON object of `AutoProcessor.from_pretrained` settings over the family defaults, e.g.
            '{"do_image_splitting": true}' or '{"max_pixels": 401408}'; a key set to null drops that default.
        processor_defaults (`bool`, *optional*, defaults to `True`):
            Apply the family's multi-image processor defaults (SmolVLM no splitting, Qwen max_pixels).
        streaming (`bool`, *optional*, defaults to `False`):
            Stream the levels as IterableDatasets (large configs); set `max_steps`.
    """

    dataset_name: str | None = field(
        default=None,
        metadata={"help": "Hub id or local folder of an S2H-DPO dataset (`s2h build --out DIR`)."},
    )
    dataset_config: str = field(
        default="all",
        metadata={"help": "`all`, or a comma list of levels (e.g. `level1,level3`) mixed flat."},
    )
    curriculum: str | None = field(
        default=None,
        metadata={
            "help": "Stages trained in sequence, `;` between stages, `,` joins levels in one stage: `1;2;3`, "
            "`1;2,3` (paper Table 3). Each stage is a full training with its own schedule, starting from the "
            "previous stage's weights and using them as its DPO reference."
        },
    )
    level_weights: str | None = field(
        default=None,
        metadata={
            "help": "Sampling weight per level, e.g. `1,1,2` or `level3=2,level1=1`; the mixture keeps the flat "
            "mixture's size and draws each level's share (repeating a level that has too few rows)."
        },
    )
    dataset_train_split: str = field(default="train", metadata={"help": "Split to train on."})
    dataset_test_split: str = field(
        default="test", metadata={"help": "Split evaluated when `eval_strategy` is set."}
    )
    eval_tasks: str | None = field(
        default=None,
        metadata={
            "help": "Comma list of evaluation tasks (`s2h_dataset.eval`) run after training (e.g. "
            "`l3probe,blink`), if installed."
        },
    )
    eval_limit: int | None = field(
        default=None,
        metadata={"help": "N items of each evaluation task, spread evenly over its subtasks (quick checks)."},
    )
    preflight_rows: int = field(
        default=16,
        metadata={"help": "Rows rendered through the processor before training (-1: all, 0: skip)."},
    )
    max_images: int | None = field(
        default=None,
        metadata={"help": "Most images per row the model may get (default: the family's limit)."},
    )

    processor_kwargs: dict | str | None = field(
        default=None,
        metadata={
            "help": "JSON object of `AutoProcessor.from_pretrained` settings over the family defaults, e.g. "
            "'{\"do_image_splitting\": true}' or '{\"max_pixels\": 401408}'; a key set to null drops that "
            "default."
        },
    )
    processor_defaults: bool = field(
        default=True,
        metadata={
            "help": "Apply the family's multi-image processor defaults (SmolVLM no splitting, Qwen max_pixels)."
        },
    )
    streaming: bool = field(
        default=False,
        metadata={"help": "Stream the levels as IterableDatasets (large configs); set `max_steps`."},
    )

    def __post_init__(self):
        if self.curriculum and self.level_weights:
            raise UserError(
                "set either `curriculum` (levels in sequence) or `level_weights` (a weighted mixture), not both"
            )
        if self.curriculum and self.dataset_config != "all":
            raise UserError("`curriculum` names the levels itself; leave `dataset_config` at `all`")
        self.stages = parse_stages(self.curriculum) if self.curriculum else None
        if self.stages:
            self.levels = tuple(dict.fromkeys(level for stage in self.stages for level in stage))
        else:
            self.levels = parse_levels(self.dataset_config, "dataset_config")
        self.processor_kwargs = parse_processor_kwargs(self.processor_kwargs)
        self.weights = parse_weights(self.level_weights, self.levels) if self.level_weights else None
        if self.preflight_rows < -1:
            raise UserError(
                f"`preflight_rows` must be -1 (all), 0 (skip) or a row count, got {self.preflight_rows}"
            )
        if self.eval_limit is not None and self.eval_limit < 1:
            raise UserError(f"`eval_limit` must be at least 1, got {self.eval_limit}")
        if self.max_images is not None and self.max_images < 1:
            raise UserError(f"`max_images` must be at least 1, got {self.max_images}")

    @property
    def mode(self) -> str:
        return "curriculum" if self.curriculum else "weighted" if self.weights else "flat"

    @property
    def tasks(self) -> list[str]:
        return [t.strip() for t in (self.eval_tasks or "").split(",") if t.strip()]
