"""Captioners, chosen with `--captioner SPEC`: where captions, set descriptions and model answers come from.

| spec | backend |
|---|---|
| `reference` | no model: source captions, else sentences built from labels (default) |
| `transformers:MODEL_ID_OR_PATH` | a vision-language model in this process, batched greedy generation |
| `openai:BASE_URL#MODEL` | an OpenAI-compatible server (vLLM, SGLang, TGI, `transformers serve`), concurrent requests |

Model replies are cached on disk (`cache_dir`, default `~/.cache/s2h/captions`) by (kind, image ids,
prompt, model), so a rerun or a resumed build never asks twice.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ..errors import UserError
from .base import Captioner, TextRequest
from .cache import DEFAULT_DIR, CaptionCache
from .model import ModelCaptioner
from .reference import ReferenceCaptioner

__all__ = [
    "CaptionCache",
    "Captioner",
    "ModelCaptioner",
    "ReferenceCaptioner",
    "TextRequest",
    "make_captioner",
]

DTYPES = ("auto", "float32", "bfloat16", "float16")
SPECS = "reference, transformers:MODEL_ID_OR_PATH or openai:BASE_URL#MODEL"


def _number(name: str, value, kind: type = int, minimum: float = 1):
    """`value` as `kind` when it is a number >= `minimum` (integral for int), else a UserError naming the option."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= minimum
    if not ok or (kind is int and value != int(value)):
        what = "an integer" if kind is int else "a number"
        raise UserError(f"captioner option `{name}` must be {what} >= {minimum}, got {value!r}")
    return kind(value)


def _check_local(model: str) -> None:
    path = Path(model).expanduser()
    if model.startswith(("/", ".", "~")) and not path.is_dir():
        raise UserError(
            f"captioner `transformers:{model}`: no such model folder; give a Hub id or a saved model folder"
        )


def make_captioner(
    spec: str,
    *,
    device: str = "auto",
    dtype: str = "auto",
    batch_size: int = 8,
    max_new_tokens: int = 256,
    concurrency: int = 8,
    timeout: float = 120.0,
    max_retries: int = 10,
    max_backoff: float = 30.0,
    api_key_env: str = "OPENAI_API_KEY",
    cache_dir: str | None = DEFAULT_DIR,
    max_image_side: int = 768,
) -> Captioner:
    """Build the captioner a `--captioner` spec names; the keywords are the build's captioner settings.

    device, dtype, batch_size: `transformers:` only. concurrency, timeout, max_retries, max_backoff,
    api_key_env: `openai:` only. max_new_tokens, cache_dir (None or "" disables the cache), max_image_side: both.
    """
    if spec == "reference":
        return ReferenceCaptioner()
    backend, sep, rest = spec.partition(":")
    if not sep or not rest or backend not in ("transformers", "openai"):
        raise UserError(f"unknown captioner `{spec}`; use {SPECS}")
    max_new_tokens = _number("max_new_tokens", max_new_tokens)
    max_image_side = _number("max_image_side", max_image_side, minimum=28)
    settings = f"max_new_tokens={max_new_tokens}"
    if backend == "transformers":
        if importlib.util.find_spec("torch") is None:
            raise UserError("the transformers: captioner needs torch: pip install 's2h-dpo[eval]'")
        from .transformers_backend import TransformersCaptioner, model_identity

        _check_local(rest)
        if dtype not in DTYPES:
            raise UserError(f"captioner option `dtype` must be one of {', '.join(DTYPES)}, got {dtype!r}")
        cache = CaptionCache(cache_dir, model_identity(rest), settings) if cache_dir else None
        return TransformersCaptioner(
            rest,
            cache,
            device=device,
            dtype=dtype,
            batch_size=_number("batch_size", batch_size),
            max_new_tokens=max_new_tokens,
            max_image_side=max_image_side,
        )
    from ..vlm.openai_client import parse_openai_spec
    from .openai_backend import OpenAICaptioner

    base_url, model = parse_openai_spec(rest, "captioner")
    if not api_key_env or not api_key_env.replace("_", "").isalnum():
        raise UserError(
            f"captioner option `api_key_env` must name an environment variable, got {api_key_env!r}"
        )
    cache = CaptionCache(cache_dir, model, settings) if cache_dir else None
    return OpenAICaptioner(
        base_url,
        model,
        cache,
        concurrency=_number("concurrency", concurrency),
        timeout=_number("timeout", timeout, float, minimum=0.1),
        max_retries=_number("max_retries", max_retries, minimum=0),
        max_backoff=_number("max_backoff", max_backoff, float, minimum=0),
        api_key_env=api_key_env,
        max_new_tokens=max_new_tokens,
        max_image_side=max_image_side,
    )
