"""Image sources, chosen with `--source SPEC` (repeatable).

| spec | what it gives |
|---|---|
| `emoji` | the 849 bundled Fluent Emoji 3D renders with noun labels (default) |
| `arithmetic` | procedurally drawn shapes with tracked counts (default; feeds the `arithmetic` task) |
| `imagefolder:PATH` | `PATH/<label>/<file>`, optional `PATH/captions.jsonl` |
| `hub:DATASET_ID[:CONFIG][@SPLIT]` | a `datasets` dataset with an image and a class-label column |
| `llava:JSON_PATH:IMAGE_ROOT` | single-image VQA samples in the LLaVA-665k format (level-1 `vqa_gold`) |
| `kinship:PATH` | faces with family relations, FIW or KinFaceW layout (level-2 `kinship`) |
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .arithmetic import arithmetic_records
from .base import Record, SourceError
from .emoji import emoji_records
from .hub import hub_records
from .imagefolder import imagefolder_records
from .kinship import RELATIONS, kinship_records
from .llava import llava_records

__all__ = ["DEFAULT_SOURCES", "RELATIONS", "Record", "SourceError", "Sources", "load_sources"]

DEFAULT_SOURCES = ("emoji", "arithmetic")


@dataclass
class Sources:
    """Records by use: labelled objects (L1, compare, L3), counted shapes (arithmetic), VQA samples
    (vqa_gold), faces (kinship), and the relations between people (`(a, b) -> what a is to b`)."""

    objects: list[Record] = field(default_factory=list)
    shapes: list[Record] = field(default_factory=list)
    qa: list[Record] = field(default_factory=list)
    faces: list[Record] = field(default_factory=list)
    relations: dict[tuple[str, str], str] = field(default_factory=dict)

    KINDS = ("objects", "shapes", "qa", "faces")

    def all_records(self) -> list[Record]:
        return [r for kind in self.KINDS for r in getattr(self, kind)]


def load_sources(
    specs: list[str],
    seed: int,
    arithmetic_pool: int = 2000,
    image_column: str = "image",
    label_column: str = "label",
    caption_column: str | None = None,
) -> Sources:
    sources = Sources()
    for spec in specs:
        kind, _, arg = spec.partition(":")
        if kind == "emoji" and not arg:
            sources.objects += emoji_records()
        elif kind == "arithmetic" and not arg:
            sources.shapes += arithmetic_records(seed, arithmetic_pool)
        elif kind == "imagefolder" and arg:
            sources.objects += imagefolder_records(arg)
        elif kind == "hub" and arg:
            sources.objects += hub_records(arg, image_column, label_column, caption_column)
        elif kind == "llava" and arg:
            sources.qa += llava_records(arg)
        elif kind == "kinship" and arg:
            faces, relations = kinship_records(arg)
            sources.faces += faces
            sources.relations.update(relations)
        else:
            raise SourceError(
                f"unknown source `{spec}`; use emoji, arithmetic, imagefolder:PATH, hub:DATASET_ID[:CONFIG][@SPLIT], "
                "llava:JSON_PATH:IMAGE_ROOT or kinship:PATH"
            )
    seen: set[str] = set()
    for record in sources.all_records():
        if record.source_id in seen:
            raise SourceError(f"source image `{record.source_id}` is listed twice; pass each --source once")
        seen.add(record.source_id)
    return sources
