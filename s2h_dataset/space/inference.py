"""Load a vision-language model once and answer one request over a set of images.

`VisionChat.load(model_id)` reads any `AutoModelForImageTextToText` checkpoint (a Hub id or a folder, full
weights or a PEFT adapter folder when `peft` is installed) with its processor, safetensors only and without
remote code. `VisionChat.generate(images, text)` builds the user turn in the row schema's shape (one image
part per image, then the text), renders it with the processor's chat template and decodes greedily.

On a ZeroGPU Space (`SPACES_ZERO_GPU` set and the `spaces` package importable) generation runs under
`@spaces.GPU`; everywhere else `gpu` is a no-op decorator, so the app never depends on `spaces`.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from typing import Protocol

from PIL import Image

from ..errors import UserError

__all__ = ["ChatModel", "VisionChat", "gpu", "on_zero_gpu"]

logger = logging.getLogger(__name__)

# processors that want one list of images per text (a batch of one sample)
_NESTED_IMAGES = ("idefics3", "smolvlm", "idefics2", "mllama")


class ChatModel(Protocol):
    """What the app needs from a model: a display name and `generate`. Tests may script one."""

    name: str

    def generate(self, images: list[Image.Image], text: str, max_new_tokens: int) -> str: ...


def on_zero_gpu() -> bool:
    return bool(os.environ.get("SPACES_ZERO_GPU"))


def gpu(fn=None, *, duration: int = 60):
    """`@spaces.GPU(duration=...)` on ZeroGPU, otherwise return `fn` unchanged."""
    if fn is None:
        return functools.partial(gpu, duration=duration)
    if on_zero_gpu():
        try:
            import spaces  # only present on Hugging Face Spaces
        except ImportError:
            logger.warning("SPACES_ZERO_GPU is set but the `spaces` package is missing; running without it")
            return fn
        return spaces.GPU(duration=duration)(fn)
    return fn


def _device() -> str:
    import torch

    if torch.cuda.is_available() or on_zero_gpu():  # ZeroGPU: move to cuda at start-up, it attaches per call
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


class VisionChat:
    """A loaded model + processor pair; `generate` answers one multi-image request."""

    def __init__(self, model, processor, name: str, device: str):
        self.model = model
        self.processor = processor
        self.name = name
        self.device = device
        self.model_type = getattr(model.config, "model_type", "")

    @classmethod
    def load(cls, model_id: str, device: str | None = None, revision: str | None = None) -> VisionChat:
        """Load `model_id` (Hub id or folder) for inference; `UserError` when it cannot be read."""
        import torch
        from transformers import AutoModelForImageTextToText, AutoProcessor

        device = device or _device()
        dtype = torch.bfloat16 if device == "cuda" else torch.float32
        start = time.perf_counter()
        try:
            processor = AutoProcessor.from_pretrained(model_id, revision=revision)
            model = AutoModelForImageTextToText.from_pretrained(
                model_id, revision=revision, dtype=dtype, use_safetensors=True
            )
        except (OSError, ValueError) as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise UserError(
                f"cannot load model `{model_id}` ({first}); pass a folder or Hub id of an image-text-to-text "
                "checkpoint with safetensors weights (set MODEL_ID or --model)"
            ) from None
        if getattr(processor, "chat_template", None) is None:
            raise UserError(
                f"model `{model_id}` has no chat template in its processor; use an instruction-tuned checkpoint"
            )
        model.to(device).eval()
        logger.info(
            "loaded %s (%s) on %s in %.1f s",
            model_id,
            model.config.model_type,
            device,
            time.perf_counter() - start,
        )
        return cls(model, processor, name=model_id, device=device)

    def build_inputs(self, images: list[Image.Image], text: str):
        content = [{"type": "image"} for _ in images] + [{"type": "text", "text": text}]
        messages = [{"role": "user", "content": content}]
        prompt = self.processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        batch_images = [images] if self.model_type in _NESTED_IMAGES else images
        return self.processor(text=[prompt], images=batch_images, return_tensors="pt")

    def generate(self, images: list[Image.Image], text: str, max_new_tokens: int = 128) -> str:
        return _generate(self, images, text, max_new_tokens)


@gpu
def _generate(chat: VisionChat, images: list[Image.Image], text: str, max_new_tokens: int) -> str:
    import torch

    inputs = chat.build_inputs(images, text).to(chat.device)
    tokenizer = getattr(chat.processor, "tokenizer", chat.processor)
    with torch.inference_mode():
        output = chat.model.generate(
            **inputs, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tokenizer.pad_token_id
        )
    new_tokens = output[0, inputs["input_ids"].shape[1] :]
    return tokenizer.decode(new_tokens, skip_special_tokens=True).strip()
