"""Load a vision-language model and its processor: the one place that calls `from_pretrained` for them.

`load_vlm(ModelSpec(...))` reads any `AutoModelForImageTextToText` checkpoint (Hub id or folder) with its
`AutoProcessor`: safetensors only, no remote code unless asked, the dtype and device asked for, and
`processor_kwargs` handed to the processor (SmolVLM `do_image_splitting`, Qwen `min_pixels`/`max_pixels`),
checked against the settings the processor knows so a typo fails loudly instead of being ignored. A folder
that holds a PEFT adapter (`adapter_config.json`, as LoRA training saves it) is loaded on top of its base
model, merged for inference. Errors are one `UserError` line naming the model and what to pass instead.
"""

from __future__ import annotations

import inspect
import json
import logging
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..redact import error_line

__all__ = [
    "DTYPES",
    "LoadedVLM",
    "ModelSpec",
    "ProcessorSettingsError",
    "load_model",
    "load_processor",
    "load_vlm",
    "resolve_device",
]

logger = logging.getLogger(__name__)

DTYPES = ("auto", "float32", "bfloat16", "float16")
ADAPTER_CONFIG = "adapter_config.json"


class ProcessorSettingsError(UserError):
    """`processor_kwargs` that the processor does not take: the model itself is fine."""


@dataclass
class ModelSpec:
    """What to load.

    model (str): Hub id or local folder (full weights, or a PEFT adapter folder).
    revision (str, None): branch, tag or commit. device (str, auto): auto (CUDA, else MPS, else CPU), cpu,
    cuda, cuda:N, or "" to leave placement to `model_kwargs` (e.g. a `device_map`).
    dtype (str, auto): auto (bfloat16 on CUDA, float32 elsewhere), float32, bfloat16, float16, or "model"
    for the checkpoint's own dtype. trust_remote_code (bool, False): run code from the model repo.
    processor_kwargs (dict, {}): settings passed to `AutoProcessor.from_pretrained`.
    model_kwargs (dict, {}): extra `from_pretrained` arguments (attn_implementation, quantization_config, ...).
    merge_adapter (bool, True): merge a PEFT adapter into its base (inference); False keeps a `PeftModel`.
    """

    model: str
    revision: str | None = None
    device: str = "auto"
    dtype: str = "auto"
    trust_remote_code: bool = False
    processor_kwargs: dict[str, Any] = field(default_factory=dict)
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    merge_adapter: bool = True

    def __post_init__(self):
        if not self.model:
            raise UserError("no model given: pass a Hub id or a local folder of an image-text-to-text model")
        if self.dtype not in (*DTYPES, "model"):
            raise UserError(f"`dtype` must be one of {', '.join(DTYPES)}, got `{self.dtype}`")
        if not isinstance(self.processor_kwargs, dict):
            raise ProcessorSettingsError(
                f"`processor_kwargs` must be a mapping of processor settings, got {self.processor_kwargs!r}"
            )


@dataclass
class LoadedVLM:
    """A model + processor pair ready for generation; `name` is what results and logs call it."""

    model: Any
    processor: Any
    name: str
    device: str

    @property
    def model_type(self) -> str:
        return getattr(self.model.config, "model_type", "")


def resolve_device(device: str) -> str:
    import torch

    if device != "auto":
        return device
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def _dtype(dtype: str, device: str):
    import torch

    if dtype == "model":
        return "auto"
    if dtype == "auto":
        return torch.bfloat16 if device.startswith("cuda") else torch.float32
    return getattr(torch, dtype)


def _raise_if_hub(err: Exception, model: str, revision: str | None) -> None:
    """A failure to reach or read the Hub as one line with its fix (offline, gated, not found, token)."""
    from ..hubnet import explain, hub_hint

    if hub_hint(err) is not None:
        at = f" at revision {revision}" if revision else ""
        raise UserError(
            explain(err, f"cannot load model `{model}`{at}", "pass a local model folder")
        ) from None


def _adapter_base(model: str) -> str | None:
    """The base model a PEFT adapter folder was trained from, or None when `model` is not one."""
    config = Path(model).expanduser() / ADAPTER_CONFIG
    if not config.is_file():
        return None
    base = json.loads(config.read_text(encoding="utf-8")).get("base_model_name_or_path")
    if not base:
        raise UserError(f"{config} names no `base_model_name_or_path`; cannot tell which model it adapts")
    return base


