"""Load a vision-language model once and answer one request over a set of images.

`VisionChat.load(model_id)` reads any `AutoModelForImageTextToText` checkpoint (a Hub id or a folder, full
weights or a PEFT adapter folder) through the shared model layer (`vlm.load_vlm`: safetensors only, no
remote code, optional processor settings). `VisionChat.generate(images, text)` asks the model with the same
user turn, chat rendering and greedy generation as eval (`vlm.chat`), so the demo answers as the probe asks.

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
from ..vlm.chat import encode, generate, images_then_text, user_turn
from ..vlm.loading import LoadedVLM, ModelSpec, ProcessorSettingsError, load_vlm

__all__ = ["ChatModel", "VisionChat", "gpu", "on_zero_gpu"]

logger = logging.getLogger(__name__)


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


class VisionChat:
    """A loaded model + processor pair (`vlm.LoadedVLM`); `generate` answers one multi-image request."""

    def __init__(self, vlm: LoadedVLM):
        self.vlm = vlm
        self.model, self.processor, self.name, self.device = vlm.model, vlm.processor, vlm.name, vlm.device
        self.model_type = vlm.model_type

    @classmethod
    def load(
        cls,
        model_id: str,
        device: str | None = None,
        revision: str | None = None,
        processor_kwargs: dict | None = None,
    ) -> VisionChat:
        """Load `model_id` (Hub id or folder) for inference; `UserError` when it cannot be read."""
        # ZeroGPU: move to cuda at start-up, the GPU attaches per call
        device = device or ("cuda" if on_zero_gpu() else "auto")
        start = time.perf_counter()
        try:
            vlm = load_vlm(
                ModelSpec(
                    model_id, revision=revision, device=device, processor_kwargs=dict(processor_kwargs or {})
                )
            )
        except ProcessorSettingsError:  # the model was fine: its settings were not
            raise
        except UserError as err:
            raise UserError(f"{err} (set MODEL_ID or --model-name-or-path)") from None
        logger.info("loaded %s on %s in %.1f s", model_id, vlm.device, time.perf_counter() - start)
        return cls(vlm)

    def build_inputs(self, images: list[Image.Image], text: str):
        return encode(self.processor, [user_turn(images_then_text(len(images), text))], [images])

    def generate(self, images: list[Image.Image], text: str, max_new_tokens: int = 128) -> str:
        return _generate(self, images, text, max_new_tokens)


@gpu
def _generate(chat: VisionChat, images: list[Image.Image], text: str, max_new_tokens: int) -> str:
    chats = [user_turn(images_then_text(len(images), text))]
    return generate(chat.vlm, chats, [images], max_new_tokens).texts[0]
