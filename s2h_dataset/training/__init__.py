"""Training support for the thin TRL scripts under `training/` (dpo.py, sft.py).

`arguments` holds the script's own dataclass (the rest is TRL's `DPOConfig` / `SFTConfig` / `ModelConfig`),
`mixture` builds the flat, weighted or curriculum mixture of levels, `preflight` renders a sample of rows
through the processor before training, `model_card` writes and pushes the model card, and `eval_hook` calls
the evaluation harness after training when it is installed.
"""

from .arguments import S2HScriptArguments
from .mixture import Mixture, build_mixture, curriculum_mixture, flat_mixture, load_levels, weighted_mixture
from .preflight import PreflightReport, preflight

__all__ = [
    "Mixture",
    "PreflightReport",
    "S2HScriptArguments",
    "build_mixture",
    "curriculum_mixture",
    "flat_mixture",
    "load_levels",
    "preflight",
    "weighted_mixture",
]
