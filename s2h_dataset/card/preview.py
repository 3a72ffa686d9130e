"""A PNG grid of example rows for the dataset card: the first rows of each level's first train shard.

Each row shows its images in prompt order (the target outlined in green, each numbered as the prompt
names it), then the prompt, the chosen and the rejected answer, so a reader sees what the data is before
loading it. Rendered with Pillow only; the same shards give the same bytes.
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import pyarrow.parquet as pq
from PIL import Image, ImageDraw, ImageFont

from ..layout import shard_glob
from ..schema import message_text

__all__ = ["example_row", "write_preview"]

_THUMB, _GAP, _WIDTH, _WRAP = 120, 8, 1000, 118
_GREEN, _GREY, _INK = (22, 163, 74), (209, 213, 219), (17, 24, 39)
_LABELS = (("Prompt", (55, 65, 81)), ("Chosen", (21, 128, 61)), ("Rejected", (185, 28, 28)))


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def _rows(repo: Path, per_level: int) -> list[dict]:
    rows = []
    for level in (1, 2, 3):
        shards = sorted(repo.glob(shard_glob(level, "train")))
        if shards:
            # the first rows only: reading the whole shard would hold all its images (512 MiB on photos)
            batch = next(pq.ParquetFile(shards[0]).iter_batches(batch_size=per_level), None)
            rows += batch.to_pylist() if batch is not None else []
    return rows


def _draw_row(row: dict, font, bold) -> Image.Image:
    images = [Image.open(io.BytesIO(im["bytes"])).convert("RGB") for im in row["images"]]
    texts = [
        (label, colour, message_text(row[key]))
        for (label, colour), key in zip(_LABELS, ("prompt", "chosen", "rejected"))
    ]
    lines = [(label, colour, textwrap.wrap(text, _WRAP)[:4] or [""]) for label, colour, text in texts]
    height = 28 + _THUMB + 24 + sum(18 * len(wrapped) + 4 for _, _, wrapped in lines) + 12
    canvas = Image.new("RGB", (_WIDTH, height), "white")
    draw = ImageDraw.Draw(canvas)
    draw.text((10, 6), f"level {row['level']} · {row['task']}", fill=_INK, font=bold)
    for i, image in enumerate(images):
        image.thumbnail((_THUMB - 8, _THUMB - 8))
        x, y = 10 + i * (_THUMB + _GAP), 28
        target = i == row["target"]
        draw.rectangle(
            [x, y, x + _THUMB - 1, y + _THUMB - 1],
            outline=_GREEN if target else _GREY,
            width=4 if target else 1,
        )
        canvas.paste(image, (x + (_THUMB - image.width) // 2, y + (_THUMB - image.height) // 2))
        draw.text(
            (x + 4, y + _THUMB + 3), f"Image {i + 1}" + (" (target)" if target else ""), fill=_INK, font=font
        )
    y = 28 + _THUMB + 24
    for label, colour, wrapped in lines:
        draw.text((10, y), f"{label}:", fill=colour, font=bold)
        for line in wrapped:
            draw.text((90, y), line, fill=_INK, font=font)
            y += 18
        y += 4
    draw.line([0, height - 1, _WIDTH, height - 1], fill=_GREY)
    return canvas


def write_preview(repo: Path, path: Path, per_level: int = 2) -> int:
    """Write the grid of `per_level` rows per level to `path`; returns the number of rows drawn."""
    rows = _rows(Path(repo), per_level)
    if not rows:
        return 0
    font, bold = _font(13), _font(14)
    parts = [_draw_row(row, font, bold) for row in rows]
    grid = Image.new("RGB", (_WIDTH, sum(p.height for p in parts)), "white")
    y = 0
    for part in parts:
        grid.paste(part, (0, y))
        y += part.height
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    grid.save(buffer, format="PNG", optimize=True)
    path.write_bytes(buffer.getvalue())
    return len(rows)


def example_row(repo: Path) -> str:
    """The first train row (level 3 when built) as JSON, as `datasets` returns it, images described by
    format and size instead of their bytes, so a reader sees every column's shape."""
    import json

    rows = _rows(repo, 1)
    if not rows:
        return "{}"
    row = dict(rows[-1])
    shown = []
    for image in row["images"]:
        with Image.open(io.BytesIO(image["bytes"])) as opened:
            shown.append(f"<PIL.Image {opened.format} {opened.width}x{opened.height}>")
    row["images"] = shown
    for key in ("prompt", "chosen", "rejected"):  # without the `text: null` Arrow gives image parts
        row[key] = [
            {**m, "content": [{k: v for k, v in part.items() if v is not None} for part in m["content"]]}
            for m in row[key]
        ]
    if row.get("similarity") != row.get("similarity"):  # NaN, which JSON cannot hold
        row["similarity"] = None
    # one column per line, each value compact: valid JSON that reads like a table
    fields = (f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}" for key, value in row.items())
    return "{\n" + ",\n".join(fields) + "\n}"
