"""Render a few rows per task of a built folder as PNG (images + prompt / chosen / rejected), to look at.

Usage: python bench/render_rows.py BUILD_DIR OUT_DIR [--per-task 3]
"""

from __future__ import annotations

import argparse
import io
import textwrap
from collections import defaultdict
from pathlib import Path

import pyarrow.parquet as pq
from PIL import Image, ImageDraw

from s2h_dataset.schema import message_text

TILE, WIDTH = 160, 130  # image tile side in pixels; text wrap width in characters


def render(row: dict) -> Image.Image:
    images = [Image.open(io.BytesIO(i["bytes"])).convert("RGB") for i in row["images"]]
    blocks = [
        ("PROMPT", message_text(row["prompt"])),
        ("CHOSEN", message_text(row["chosen"])),
        ("REJECTED", message_text(row["rejected"])),
    ]
    lines = [f"{row['task']}  (level {row['level']}, target {row['target']})"]
    for name, text in blocks:
        lines += textwrap.wrap(f"{name}: {text}", WIDTH) or [name + ":"]
    canvas = Image.new("RGB", (max(TILE * len(images), 8 * WIDTH), TILE + 16 * len(lines) + 20), "white")
    for i, image in enumerate(images):
        image.thumbnail((TILE - 8, TILE - 8))
        canvas.paste(image, (i * TILE + 4, 4))
        ImageDraw.Draw(canvas).text((i * TILE + 6, TILE - 14), f"Image {i + 1}", fill=(200, 0, 0))
    draw = ImageDraw.Draw(canvas)
    for k, line in enumerate(lines):
        draw.text((6, TILE + 8 + 16 * k), line, fill="black")
    return canvas


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("build")
    parser.add_argument("out")
    parser.add_argument("--per-task", type=int, default=3)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    seen: dict[str, int] = defaultdict(int)
    for shard in sorted(Path(args.build).glob("data/level*/train-*.parquet")):
        for row in pq.read_table(shard).to_pylist():
            if seen[row["task"]] < args.per_task:
                render(row).save(out / f"{row['task']}-{seen[row['task']]}.png")
                seen[row["task"]] += 1
    print(dict(seen))


if __name__ == "__main__":
    main()
