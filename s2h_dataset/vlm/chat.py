"""Multi-image chats: the user turn, its rendering with the model's chat template, batched greedy generation.

One way for every family (Qwen2-VL, Qwen2.5-VL, Qwen3-VL, LLaVA, Idefics3, SmolVLM, Gemma3): the template is
rendered as text, then the processor gets the texts and one list of images per chat, in placeholder order,
left-padded. (Tokenizing inside `apply_chat_template` returns Python lists instead of tensors for Idefics3 /
SmolVLM batches, and a flat image list is split wrongly by the processors that want one list per sample.)
Prompts longer than the model's context are counted and logged, not cut silently.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PIL import Image

from .loading import LoadedVLM

__all__ = [
    "Generation",
    "encode",
    "generate",
    "images_then_text",
    "jpeg_data_uri",
    "openai_content",
    "render",
    "user_turn",
]

logger = logging.getLogger(__name__)

Content = list[dict[str, Any]]


def images_then_text(n_images: int, text: str) -> Content:
    """The usual user content: one `{"type": "image"}` part per image, in order, then the text."""
    return [{"type": "image"} for _ in range(n_images)] + [{"type": "text", "text": text}]


def user_turn(content: Content) -> list[dict[str, Any]]:
    """The chat of one question: a single user message with `content` (image and text parts, in order)."""
    return [{"role": "user", "content": content}]


def render(processor, messages: list[dict[str, Any]], add_generation_prompt: bool = True) -> str:
    """The prompt text: the model's own chat template with the generation prompt appended (without it for
    a conversation that already ends with the assistant's turn, as eval's preference scoring renders)."""
    return processor.apply_chat_template(
        messages, add_generation_prompt=add_generation_prompt, tokenize=False
    )


def encode(processor, chats: Sequence[list[dict[str, Any]]], images: Sequence[list[Image.Image]]):
    """The processor's left-padded batch for `chats`, `images[i]` being chat i's images in placeholder order."""
    texts = [render(processor, messages) for messages in chats]
    nested = [list(sample) for sample in images]
    return processor(text=texts, images=nested if any(nested) else None, padding=True, return_tensors="pt")


def to_model(batch, model):
    """A processor's batch on `model`'s device, its float pixel values in the model's dtype."""
    batch = batch.to(model.device)
    if "pixel_values" in batch and batch["pixel_values"].is_floating_point():
        batch["pixel_values"] = batch["pixel_values"].to(model.dtype)
    return batch


@dataclass
class Generation:
    """Replies in chat order, with each prompt's token count and whether prompt + reply overran the context."""

    texts: list[str]
    prompt_tokens: list[int]
    over_context: list[bool]


def generate(
    vlm: LoadedVLM,
    chats: Sequence[list[dict[str, Any]]],
    images: Sequence[list[Image.Image]],
    max_new_tokens: int,
) -> Generation:
    """Greedy replies to a batch of chats (left padding; `do_sample=False`), special tokens stripped."""
    import torch

    batch = to_model(encode(vlm.processor, chats, images), vlm.model)
    lengths = [int(n) for n in batch["attention_mask"].sum(dim=1).tolist()]
    limit = getattr(vlm.model.config.get_text_config(), "max_position_embeddings", None)
    over = [bool(limit and n + max_new_tokens > limit) for n in lengths]
    if any(over):
        logger.warning(
            "%d of %d prompts + %d new tokens exceed the model's %d positions",
            sum(over),
            len(over),
            max_new_tokens,
            limit,
        )
    tokenizer = vlm.processor.tokenizer
    with torch.inference_mode():
        output = vlm.model.generate(
            **batch, do_sample=False, max_new_tokens=max_new_tokens, pad_token_id=tokenizer.pad_token_id
        )
    prompt_len = batch["input_ids"].shape[1]
    texts = vlm.processor.batch_decode(output[:, prompt_len:], skip_special_tokens=True)
    return Generation([t.strip() for t in texts], lengths, over)


def jpeg_data_uri(image: Image.Image, quality: int = 90, max_side: int | None = None) -> str:
    """`data:image/jpeg;base64,...` of `image` (RGB), shrunk to `max_side` first when given."""
    if max_side and max(image.size) > max_side:
        image = image.copy()
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=quality)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def openai_content(content: Content, images: Sequence[Image.Image]) -> Content:
    """`content` for an OpenAI-compatible server: each image part becomes an `image_url` JPEG data URI."""
    queue = iter(images)
    parts = []
    for part in content:
        if part["type"] == "image":
            parts.append({"type": "image_url", "image_url": {"url": jpeg_data_uri(next(queue))}})
        else:
            parts.append({"type": "text", "text": part["text"]})
    return parts
