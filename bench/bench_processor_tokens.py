"""Tokens of one 4-image row per model family, with the stock processor and with the toolkit's multi-image
defaults (`s2h_dataset/vlm/processor_defaults.py`), for 384-px images (a default `s2h build`) and 640x480 photos.

    python bench/bench_processor_tokens.py            # Markdown table
    python bench/bench_processor_tokens.py --json

No weights are needed: each family's processor is the tiny offline one (`s2h_dataset.testing.tiny_vlms`)
with the image-processor settings of the released model's `preprocessor_config.json` written in below
(SmolVLM-Instruct: 1536-px resize, 384-px tiles of 81 tokens; Qwen2.5-VL: 3136..12845056 pixels, patch 14;
Qwen3-VL: 65536..16777216 pixels, patch 16; LLaVA-1.5: CLIP 336 px, 576 tokens; Idefics3-8B: 1456-px resize,
364-px tiles of 169 tokens; Gemma 3: 896 px, 256 tokens). It is then saved and reloaded through
`AutoProcessor.from_pretrained(folder, **settings)` as training and `s2h train-check` load it. The text is
tokenized by the tiny BPE, so only the image-token counts are the released models' exactly.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

# family -> (attribute path, value) pairs that make the tiny processor behave as the released one
STOCK = {
    "llava": {
        "image_processor.size": {"shortest_edge": 336},
        "image_processor.crop_size": {"height": 336, "width": 336},
    },
    "qwen2_5_vl": {"image_processor.size": {"shortest_edge": 3136, "longest_edge": 12845056}},
    "qwen3_vl": {"image_processor.size": {"shortest_edge": 65536, "longest_edge": 16777216}},
    "smolvlm": {
        "image_processor.do_image_splitting": True,
        "image_processor.size": {"longest_edge": 1536},
        "image_processor.max_image_size": {"longest_edge": 384},
        "image_seq_len": 81,
    },
    "idefics3": {
        "image_processor.do_image_splitting": True,
        "image_processor.size": {"longest_edge": 1456},
        "image_processor.max_image_size": {"longest_edge": 364},
        "image_seq_len": 169,
    },
    "gemma3": {"image_processor.size": {"height": 896, "width": 896}, "image_seq_length": 256},
}
SHAPES = {"384 px (default build)": (384, 384), "640x480 photo": (640, 480)}


def _stock_processor(family: str, folder: Path):
    from transformers import AutoProcessor

    from s2h_dataset.testing.tiny_vlms import build_tiny_vlm

    build_tiny_vlm(family, folder)
    processor = AutoProcessor.from_pretrained(folder)
    for path, value in STOCK[family].items():
        owner = processor
        *parents, name = path.split(".")
        for parent in parents:
            owner = getattr(owner, parent)
        setattr(owner, name, value)
    processor.save_pretrained(folder)
    return folder


def count(folder: Path, family: str, size: tuple[int, int], defaults: bool) -> dict:
    from transformers import AutoProcessor

    from s2h_dataset.vlm.processor_defaults import processor_kwargs_for

    settings = processor_kwargs_for(family, defaults=defaults)
    processor = AutoProcessor.from_pretrained(folder, **settings)
    rng = np.random.default_rng(0)
    images = [Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)) for _ in range(4)]
    content = [{"type": "image"} for _ in images] + [{"type": "text", "text": "Which image shows a cat?"}]
    text = processor.apply_chat_template([{"role": "user", "content": content}], add_generation_prompt=True)
    ids = processor(images=images, text=[text], return_tensors="np")["input_ids"][0]
    # what the images cost: the row minus the same question without images (placeholders and wrappers too)
    bare = [{"role": "user", "content": content[-1:]}]
    text_only = processor.tokenizer(processor.apply_chat_template(bare, add_generation_prompt=True))[
        "input_ids"
    ]
    return {"settings": settings, "tokens": len(ids), "image_tokens": len(ids) - len(text_only)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", default=",".join(STOCK))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for family in args.families.split(","):
            folder = _stock_processor(family, Path(tmp) / family)
            for shape, size in SHAPES.items():
                stock, ours = count(folder, family, size, False), count(folder, family, size, True)
                rows.append({"family": family, "images": shape, "stock": stock, "defaults": ours})
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print("| family | 4 images of | stock: tokens (of which images) | with defaults | settings |")
    print("|---|---|---|---|---|")
    for r in rows:
        s, d = r["stock"], r["defaults"]
        print(
            f"| {r['family']} | {r['images']} | {s['tokens']} ({s['image_tokens']}) | {d['tokens']} "
            f"({d['image_tokens']}) | `{json.dumps(d['settings']) if d['settings'] else '-'}` |"
        )


if __name__ == "__main__":
    main()
