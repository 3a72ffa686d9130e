"""Captioners, chosen with `--captioner SPEC`: where captions, set descriptions and model answers come from.

| spec | backend |
|---|---|
| `reference` | no model: source captions, else sentences built from labels (default) |
| `transformers:MODEL_ID_OR_PATH` | a vision-language model in this process, batched greedy generation |
| `openai:BASE_URL#MODEL` | an OpenAI-compatible server (vLLM, SGLang, TGI, `transformers serve`), concurrent requests |

Model replies are cached on disk (`cache_dir`, default `~/.cache/s2h/captions`) by (kind, image ids,
prompt, model), so a rerun or a resumed build never asks twice. A new backend is one function below and one
line in `BACKENDS`.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

from ..errors import UserError
from .base import Captioner, TextRequest
from .cache import CaptionCache
from .config import CaptionerConfig
from .model import ModelCaptioner
from .reference import ReferenceCaptioner

__all__ = [
    "BACKENDS",
    "CaptionCache",
    "Captioner",
    "CaptionerConfig",
    "ModelCaptioner",
    "ReferenceCaptioner",
    "TextRequest",
    "make_captioner",
]


def _cache(config: CaptionerConfig, model: str) -> CaptionCache | None:
    return CaptionCache(config.cache_dir, model, config.cache_settings) if config.cache_dir else None


def _reference(config: CaptionerConfig) -> Captioner:
    return ReferenceCaptioner()


def _transformers(config: CaptionerConfig) -> Captioner:
    if importlib.util.find_spec("torch") is None:
        raise UserError("the transformers: captioner needs torch: pip install 's2h-dpo[eval]'")
    from .transformers_backend import TransformersCaptioner, model_identity

    # a runtime check, not part of the config: a merge re-reads the arguments after the folder is gone
    if config.target.startswith(("/", ".", "~")) and not Path(config.target).expanduser().is_dir():
        raise UserError(
            f"captioner `{config.spec}`: no such model folder; give a Hub id or a saved model folder"
        )
    return TransformersCaptioner(config, _cache(config, model_identity(config.target)))


def _openai(config: CaptionerConfig) -> Captioner:
    from .openai_backend import OpenAICaptioner

    return OpenAICaptioner(config, _cache(config, config.endpoint[1]))


#: spec prefix -> the function that builds that captioner from a validated config (`config.BACKEND_NAMES`
#: lists the same prefixes for validation; a test keeps them equal)
BACKENDS: dict[str, Callable[[CaptionerConfig], Captioner]] = {
    "reference": _reference,
    "transformers": _transformers,
    "openai": _openai,
}


def make_captioner(config: CaptionerConfig | str, **settings) -> Captioner:
    """The captioner a config (or a spec plus `CaptionerConfig` settings) names; use it as a context manager."""
    if isinstance(config, str):
        config = CaptionerConfig(config, **settings)
    elif settings:
        raise TypeError("make_captioner takes a CaptionerConfig or a spec with settings, not both")
    return BACKENDS[config.backend](config)
