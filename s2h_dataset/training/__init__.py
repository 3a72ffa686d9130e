"""Training support for the thin TRL scripts under `training/` (dpo.py, sft.py, grpo.py).

`script` is the one script they share (methods as data), `arguments` holds its own dataclass (the rest is
TRL's `DPOConfig` / `SFTConfig` / `GRPOConfig` / `ModelConfig`), `mixture` builds the flat or weighted mixture
of levels (in memory or streamed), `curriculum` runs one training per stage, `rewards` holds GRPO's rule
rewards, `preflight` (`training.preflight.preflight`) renders a sample of rows through the processor before training, `model_card` writes and
pushes the model card, and `eval_hook` calls the evaluation harness after training when it is installed.
"""

import importlib

# name -> submodule, imported on first use: `s2h train-check --help` reads `arguments` without numpy or datasets
_WHERE = {
    "S2HScriptArguments": "arguments",
    "Mixture": "mixture",
    "build_mixture": "mixture",
    "flat_mixture": "mixture",
    "load_levels": "mixture",
    "streamed_mixture": "mixture",
    "weighted_mixture": "mixture",
    "PreflightReport": "preflight",
}  # not `preflight`: the name is its submodule's, which an import binds onto this package


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Mixture",
    "PreflightReport",
    "S2HScriptArguments",
    "build_mixture",
    "flat_mixture",
    "load_levels",
    "streamed_mixture",
    "weighted_mixture",
]
