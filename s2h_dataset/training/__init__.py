"""Training support for the thin TRL scripts under `training/` (dpo.py, sft.py, grpo.py).

`script` is the one script they share (methods as data), `arguments` holds its own dataclass (the rest is
TRL's `DPOConfig` / `SFTConfig` / `GRPOConfig` / `ModelConfig`), `mixture` builds the flat or weighted mixture
of levels (in memory or streamed), `curriculum` runs one training per stage, `rewards` holds GRPO's rule
rewards, `preflight` renders a sample of rows through the processor before training, `model_card` writes and
pushes the model card, and `eval_hook` calls the evaluation harness after training when it is installed.
"""

from .arguments import S2HScriptArguments
from .mixture import Mixture, build_mixture, flat_mixture, load_levels, streamed_mixture, weighted_mixture
from .preflight import PreflightReport, preflight

__all__ = [
    "Mixture",
    "PreflightReport",
    "S2HScriptArguments",
    "build_mixture",
    "flat_mixture",
    "load_levels",
    "preflight",
    "streamed_mixture",
    "weighted_mixture",
]
