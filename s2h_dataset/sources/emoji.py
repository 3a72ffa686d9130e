"""The embedded default source: 849 Fluent Emoji 3D renders with noun labels (MIT, see NOTICE.md)."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

from PIL import Image

from .base import Record

__all__ = ["EMOJI_DIR", "emoji_records"]

EMOJI_DIR = Path(__file__).resolve().parent.parent / "data" / "fluent-emoji-3d"

# Emoji subcategory -> the kind of thing it holds, as a plural noun for "both show <kind>" answers. Only
# subcategories whose members a person would call one kind are kinds; mixed ones (household, office,
# tools, places, weather, ...) are left out, so `compare` never calls a chair and a toothbrush "the same
# kind". `NOT_OF_KIND` removes the odd members of a kept subcategory (an ice cube is not a drink).
KINDS = {
    "animal-mammal": "mammals",
    "animal-bird": "birds",
    "animal-marine": "sea animals",
    "animal-bug": "insects and other small creatures",
    "animal-reptile": "reptiles",
    "plant-flower": "flowers",
    "food-fruit": "fruits",
    "food-vegetable": "vegetables",
    "food-sweet": "sweets",
    "drink": "drinks",
    "clothing": "clothes or accessories",
    "musical-instrument": "musical instruments",
    "transport-air": "aircraft",
    "transport-water": "boats",
}
NOT_OF_KIND = frozenset(
    [
        "ice cube",
        "baby bottle",
        "seat",
        "departing airplane",
        "arriving airplane",
        "anchor",
        "ring buoy",
        "paw prints",
        "pig nose",
        "microbe",
        "wilted flower",
        "chestnut",
        "peanuts",
    ]
)
# transport-ground mixes vehicles with roads and signs: only these are vehicles
VEHICLES = frozenset(
    [
        "bus",
        "oncoming bus",
        "trolleybus",
        "minibus",
        "ambulance",
        "fire engine",
        "police car",
        "oncoming police car",
        "taxi",
        "oncoming taxi",
        "red car",
        "oncoming car",
        "sport utility vehicle",
        "delivery truck",
        "articulated lorry",
        "tractor",
        "bicycle",
        "kick scooter",
        "motor scooter",
        "auto rickshaw",
        "pickup truck",
        "racing car",
        "racing motorcycle",
        "train",
        "tram car",
        "tram",
        "metro",
        "light rail",
        "monorail",
        "steam locomotive",
        "railway car",
        "high-speed train",
        "bullet train",
    ]
)


def kind_of(label: str, subcategory: str) -> str | None:
    if label in VEHICLES:
        return "land vehicles"
    return None if label in NOT_OF_KIND else KINDS.get(subcategory)


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
                    file=root / item["file"],
                    kind=kind_of(label, item["subcategory"]),
                    form=item["form"],
                    article=item.get("article"),
                    subcategory=item["subcategory"],
                    category=item["category"],
                )
            )
    return records
