"""Processor settings per model family for multi-image rows, and how user settings combine with them.

A stock processor is tuned for one image per prompt. With the 4-5 images of an S2H row some of them blow up
the sequence: SmolVLM-Instruct upscales each image to 1536 px and splits it into 16 tiles plus a global view
(17 x 81 = 1377 tokens per image, about 5.5k for a 4-image row), and the Qwen processors give a photo up to
1280 x 4 tokens. These defaults are the settings a careful user picks for such rows; `processor_kwargs`
(YAML or CLI, in training, `s2h train-check` and evaluation) replaces them key by key, and a key set to
`null` drops the default (`{"size": null}` restores the stock processor's value).

Sources of the values:
- SmolVLM / Idefics3 `do_image_splitting: false`: TRL's `examples/scripts/dpo_vlm.py` loads the processor
  with `do_image_splitting=False`; one 384-px view per image (81 tokens for SmolVLM-Instruct).
- Qwen2-VL / Qwen2.5-VL `size: {longest_edge: 200704, shortest_edge: 3136}`: at most 256 x 28 x 28 pixels,
  the lower end of the range the Qwen2.5-VL model card suggests (`max_pixels` 256-1280 x 28 x 28), so an
  image costs at most 256 tokens; the default 384-px builds (196 tokens) are unchanged, photo sources are
  capped. `shortest_edge` (the minimum pixels) is the stock processor's. transformers 5 spells the
  pixel bounds as `size` (`max_pixels` / `min_pixels` are deprecated); override with the whole `size`.
- Qwen3-VL `size: {longest_edge: 262144, shortest_edge: 65536}`: the same 256-token cap with Qwen3-VL's
  16-px patches (256 x 32 x 32), the stock minimum.
- LLaVA-1.5 (576 tokens) and Gemma 3 (256 tokens, pan-and-scan off) have a fixed cost per image: nothing.

This module imports nothing heavy so the CLI and the recipes' tests can read it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from ..errors import UserError

__all__ = ["PROCESSOR_DEFAULTS", "parse_processor_kwargs", "processor_kwargs_for"]

#: `config.model_type` -> keyword arguments for `AutoProcessor.from_pretrained`.
PROCESSOR_DEFAULTS: dict[str, dict] = {
    "smolvlm": {"do_image_splitting": False},
    "idefics3": {"do_image_splitting": False},
    "qwen2_vl": {"size": {"longest_edge": 256 * 28 * 28, "shortest_edge": 56 * 56}},
    "qwen2_5_vl": {"size": {"longest_edge": 256 * 28 * 28, "shortest_edge": 56 * 56}},
    "qwen3_vl": {"size": {"longest_edge": 256 * 32 * 32, "shortest_edge": 256 * 256}},
}


def parse_processor_kwargs(value: str | Mapping | None, name: str = "processor_kwargs") -> dict | None:
    """A dict from YAML, or from a JSON object on the command line (`'{"do_image_splitting": true}'`)."""
    if value is None or isinstance(value, Mapping):
        return None if value is None else dict(value)
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as err:
        raise UserError(
            f"`{name}` must be a JSON object such as '{{\"do_image_splitting\": true}}', got `{value}` ({err.msg})"
        ) from None
    if not isinstance(parsed, dict):
        raise UserError(f"`{name}` must be a JSON object (key: value), got `{value}`")
    return parsed


def processor_kwargs_for(
    model_type: str | None, user: Mapping | None = None, *, defaults: bool = True
) -> dict:
    """The family's defaults (unless `defaults=False`) updated by `user`; keys set to None are dropped."""
    merged = dict(PROCESSOR_DEFAULTS.get(model_type or "", {})) if defaults else {}
    merged.update(user or {})
    return {key: value for key, value in merged.items() if value is not None}