def _known_settings(processor) -> set[str] | None:
    """Every setting the processor and its image / video processors accept, or None when it cannot tell."""
    names: set[str] = set(inspect.signature(type(processor).__init__).parameters) - {"self", "args", "kwargs"}
    found = False
    for part in ("image_processor", "video_processor"):
        valid = getattr(getattr(processor, part, None), "valid_kwargs", None)
        if valid is not None:
            names |= set(typing.get_type_hints(valid))
            found = True
    return names if found else None


def load_processor(
    model: str,
    revision: str | None = None,
    trust_remote_code: bool = False,
    processor_kwargs: dict[str, Any] | None = None,
):
    """`AutoProcessor` of `model` (or of an adapter folder's base when the folder has none) with the settings."""
    from transformers import AutoProcessor

    kwargs = dict(processor_kwargs or {})
    source = model
    if _adapter_base(model) and not (Path(model).expanduser() / "preprocessor_config.json").is_file():
        source = _adapter_base(model)
    try:
        processor = AutoProcessor.from_pretrained(
            source, revision=revision, trust_remote_code=trust_remote_code, **kwargs
        )
    except (OSError, ValueError, TypeError) as err:
        _raise_if_hub(err, source, revision)
        raise UserError(
            f"cannot load model `{model}`: no usable processor ({error_line(err, None, type(err).__name__)})"
        ) from None
    known = _known_settings(processor)
    unknown = sorted(set(kwargs) - known) if known is not None else []
    if unknown:
        raise ProcessorSettingsError(
            f"`processor_kwargs`: {', '.join(unknown)} is not a setting of {type(processor).__name__} "
            f"(`{model}`); known settings include {', '.join(sorted(known)[:12])}, ..."
        )
    return processor


def load_model(spec: ModelSpec, device: str | None = None):
    """The `AutoModelForImageTextToText` of `spec` (its adapter merged unless `merge_adapter` is False)."""
    from transformers import AutoModelForImageTextToText

    device = resolve_device(spec.device) if device is None else device
    base = _adapter_base(spec.model)
    kwargs = {
        "revision": None if base else spec.revision,
        "dtype": _dtype(spec.dtype, device or "cpu"),
        "use_safetensors": True,
        "trust_remote_code": spec.trust_remote_code,
        **spec.model_kwargs,
    }
    try:
        model = AutoModelForImageTextToText.from_pretrained(base or spec.model, **kwargs)
    except (OSError, ValueError) as err:
        _raise_if_hub(err, base or spec.model, kwargs["revision"])
        raise UserError(
            f"cannot load model `{base or spec.model}` with AutoModelForImageTextToText ({error_line(err, None, type(err).__name__)}); "
            "pass a Hub id or folder of an image-text-to-text checkpoint with safetensors weights"
        ) from None
    if base:
        try:
            from peft import PeftModel
        except ImportError:
            raise UserError(
                f"`{spec.model}` is a PEFT adapter; install peft (pip install 's2h-dpo[train]')"
            ) from None
        model = PeftModel.from_pretrained(model, spec.model, revision=spec.revision)
        if spec.merge_adapter:
            model = model.merge_and_unload()
        logger.info("loaded adapter %s on base %s", spec.model, base)
    if device:
        model.to(device)
    return model


def load_vlm(spec: ModelSpec) -> LoadedVLM:
    """Model + processor for inference (eval mode, left padding for batches)."""
    device = resolve_device(spec.device)
    processor = load_processor(spec.model, spec.revision, spec.trust_remote_code, spec.processor_kwargs)
    tokenizer = getattr(processor, "tokenizer", None)
    if tokenizer is None:
        raise UserError(
            f"model `{spec.model}`: its processor has no tokenizer; is it a vision-language model?"
        )
    if (
        getattr(processor, "chat_template", None) is None
        and getattr(tokenizer, "chat_template", None) is None
    ):
        raise UserError(f"model `{spec.model}` has no chat template; use an instruction-tuned checkpoint")
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = load_model(spec, device).eval()
    logger.info("loaded %s (%s) on %s", spec.model, model.config.model_type, device)
    return LoadedVLM(model, processor, spec.model, device)
