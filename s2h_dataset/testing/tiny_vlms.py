"""Tiny random vision-language models for offline tests and benchmarks.

:func:`build_tiny_vlm` builds a ~1M-parameter randomly initialised VLM of one of seven families together
with a working processor (locally trained byte-level BPE tokenizer, see
:mod:`s2h_dataset.testing.tiny_tokenizer`), and saves both with ``save_pretrained`` (safetensors) so that

    AutoModelForImageTextToText.from_pretrained(out_dir)
    AutoProcessor.from_pretrained(out_dir)

reload them offline without ``trust_remote_code``. All shapes are kept small so a forward pass over a chat
with several images takes milliseconds on a CPU:

=============  ===========================================================  ===================
family         vision / image processing                                     image tokens/image
=============  ===========================================================  ===================
qwen2_vl       patch 14, merge 2, resized to 56x56 .. 112x112 pixels        4 - 16
qwen2_5_vl     same as qwen2_vl (window attention, 1 full-attention block)   4 - 16
qwen3_vl       patch 16, merge 2, resized to 64x64 .. 128x128, deepstack     4 - 16
llava          CLIP 28x28, patch 14, CLS dropped                             4
idefics3       SigLIP-like 32x32, patch 8, pixel shuffle 2, no splitting     4 (+3 wrappers)
smolvlm        same as idefics3                                              4 (+3 wrappers)
gemma3         SigLIP 32x32, patch 8, 2x2 average pool                       4 (+2 wrappers)
=============  ===========================================================  ===================

The text decoders have hidden size 128, 2 layers, 4 heads (2 KV heads); the vision towers width 64, 2 layers.
"""

from __future__ import annotations

import logging
import os
import pathlib
import time
from typing import Any

import torch
from transformers import (
    AutoConfig,
    AutoModelForImageTextToText,
    CLIPImageProcessor,
    Gemma3ImageProcessor,
    Gemma3Processor,
    Idefics3ImageProcessor,
    Idefics3Processor,
    LlavaProcessor,
    PreTrainedTokenizerFast,
    ProcessorMixin,
    Qwen2_5_VLProcessor,
    Qwen2VLImageProcessor,
    Qwen2VLProcessor,
    Qwen2VLVideoProcessor,
    Qwen3VLProcessor,
    Qwen3VLVideoProcessor,
    SmolVLMImageProcessor,
    SmolVLMProcessor,
    SmolVLMVideoProcessor,
)

from s2h_dataset.testing import FAMILIES, tiny_vlm_cache  # re-exported: the old import path
from s2h_dataset.testing.tiny_tokenizer import build_tiny_tokenizer

__all__ = ["FAMILIES", "build_tiny_vlm", "qwen_vision_token_ids", "tiny_vlm_cache"]

logger = logging.getLogger(__name__)


# Shared sizes. Text: head_dim = 128 / 4 = 32, so Qwen's M-RoPE sections must sum to 16.
_TEXT = dict(
    hidden_size=128,
    intermediate_size=256,
    num_hidden_layers=2,
    num_attention_heads=4,
    num_key_value_heads=2,
    max_position_embeddings=4096,
)
_VISION = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=2)
_SIGLIP_IMAGE, _SIGLIP_PATCH = 32, 8  # 4x4 patches -> 4 tokens after pixel shuffle / 2x2 pooling
_TOKENS_PER_IMAGE = 4  # fixed-size families (LLaVA, Idefics3, SmolVLM, Gemma3)


