"""Greedy generation for eval items: the shared model layer (`s2h_dataset.vlm`) under the `Generator` protocol.

The runner only needs an object with `generate(items) -> list[str]` (one reply per item, in order), so
tests can swap in a scripted model. `HFGenerator` is the in-process one: `vlm.load_vlm` (safetensors, no
remote code unless asked, processor settings) and `vlm.chat.generate` (the model's chat template, left-padded
batches, `do_sample=False`). Each item's images go into its chat in the benchmark's order; prompts longer
than the model's context are logged and counted, not cut silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ..vlm.chat import generate
from ..vlm.loading import ModelSpec, load_vlm
from .items import Item

__all__ = ["Generator", "HFGenerator"]


class Generator(Protocol):
    """What the runner calls: one reply per item, same order. `name` goes into run.json."""

    name: str

    def generate(self, items: Sequence[Item]) -> list[str]: ...


class HFGenerator:
    """Load `model` (Hub id or local folder) once; `generate` runs one left-padded greedy batch."""

    def __init__(
        self,
        model: str,
        revision: str | None = None,
        device: str = "auto",
        dtype: str = "auto",
        max_new_tokens: int = 32,
        trust_remote_code: bool = False,
        processor_kwargs: dict[str, Any] | None = None,
    ):
        self.name, self.revision, self.max_new_tokens = model, revision, max_new_tokens
        spec = ModelSpec(
            model,
            revision=revision,
            device=device,
            dtype=dtype,
            trust_remote_code=trust_remote_code,
            processor_kwargs=dict(processor_kwargs or {}),
        )
        self.vlm = load_vlm(spec)
        self.model, self.processor, self.device = self.vlm.model, self.vlm.processor, self.vlm.device
        self.truncation_warnings = 0

    def generate(self, items: Sequence[Item]) -> list[str]:
        result = generate(
            self.vlm,
            [item.messages() for item in items],
            [item.images for item in items],
            self.max_new_tokens,
        )
        for item, length in zip(items, result.prompt_tokens):
            item.meta["prompt_tokens"] = length
        self.truncation_warnings += sum(result.over_context)
        return result.texts
