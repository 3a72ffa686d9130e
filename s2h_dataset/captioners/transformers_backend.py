"""`transformers:MODEL_ID_OR_PATH`: captions from a vision-language model loaded in this process.

Any `AutoModelForImageTextToText` + `AutoProcessor` (safetensors, no remote code): the model's own chat
template, greedy decoding, left-padded batches of `batch_size` chats (the evaluation harness's
`HFGenerator`). Jobs are grouped by image count so a batch pads little. For a large model on a cluster,
serve it with vLLM / SGLang and use the `openai:` captioner instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

from ..eval.generate import HFGenerator
from ..eval.items import Item
from .cache import CaptionCache
from .model import Job, ModelCaptioner

__all__ = ["TransformersCaptioner"]

logger = logging.getLogger(__name__)


def model_identity(model: str) -> str:
    """The model's name in cache keys and row meta: a Hub id as is, a local folder by its name (no paths)."""
    path = Path(model).expanduser()
    return path.resolve().name if path.is_dir() else model


class TransformersCaptioner(ModelCaptioner):
    """Batched greedy generation with a local model.

    model: Hub id or local folder. device: `auto` (CUDA when available), `cpu`, `cuda:1`, ...
    dtype: `auto` (bfloat16 on CUDA, float32 on CPU), `float32`, `bfloat16`, `float16`.
    batch_size: chats per `generate` call. max_new_tokens: reply length limit.
    """

    def __init__(
        self,
        model: str,
        cache: CaptionCache | None,
        device: str = "auto",
        dtype: str = "auto",
        batch_size: int = 8,
        max_new_tokens: int = 256,
        max_image_side: int = 768,
    ):
        identity = model_identity(model)
        super().__init__(f"transformers:{identity}", identity, cache, max_image_side)
        self.batch_size = batch_size
        self._load = {"model": model, "device": device, "dtype": dtype, "max_new_tokens": max_new_tokens}
        self._generator: HFGenerator | None = None

    @property
    def generator(self) -> HFGenerator:
        """The model, loaded on first use: a rerun whose texts are all cached never loads it."""
        if self._generator is None:
            self._generator = HFGenerator(**self._load)
        return self._generator

    def generate(self, jobs: list[Job]) -> Iterator[tuple[int, str | None]]:
        order = sorted(range(len(jobs)), key=lambda i: len(jobs[i].records))
        for start in range(0, len(order), self.batch_size):
            batch, items = [], []
            for index in order[start : start + self.batch_size]:
                images = jobs[index].images()
                if images is None:
                    yield index, None
                    continue
                content = [{"type": "image"} for _ in images] + [{"type": "text", "text": jobs[index].prompt}]
                batch.append(index)
                items.append(
                    Item(
                        id=jobs[index].key[:12],
                        subtask=jobs[index].kind,
                        images=images,
                        content=content,
                        gold="",
                        answer_type="free",
                    )
                )
            if items:
                yield from zip(batch, self.generator.generate(items))