def _text_config(tok: PreTrainedTokenizerFast, **overrides: Any) -> dict[str, Any]:
    """Text-decoder kwargs with the vocabulary and special-token ids of `tok`."""
    ids = dict(
        vocab_size=len(tok),
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    return {**_TEXT, **ids, **overrides}


def qwen_vision_token_ids(tok: PreTrainedTokenizerFast) -> dict[str, int]:
    """The Qwen-VL config's image/video/vision-span token ids, as `tok` numbers them."""
    return {
        name: tok.convert_tokens_to_ids(token)
        for name, token in [
            ("image_token_id", "<|image_pad|>"),
            ("video_token_id", "<|video_pad|>"),
            ("vision_start_token_id", "<|vision_start|>"),
            ("vision_end_token_id", "<|vision_end|>"),
        ]
    }


def _qwen_vl(family: str, tok: PreTrainedTokenizerFast) -> tuple[dict[str, Any], ProcessorMixin]:
    """Config kwargs and processor for the Qwen2-VL / Qwen2.5-VL / Qwen3-VL families."""
    ids = qwen_vision_token_ids(tok)
    vision = dict(depth=2, num_heads=2, in_channels=3, spatial_merge_size=2, temporal_patch_size=2)
    if family == "qwen2_vl":
        vision.update(embed_dim=64, mlp_ratio=2, hidden_size=_TEXT["hidden_size"], patch_size=14)
    else:  # Qwen2.5-VL and Qwen3-VL towers have the same widths
        vision.update(hidden_size=64, intermediate_size=128, out_hidden_size=_TEXT["hidden_size"])
        if family == "qwen2_5_vl":
            vision.update(patch_size=14, window_size=112, fullatt_block_indexes=[1])
        else:  # qwen3_vl: patch 16 and a tiny depth, so the deepstack layers must be chosen explicitly
            vision.update(patch_size=16, num_position_embeddings=64, deepstack_visual_indexes=[1])
    if family == "qwen3_vl":
        rope = {
            "rope_type": "default",
            "rope_theta": 5_000_000.0,
            "mrope_section": [6, 5, 5],
            "mrope_interleaved": True,
        }
        text = _text_config(tok, head_dim=32, rope_parameters=rope)
    else:
        rope = {"rope_type": "default", "rope_theta": 1_000_000.0, "mrope_section": [4, 6, 6]}
        text = _text_config(tok, rope_parameters=rope)
    config = dict(text_config=text, vision_config=vision, **ids)

    # Few image tokens: every image is resized to between 2x2 and 4x4 merged patches.
    unit = vision["patch_size"] * vision["spatial_merge_size"]
    image_processor = Qwen2VLImageProcessor(
        min_pixels=(2 * unit) ** 2, max_pixels=(4 * unit) ** 2, patch_size=vision["patch_size"], merge_size=2
    )
    processor_cls = {"qwen2_vl": Qwen2VLProcessor, "qwen2_5_vl": Qwen2_5_VLProcessor}.get(
        family, Qwen3VLProcessor
    )
    video_processor = (
        Qwen3VLVideoProcessor(patch_size=16) if family == "qwen3_vl" else Qwen2VLVideoProcessor()
    )
    processor = processor_cls(
        image_processor=image_processor,
        tokenizer=tok,
        video_processor=video_processor,
        chat_template=tok.chat_template,
    )
    return config, processor


def _llava(tok: PreTrainedTokenizerFast) -> tuple[dict[str, Any], ProcessorMixin]:
    """LLaVA-1.5 layout: tiny CLIP (28 px, patch 14, CLS dropped) + tiny Llama."""
    vision = dict(model_type="clip_vision_model", image_size=28, patch_size=14, projection_dim=64, **_VISION)
    config = dict(
        text_config=dict(model_type="llama", **_text_config(tok)),
        vision_config=vision,
        image_token_index=tok.convert_tokens_to_ids("<image>"),
        image_seq_length=_TOKENS_PER_IMAGE,
        vision_feature_select_strategy="default",
        vision_feature_layer=-2,
    )
    image_processor = CLIPImageProcessor(size={"shortest_edge": 28}, crop_size={"height": 28, "width": 28})
    processor = LlavaProcessor(
        image_processor=image_processor,
        tokenizer=tok,
        patch_size=14,
        vision_feature_select_strategy="default",
        num_additional_image_tokens=1,
        chat_template=tok.chat_template,
    )
    return config, processor


def _idefics3(family: str, tok: PreTrainedTokenizerFast) -> tuple[dict[str, Any], ProcessorMixin]:
    """Idefics3 / SmolVLM: 32 px SigLIP-like encoder, pixel shuffle 2, image splitting off."""
    vision = dict(
        model_type=f"{family}_vision", image_size=_SIGLIP_IMAGE, patch_size=_SIGLIP_PATCH, **_VISION
    )
    config = dict(
        text_config=dict(model_type="llama", **_text_config(tok)),
        vision_config=vision,
        scale_factor=2,
        image_token_id=tok.convert_tokens_to_ids("<image>"),
    )
    sizes = dict(
        do_image_splitting=False,
        size={"longest_edge": _SIGLIP_IMAGE},
        max_image_size={"longest_edge": _SIGLIP_IMAGE},
    )
    if family == "idefics3":
        processor = Idefics3Processor(
            image_processor=Idefics3ImageProcessor(**sizes),
            tokenizer=tok,
            image_seq_len=_TOKENS_PER_IMAGE,
            chat_template=tok.chat_template,
        )
    else:
        processor = SmolVLMProcessor(
            image_processor=SmolVLMImageProcessor(**sizes),
            tokenizer=tok,
            video_processor=SmolVLMVideoProcessor(),
            image_seq_len=_TOKENS_PER_IMAGE,
            chat_template=tok.chat_template,
        )
    return config, processor


def _gemma3(tok: PreTrainedTokenizerFast) -> tuple[dict[str, Any], ProcessorMixin]:
    """Gemma3: SigLIP 32 px, patch 8, pooled to 2x2 = 4 soft tokens per image."""
    vision = dict(
        model_type="siglip_vision_model", image_size=_SIGLIP_IMAGE, patch_size=_SIGLIP_PATCH, **_VISION
    )
    text = _text_config(
        tok,
        model_type="gemma3_text",
        head_dim=32,
        query_pre_attn_scalar=32,
        sliding_window=64,
        layer_types=["sliding_attention", "full_attention"],
    )
    config = dict(
        text_config=text,
        vision_config=vision,
        mm_tokens_per_image=_TOKENS_PER_IMAGE,
        boi_token_index=tok.boi_token_id,
        eoi_token_index=tok.eoi_token_id,
        image_token_index=tok.image_token_id,
    )
    processor = Gemma3Processor(
        image_processor=Gemma3ImageProcessor(size={"height": _SIGLIP_IMAGE, "width": _SIGLIP_IMAGE}),
        tokenizer=tok,
        image_seq_length=_TOKENS_PER_IMAGE,
        chat_template=tok.chat_template,
    )
    return config, processor


def _config_and_processor(family: str) -> tuple[Any, ProcessorMixin]:
    """The (unsaved) model config and processor of `family`."""
    tok = build_tiny_tokenizer(family)
    if family.startswith("qwen"):
        kwargs, processor = _qwen_vl(family, tok)
    elif family == "llava":
        kwargs, processor = _llava(tok)
    elif family in ("idefics3", "smolvlm"):
        kwargs, processor = _idefics3(family, tok)
    else:
        kwargs, processor = _gemma3(tok)
    return AutoConfig.for_model(family, **kwargs), processor


def build_tiny_vlm(family: str, out_dir: str | os.PathLike, seed: int = 0) -> pathlib.Path:
    """Build a ~1M-parameter random VLM of `family` plus its processor, save both into `out_dir`.

    The processor wraps a locally trained byte-level BPE tokenizer (vocabulary ~1024 plus the family's
    special tokens, with a chat template for TRL's conversational vision format). Model and processor are
    written with ``save_pretrained`` (safetensors). The weights are a deterministic function of `seed`.

    Returns:
        ``out_dir`` as a :class:`pathlib.Path`.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; expected one of {FAMILIES}")
    start = time.perf_counter()
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    config, processor = _config_and_processor(family)
    tok = processor.tokenizer

    with torch.random.fork_rng(devices=[]):  # seed the weights without touching the caller's RNG state
        torch.manual_seed(seed)
        model = AutoModelForImageTextToText.from_config(config)
        if family == "gemma3":
            # Random Gemma3 zero-initialises the vision->text projection: no gradient would reach the vision tower.
            with torch.no_grad():
                model.model.multi_modal_projector.mm_input_projection_weight.normal_(mean=0.0, std=0.02)
    gen = model.generation_config
    gen.bos_token_id, gen.eos_token_id, gen.pad_token_id = (
        tok.bos_token_id,
        tok.eos_token_id,
        tok.pad_token_id,
    )

    model.save_pretrained(out)
    processor.save_pretrained(out)
    n_params = sum(p.numel() for p in model.parameters())
    logger.info(
        "built tiny %s (%.2fM parameters) in %s in %.1f s",
        family,
        n_params / 1e6,
        out,
        time.perf_counter() - start,
    )
    return out
