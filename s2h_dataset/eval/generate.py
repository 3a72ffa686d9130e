"""Greedy generation through transformers: the model's own processor and chat template, batched with left padding.

The runner only needs an object with `generate(items) -> list[str]` (one reply per item, in order), so
tests can swap in a scripted model. `HFGenerator` is the real one: `AutoModelForImageTextToText` +
`AutoProcessor`, safetensors only, no remote code unless asked, `do_sample=False`. Each item's images go into
its chat in the benchmark's order; prompts longer than the model's context are logged, not cut silently.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from ..errors import UserError
from .items import Item

__all__ = ["Generator", "HFGenerator"]

logger = logging.getLogger(__name__)


class Generator(Protocol):
    """What the runner calls: one reply per item, same order. `name` goes into run.json."""

    name: str

    def generate(self, items: Sequence[Item]) -> list[str]: ...


def _resolve_device(device: str) -> str:
    import torch

    if device != "auto":
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


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
    ):
        import torch
        from transformers import AutoModelForImageTextToText, AutoProcessor

        self.name, self.revision, self.max_new_tokens = model, revision, max_new_tokens
        self.device = _resolve_device(device)
        if dtype == "auto":
            dtype = "bfloat16" if self.device.startswith("cuda") else "float32"
        try:
            self.processor = AutoProcessor.from_pretrained(
                model, revision=revision, trust_remote_code=trust_remote_code
            )
            self.model = AutoModelForImageTextToText.from_pretrained(
                model,
                revision=revision,
                dtype=getattr(torch, dtype),
                use_safetensors=True,
                trust_remote_code=trust_remote_code,
            )
        except (OSError, ValueError) as err:
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise UserError(
                f"cannot load model `{model}` with AutoModelForImageTextToText ({reason})"
            ) from None
        self.model.to(self.device).eval()
        tokenizer = getattr(self.processor, "tokenizer", None)
        if tokenizer is None:
            raise UserError(
                f"model `{model}`: its processor has no tokenizer; is it a vision-language model?"
            )
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.pad_token_id = tokenizer.pad_token_id
        self.max_positions = getattr(self.model.config.get_text_config(), "max_position_embeddings", None)
        self.truncation_warnings = 0

    def encode(self, items: Sequence[Item]):
        """The processor's batch for `items`: chat template rendered as text, then the processor with the
        images in placeholder order and left padding. (Tokenizing inside `apply_chat_template` returns
        Python lists instead of tensors for Idefics3 / SmolVLM batches.)"""
        texts = [
            self.processor.apply_chat_template(item.messages(), add_generation_prompt=True, tokenize=False)
            for item in items
        ]
        return self.processor(
            text=texts, images=[item.images for item in items], padding=True, return_tensors="pt"
        ).to(self.device)

    def generate(self, items: Sequence[Item]) -> list[str]:
        import torch

        batch = self.encode(items)
        prompt_len = batch["input_ids"].shape[1]
        lengths = batch["attention_mask"].sum(dim=1).tolist()
        for item, length in zip(items, lengths):
            item.meta["prompt_tokens"] = int(length)
            if self.max_positions and length + self.max_new_tokens > self.max_positions:
                self.truncation_warnings += 1
                logger.warning(
                    "%s: %d prompt tokens + %d new exceed the model's %d positions",
                    item.id,
                    length,
                    self.max_new_tokens,
                    self.max_positions,
                )
        if "pixel_values" in batch and batch["pixel_values"].is_floating_point():
            batch["pixel_values"] = batch["pixel_values"].to(self.model.dtype)
        with torch.inference_mode():
            output = self.model.generate(
                **batch,
                do_sample=False,
                max_new_tokens=self.max_new_tokens,
                pad_token_id=self.pad_token_id,
            )
        return [
            text.strip()
            for text in self.processor.batch_decode(output[:, prompt_len:], skip_special_tokens=True)
        ]
