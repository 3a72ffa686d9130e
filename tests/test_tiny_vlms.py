"""Tests for s2h_dataset.testing.tiny_vlms: every tiny VLM family reloads, runs multi-image chats and trains
with TRL's DPOTrainer, offline, on the CPU."""

from __future__ import annotations

import math
import os
import pathlib

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pytest
from cpu_dpo import cpu_dpo_config
from PIL import Image

from s2h_dataset.testing import FAMILIES, tiny_vlm_cache

_REPO = pathlib.Path(__file__).resolve().parents[1]
_EMOJI_DIRS = [
    _REPO / "s2h_dataset/data/fluent-emoji-3d/images",
    _REPO.parent / "shared/data/fluent-emoji-3d/images",
]
# Different sizes and aspect ratios (64-256 px), so per-image token counts differ for the dynamic-resolution
# families (Qwen-VL) and every processor has to resize.
_SIZES = [(64, 64), (256, 128), (96, 160), (200, 200), (128, 72), (256, 256)]


@pytest.fixture(scope="module")
def images() -> list[Image.Image]:
    """Six small RGB images of different sizes: emoji renders when available, flat colours otherwise."""
    files = next((sorted(d.glob("*.webp"))[:6] for d in _EMOJI_DIRS if d.is_dir()), [])
    out = []
    for i, size in enumerate(_SIZES):
        if i < len(files):
            with Image.open(files[i]) as im:
                rgba = im.convert("RGBA")
            canvas = Image.new("RGBA", rgba.size, "white")
            canvas.alpha_composite(rgba)
            out.append(canvas.convert("RGB").resize(size))
        else:
            out.append(Image.new("RGB", size, (40 * i, 120, 255 - 40 * i)))
    return out


def _user(n_images: int, text: str) -> dict:
    # "text": None on image parts, as rows read back from Arrow carry it.
    return {
        "role": "user",
        "content": [{"type": "image", "text": None}] * n_images + [{"type": "text", "text": text}],
    }


def _assistant(text: str) -> dict:
    return {"role": "assistant", "content": [{"type": "text", "text": text}]}


def _n_image_tokens(model, input_ids) -> int:
    token_id = getattr(model.config, "image_token_id", None) or model.config.image_token_index
    return int((input_ids == token_id).sum())


@pytest.mark.parametrize("family", FAMILIES)
def test_build_reload_forward_generate(
    family: str, tmp_path: pathlib.Path, images: list[Image.Image]
) -> None:
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from s2h_dataset.testing.tiny_tokenizer import build_tiny_tokenizer
    from s2h_dataset.testing.tiny_vlms import build_tiny_vlm

    out = build_tiny_vlm(family, tmp_path / "a", seed=0)
    assert out == tmp_path / "a" and (out / "model.safetensors").is_file()
    model = AutoModelForImageTextToText.from_pretrained(out).eval()
    processor = AutoProcessor.from_pretrained(out)
    assert model.config.model_type == family
    assert 0.3e6 < model.num_parameters() < 2e6
    assert len(processor.tokenizer) <= model.config.get_text_config().vocab_size
    # The reloaded tokenizer (whatever class AutoProcessor picks) tokenizes exactly like the built one.
    sample = processor.apply_chat_template(
        [_user(2, "Which image shows a red apple?"), _assistant("The first.")]
    )
    assert processor.tokenizer(sample)["input_ids"] == build_tiny_tokenizer(family)(sample)["input_ids"]

    # Deterministic for a seed: a second build writes identical weights and tokenizer.
    again = build_tiny_vlm(family, tmp_path / "b", seed=0)
    for name in ("model.safetensors", "tokenizer.json"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name

    # One placeholder per image, consistent image tokens for 2-6 images of different sizes.
    per_image = None
    for n in (2, 4, 6):
        prompt = processor.apply_chat_template(
            [_user(n, "Which image contains a cat?")], add_generation_prompt=True
        )
        assert prompt.count("Which image contains a cat?") == 1 and prompt != "Which image contains a cat?"
        batch = processor(text=[prompt], images=[images[:n]], return_tensors="pt")
        n_tokens = _n_image_tokens(model, batch["input_ids"])
        assert n_tokens >= n
        if not family.startswith("qwen"):  # fixed-size families: same count for every image
            per_image = per_image or n_tokens // n
            assert n_tokens == per_image * n
        with torch.no_grad():
            logits = model(**batch).logits
        assert logits.shape[:2] == batch["input_ids"].shape

    # Forward with labels on a full chat with 4 images, and greedy generation.
    chat = [_user(4, "Which image contains a cat?"), _assistant("The second one.")]
    text = processor.apply_chat_template(chat)
    batch = processor(text=[text], images=[images[:4]], return_tensors="pt")
    loss = model(**batch, labels=batch["input_ids"].clone()).loss
    assert torch.isfinite(loss)
    prompt = processor.apply_chat_template(chat[:1], add_generation_prompt=True)
    batch = processor(text=[prompt], images=[images[:4]], return_tensors="pt")
    generated = model.generate(**batch, max_new_tokens=5, min_new_tokens=5, do_sample=False)
    assert generated.shape[1] == batch["input_ids"].shape[1] + 5
    assert (
        generated[0, : batch["input_ids"].shape[1]].tolist() == batch["input_ids"][0].tolist()
    )  # prompt kept


# Raised by transformers' Trainer itself whatever the config says.
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:`is_gradient_checkpointing` is deprecated:FutureWarning")
@pytest.mark.parametrize("family", FAMILIES)
def test_dpo_two_steps(family: str, tmp_path: pathlib.Path, images: list[Image.Image]) -> None:
    import datasets
    from transformers import AutoModelForImageTextToText, AutoProcessor
    from trl import DPOTrainer

    path = tiny_vlm_cache(family)
    assert tiny_vlm_cache(family) == path  # built once per process
    model = AutoModelForImageTextToText.from_pretrained(path)
    processor = AutoProcessor.from_pretrained(path)
    rows = [
        {
            "images": images[i % 3 : i % 3 + 4],
            "prompt": [_user(4, f"Which of the following images contains object {i}?")],
            "chosen": [_assistant(f"Image {i % 4 + 1}.")],
            "rejected": [_assistant(f"Image {(i + 1) % 4 + 1}, it is the blue one.")],
        }
        for i in range(4)
    ]
    dataset = datasets.Dataset.from_list(rows)
    args = cpu_dpo_config(tmp_path)
    trainer = DPOTrainer(
        model=model, ref_model=None, args=args, train_dataset=dataset, processing_class=processor
    )
    result = trainer.train()
    assert result.global_step == 2
    losses = [log["loss"] for log in trainer.state.log_history if "loss" in log]
    assert len(losses) == 2 and all(math.isfinite(x) for x in losses)
