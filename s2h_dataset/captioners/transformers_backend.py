"""`transformers:MODEL_ID_OR_PATH`: captions from a vision-language model loaded in this process.

Any `AutoModelForImageTextToText` + `AutoProcessor` (safetensors, no remote code), loaded and run by the
shared model layer (`vlm.loading`, `vlm.chat`): the model's own chat template, greedy decoding, left-padded
batches of `batch_size` chats. Jobs are grouped by image count so a batch pads little. For a large model on
a cluster, serve it with vLLM / SGLang and use the `openai:` captioner instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from ..vlm.chat import generate, images_then_text, user_turn
from ..vlm.loading import LoadedVLM, ModelSpec, load_vlm
from .cache import CaptionCache
from .config import CaptionerConfig
from .model import Job, ModelCaptioner

__all__ = ["TransformersCaptioner", "model_identity"]

logger = logging.getLogger(__name__)


def model_identity(model: str) -> str:
    """The model's name in cache keys and row meta: a Hub id as is, a local folder by its name (no paths)."""
    path = Path(model).expanduser()
    return path.resolve().name if path.is_dir() else model


class TransformersCaptioner(ModelCaptioner):
    """Batched greedy generation with a local model, set up by a `CaptionerConfig` (`transformers:MODEL`).

    Reads `target` (Hub id or local folder), `device` (`auto`: CUDA when available, `cpu`, `cuda:1`, ...),
    `dtype` (`auto`: bfloat16 on CUDA, float32 on CPU), `batch_size` (chats per `generate` call),
    `max_new_tokens`, `max_image_side` and `processor_kwargs` (e.g. Qwen `max_pixels`).
    """

    def __init__(self, config: CaptionerConfig, cache: CaptionCache | None):
        identity = model_identity(config.target)
        super().__init__(f"transformers:{identity}", identity, cache, config.max_image_side)
        self.batch_size, self.max_new_tokens = config.batch_size, config.max_new_tokens
        self.spec = ModelSpec(
            config.target,
            device=config.device,
            dtype=config.dtype,
            processor_kwargs=dict(config.processor_kwargs),
        )
        self._vlm: LoadedVLM | None = None

    @property
    def vlm(self) -> LoadedVLM:
        """The model, loaded on first use: a rerun whose texts are all cached never loads it."""
        if self._vlm is None:
            self._vlm = load_vlm(self.spec)
        return self._vlm

    def generate(self, jobs: list[Job]) -> Iterator[tuple[int, str | None]]:
        order = sorted(range(len(jobs)), key=lambda i: len(jobs[i].records))
        for start in range(0, len(order), self.batch_size):
            batch, chats, images = [], [], []
            for index in order[start : start + self.batch_size]:
                loaded = jobs[index].images()
                if loaded is None:
                    yield index, None
                    continue
                batch.append(index)
                chats.append(user_turn(images_then_text(len(loaded), jobs[index].prompt)))
                images.append(loaded)
            if chats:
                yield from zip(batch, generate(self.vlm, chats, images, self.max_new_tokens).texts)
