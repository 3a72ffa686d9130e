"""The Gradio Space: global visual search over uploaded images, and a dataset explorer.

`create_app(model_id, base_model_id, dataset, processor_kwargs=...)` loads the model(s) once and returns the Blocks; `launch`
serves them. Used by `spaces/app.py` (Hugging Face Spaces) and `s2h space` (locally).
"""

from __future__ import annotations

import logging

__all__ = ["create_app", "launch"]

logger = logging.getLogger(__name__)


def create_app(
    model_id: str | None,
    base_model_id: str | None = None,
    dataset: str | None = None,
    limits=None,
    examples: bool = True,
    processor_kwargs: dict | str | None = None,
):
    """Load `model_id` (and `base_model_id` for the before/after view) and build the Space's Blocks.

    `processor_kwargs` (a dict, or a JSON object as `s2h eval --processor-kwargs` takes it) goes to both
    models' processors through the shared model layer (`vlm.load_vlm`), e.g. `{"size": {...}}` for Qwen.
    """
    from ..vlm.processor_defaults import parse_processor_kwargs
    from .inference import VisionChat
    from .limits import Limits
    from .ui import build_demo

    settings = parse_processor_kwargs(processor_kwargs, "processor_kwargs") or {}
    limits = limits or Limits()
    model = VisionChat.load(model_id, processor_kwargs=settings) if model_id else None
    base = VisionChat.load(base_model_id, processor_kwargs=settings) if base_model_id else None
    if model is None:
        logger.warning(
            "no model given (MODEL_ID / --model-name-or-path): the search tab is disabled, the explorer works"
        )
    return build_demo(model, base=base, limits=limits, dataset=dataset, examples=examples)


def launch(demo, **kwargs):
    from .ui import launch as _launch

    return _launch(demo, **kwargs)
