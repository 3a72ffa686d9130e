"""The embedded default source: 849 Fluent Emoji 3D renders with noun labels (MIT, see NOTICE.md)."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

from PIL import Image

from .base import Record

__all__ = ["EMOJI_DIR", "emoji_records"]

EMOJI_DIR = Path(__file__).resolve().parent.parent / "data" / "fluent-emoji-3d"

# Emoji subcategory -> the kind of thing it holds, as a plural noun for "both are <kind>" answers.
# Subcategories that are not kinds of object (events, time, places of mixed use) are left out, so
# `compare` never pairs a clock face with a stopwatch as "the same kind" on a technicality.
KINDS = {
    "animal-mammal": "mammals",
    "animal-bird": "birds",
    "animal-marine": "sea animals",
    "animal-bug": "bugs",
    "animal-reptile": "reptiles",
    "animal-amphibian": "amphibians",
    "plant-flower": "flowers",
    "plant-other": "plants",
    "food-fruit": "fruits",
    "food-vegetable": "vegetables",
    "food-prepared": "prepared foods",
    "food-asian": "Asian dishes",
    "food-sweet": "sweets",
    "drink": "drinks",
    "dishware": "pieces of dishware",
    "transport-ground": "land vehicles or road things",
    "transport-air": "aircraft or air transport",
    "transport-water": "boats or water transport",
    "clothing": "clothing items",
    "musical-instrument": "musical instruments",
    "sport": "sports items",
    "game": "game items",
    "tool": "tools",
    "household": "household items",
    "office": "office items",
    "writing": "writing tools",
    "computer": "computer items",
    "phone": "phones",
    "medical": "medical items",
    "science": "science items",
    "money": "money items",
    "mail": "mail items",
    "book-paper": "books or paper items",
    "lock": "locks or keys",
    "light & video": "light or video items",
    "sky & weather": "sky or weather things",
    "place-building": "buildings",
    "place-geographic": "landscapes",
    "award-medal": "awards or medals",
    "arts & crafts": "arts and crafts items",
    "sound": "sound items",
    "music": "music items",
}


def _load(path: Path) -> Image.Image:
    with Image.open(path) as image:
        image.load()
        return image


def emoji_records(root: Path = EMOJI_DIR) -> list[Record]:
    """One record per bundled image; the caption describes the render style the images share."""
    records = []
    with open(root / "labels.jsonl", encoding="utf-8") as f:
        for line in f:
            item = json.loads(line)
            label = item["label"]
            records.append(
                Record(
                    source_id=f"emoji:{item['codepoints'].lower()}",
                    label=label,
                    load=partial(_load, root / item["file"]),
                    kind=KINDS.get(item["subcategory"]),
                )
            )
    return records
