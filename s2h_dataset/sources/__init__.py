"""Image sources, chosen with `--source SPEC` (repeatable).

| spec | what it gives |
|---|---|
| `emoji` | the 849 bundled Fluent Emoji 3D renders with noun labels (default) |
| `arithmetic` | procedurally drawn shapes with tracked counts (default; feeds the `arithmetic` task) |
| `imagefolder:PATH` | `PATH/<label>/<file>`, optional `PATH/captions.jsonl` |
| `hub:DATASET_ID[:CONFIG][@SPLIT]` | a `datasets` dataset with an image and a class-label column |
"""

from __future__ import annotations

from dataclasses import dataclass

from .arithmetic import arithmetic_records
from .base import Record, SourceError
from .emoji import emoji_records
from .hub import hub_records
from .imagefolder import imagefolder_records

__all__ = ["DEFAULT_SOURCES", "Record", "SourceError", "Sources", "load_sources"]

DEFAULT_SOURCES = ("emoji", "arithmetic")


@dataclass
class Sources:
    """Records split by use: labelled objects (L1, compare, L3) and counted shapes (arithmetic)."""

    objects: list[Record]
    shapes: list[Record]


def load_sources(
    specs: list[str],
    seed: int,
    arithmetic_pool: int = 2000,
    image_column: str = "image",
    label_column: str = "label",
    caption_column: str | None = None,
) -> Sources:
    objects: list[Record] = []
    shapes: list[Record] = []
    for spec in specs:
        kind, _, arg = spec.partition(":")
        if kind == "emoji" and not arg:
            objects += emoji_records()
        elif kind == "arithmetic" and not arg:
            shapes += arithmetic_records(seed, arithmetic_pool)
        elif kind == "imagefolder" and arg:
            objects += imagefolder_records(arg)
        elif kind == "hub" and arg:
            objects += hub_records(arg, image_column, label_column, caption_column)
        else:
            raise SourceError(
                f"unknown source `{spec}`; use emoji, arithmetic, imagefolder:PATH or hub:DATASET_ID[:CONFIG][@SPLIT]"
            )
    seen: set[str] = set()
    for record in objects + shapes:
        if record.source_id in seen:
            raise SourceError(f"source image `{record.source_id}` is listed twice; pass each --source once")
        seen.add(record.source_id)
    return Sources(objects=objects, shapes=shapes)
