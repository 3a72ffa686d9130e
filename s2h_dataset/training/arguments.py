"""The training scripts' own arguments; everything else is TRL's `DPOConfig` / `SFTConfig` and `ModelConfig`.

`TrlParser((S2HScriptArguments, DPOConfig, ModelConfig))` fills all three from one YAML `--config` and CLI
overrides, so a recipe key that names no field fails the same way a mistyped flag does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..errors import UserError
from ..schema import CONFIG_LEVELS
from ..vlm.processor_defaults import parse_processor_kwargs

__all__ = ["S2HScriptArguments", "parse_levels", "parse_stages", "parse_weights"]


def parse_levels(spec: str, name: str) -> tuple[int, ...]:
    """`all` -> (1, 2, 3); `level1,level3` or `1,3` -> (1, 3). Order is kept (it is the curriculum order)."""
    levels: list[int] = []
    for part in (p.strip() for p in spec.split(",")):
        key = part if part in CONFIG_LEVELS else f"level{part}"
        if key not in CONFIG_LEVELS:
            raise UserError(
                f"`{name}`: unknown level `{part}` in `{spec}`; use `all` or a comma list of level1, level2, level3"
            )
        for level in CONFIG_LEVELS[key]:
            if level in levels:
                raise UserError(f"`{name}`: level {level} is named twice in `{spec}`")
            levels.append(level)
    return tuple(levels)


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

    Args:
        dataset_name (`str`): Hub id or local folder of an S2H-DPO dataset (the output of `s2h build`).
        dataset_config (`str`, defaults to `"all"`): `all`, or a comma list of levels (`level1,level3`) mixed flat.
        curriculum (`str`, *optional*): stages trained one after the other, separated by `;`, each a union of
            levels (`1;2;3`, `1;2,3`): one full training per stage with its own schedule, each stage starting
            from the previous stage's weights and using them as its DPO reference (paper Table 3).
        level_weights (`str`, *optional*): sampling weights per level (`1,1,2` or `level3=2,level1=1`); the
            mixture keeps the flat mixture's size and draws each level's share (repeating a level if needed).
        dataset_train_split (`str`, defaults to `"train"`), dataset_test_split (`str`, defaults to `"test"`).
        eval_tasks (`str`, *optional*): comma list of evaluation tasks run after training (`s2h_dataset.eval`).
        eval_limit (`int`, *optional*): N items of each evaluation task, spread evenly over its subtasks (seeded).
        preflight_rows (`int`, defaults to 16): rows rendered through the processor before training; 0 skips.
        max_images (`int`, *optional*): most images per row the model may get (default: the family's limit).
        processor_kwargs (`dict` or JSON `str`, *optional*): settings for `AutoProcessor.from_pretrained`, over
            the family's multi-image defaults (`s2h_dataset.vlm.processor_defaults`); a key set to null drops one.
        processor_defaults (`bool`, defaults to `True`): apply those family defaults at all.
        streaming (`bool`, defaults to `False`): stream the levels (`IterableDataset`); needs `max_steps`.
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
            "`1;2,3` (paper Table 3). Each stage is a full training from the previous stage's weights."
        },
    )
    level_weights: str | None = field(
        default=None, metadata={"help": "Sampling weight per level, e.g. `1,1,2` or `level3=2,level1=1`."}
    )
    dataset_train_split: str = field(default="train", metadata={"help": "Split to train on."})
    dataset_test_split: str = field(
        default="test", metadata={"help": "Split evaluated when `eval_strategy` is set."}
    )
    eval_tasks: str | None = field(
        default=None,
        metadata={
            "help": "Comma list of evaluation tasks run after training (e.g. `l3probe,blink`), if installed."
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
            "help": "JSON object of processor settings over the family defaults, e.g. "
            "'{\"do_image_splitting\": true}' or '{\"max_pixels\": 401408}'."
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
