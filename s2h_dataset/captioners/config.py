"""`CaptionerConfig`: every captioner setting in one object, validated once, passed whole to `make_captioner`.

`BuildConfig.captioner_config` builds it from the build's flat flags (`--captioner`, `--caption-batch-size`,
`--concurrency`, ...), so the flags stay as they are while the captioner code reads one typed object.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..errors import UserError
from ..vlm.loading import DTYPES
from ..vlm.openai_client import parse_openai_spec
from .cache import DEFAULT_DIR

__all__ = ["BACKEND_NAMES", "CaptionerConfig"]

BACKEND_NAMES = ("reference", "transformers", "openai")
SPECS = "reference, transformers:MODEL_ID_OR_PATH or openai:BASE_URL#MODEL"


def _number(name: str, value, kind: type = int, minimum: float = 1):
    """`value` as `kind` when it is a number >= `minimum` (integral for int), else a UserError naming the option."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= minimum
    if not ok or (kind is int and value != int(value)):
        what = "an integer" if kind is int else "a number"
        raise UserError(f"captioner option `{name}` must be {what} >= {minimum}, got {value!r}")
    return kind(value)


@dataclass
class CaptionerConfig:
    """Which captioner and how it runs.

    spec (str, reference): `reference`, `transformers:MODEL_ID_OR_PATH` or `openai:BASE_URL#MODEL`.
    max_new_tokens (int, 256), cache_dir (str, ~/.cache/s2h/captions; None or "" disables the cache) and
    max_image_side (int, 768): every model backend.
    device (str, auto), dtype (str, auto), batch_size (int, 8), processor_kwargs (dict, {}): `transformers:`.
    concurrency (int, 8), timeout (float, 120 s), max_retries (int, 20),
    api_key_env (str, OPENAI_API_KEY): `openai:`.
    """

    spec: str = "reference"
    max_new_tokens: int = 256
    cache_dir: str | None = DEFAULT_DIR
    max_image_side: int = 768
    device: str = "auto"
    dtype: str = "auto"
    batch_size: int = 8
    processor_kwargs: dict[str, Any] = field(default_factory=dict)
    concurrency: int = 8
    timeout: float = 120.0
    max_retries: int = 20
    api_key_env: str = "OPENAI_API_KEY"

    def __post_init__(self):
        backend, sep, target = self.spec.partition(":")
        if backend not in BACKEND_NAMES or (backend == "reference") == bool(sep) or (sep and not target):
            raise UserError(f"unknown captioner `{self.spec}`; use {SPECS}")
        if backend == "openai":
            _ = self.endpoints  # BASE_URL[,BASE_URL...]#MODEL, checked here rather than at first use
        self.max_new_tokens = _number("max_new_tokens", self.max_new_tokens)
        self.max_image_side = _number("max_image_side", self.max_image_side, minimum=28)
        self.batch_size = _number("batch_size", self.batch_size)
        self.concurrency = _number("concurrency", self.concurrency)
        self.timeout = _number("timeout", self.timeout, float, minimum=0.1)
        self.max_retries = _number("max_retries", self.max_retries, minimum=0)
        if self.dtype not in DTYPES:
            raise UserError(
                f"captioner option `dtype` must be one of {', '.join(DTYPES)}, got {self.dtype!r}"
            )
        if not self.api_key_env or not self.api_key_env.replace("_", "").isalnum():
            raise UserError(
                f"captioner option `api_key_env` must name an environment variable, got {self.api_key_env!r}"
            )
        if not isinstance(self.processor_kwargs, dict):
            raise UserError(
                f"captioner option `processor_kwargs` must be a mapping, got {self.processor_kwargs!r}"
            )
        self.cache_dir = self.cache_dir or None

    @property
    def backend(self) -> str:
        return self.spec.partition(":")[0]

    @property
    def target(self) -> str:
        """What follows the prefix: the model (transformers) or `BASE_URL#MODEL` (openai)."""
        return self.spec.partition(":")[2]

    @property
    def endpoint(self) -> tuple[str, str]:
        """(first base URL, served model) of an `openai:BASE_URL[,BASE_URL...]#MODEL` spec."""
        return self.endpoints[0]

    @property
    def endpoints(self) -> list[tuple[str, str]]:
        """(base URL, served model) of each server of an `openai:URL1,URL2,...#MODEL` spec (one per node
        serving the same model; the requests are spread over them)."""
        urls, _, model = self.target.rpartition("#")
        return [parse_openai_spec(f"{url}#{model}", "captioner") for url in urls.split(",")]

    @property
    def cache_settings(self) -> str:
        """The settings that change a reply, part of every cache key: the length limit and what the model is
        shown (the image size sent); in this process (`transformers:`) also the processor's settings and the
        weights' dtype."""
        settings = f"max_new_tokens={self.max_new_tokens};max_image_side={self.max_image_side}"
        if self.backend == "transformers":
            kwargs = json.dumps(self.processor_kwargs, sort_keys=True, default=str)
            settings += f";dtype={self.dtype};processor_kwargs={kwargs}"
        return settings
