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

__all__ = ["BACKEND_NAMES", "BUILD_FLAGS", "CaptionerConfig"]

BACKEND_NAMES = ("reference", "transformers", "openai")
SPECS = "reference, transformers:MODEL_ID_OR_PATH or openai:BASE_URL#MODEL"


# `s2h build`'s flag for each setting: its errors name the option the user typed (`BuildConfig.captioner_config`)
BUILD_FLAGS = {
    "spec": "--captioner",
    "max_new_tokens": "--caption-max-new-tokens",
    "cache_dir": "--caption-cache",
    "device": "--device",
    "dtype": "--dtype",
    "batch_size": "--caption-batch-size",
    "concurrency": "--concurrency",
    "api_key_env": "--api-key-env",
    "timeout": "--request-timeout",
    "max_retries": "--max-retries",
}

# (kind, least, most, why the most) of each numeric setting, checked here once
_BOUNDS = {
    "max_new_tokens": (int, 1, None, ""),
    "max_image_side": (int, 28, None, ""),
    "batch_size": (int, 1, None, ""),
    "concurrency": (int, 1, None, ""),
    "timeout": (float, 0.1, 3600, " seconds (a reply slower than an hour is a hang)"),
    "max_retries": (int, 0, 100, " (100 retries of the SDK's backoff already wait about 13 minutes)"),
}


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
    # setting -> the option name an error names (`BUILD_FLAGS` from `s2h build`); unnamed: "captioner option `x`"
    flags: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def _option(self, name: str) -> str:
        return f"`{self.flags[name]}`" if name in self.flags else f"captioner option `{name}`"

    def _number(self, name: str):
        """The setting `name` as its kind when it is a number within its bounds, else a UserError naming it."""
        kind, least, most, why = _BOUNDS[name]
        value = getattr(self, name)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= least
        ok = ok and (most is None or value <= most) and (kind is float or value == int(value))
        if not ok:
            what = "an integer" if kind is int else "a number"
            bounds = f"between {least} and {most}{why}" if most is not None else f"{what} >= {least}"
            raise UserError(f"{self._option(name)} must be {bounds}, got {value!r}")
        return kind(value)

    def __post_init__(self):
        backend, sep, target = self.spec.partition(":")
        if backend not in BACKEND_NAMES or (backend == "reference") == bool(sep) or (sep and not target):
            raise UserError(f"{self._option('spec')}: unknown captioner `{self.spec}`; use {SPECS}")
        if backend == "openai":
            _ = self.endpoints  # BASE_URL[,BASE_URL...]#MODEL, checked here rather than at first use
        for name in _BOUNDS:
            setattr(self, name, self._number(name))
        if self.dtype not in DTYPES:
            raise UserError(f"{self._option('dtype')} must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if not self.api_key_env or not self.api_key_env.replace("_", "").isalnum():
            raise UserError(
                f"{self._option('api_key_env')} must name an environment variable, got {self.api_key_env!r}"
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
