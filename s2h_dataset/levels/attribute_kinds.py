"""What `attribute_search` may ask about a labelled image's kind: curated categories over the bundled emoji
keyboard's subcategories (`data/fluent-emoji-3d/labels.jsonl`), as keyword data.

A category says which images are one (`members`: whole subcategories and single labels, less `not_members`)
and which are in doubt (`doubtful` labels, `doubtful_subcategories`): an image in doubt (a carousel horse
for "an animal", a glass of milk for "food") is never a target and never a non-target, so no answer depends
on how a reader settles it. Everything else with a subcategory is clearly not one. Records without a
subcategory (another source) are never asked about.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..sources.emoji import VEHICLES

__all__ = ["CATEGORIES", "Category"]


@dataclass(frozen=True)
class Category:
    """One askable kind. phrase: how the question names it ("an animal", "food")."""

    phrase: str
    subcategories: frozenset[str] = frozenset()
    labels: frozenset[str] = frozenset()
    not_members: frozenset[str] = frozenset()
    doubtful: frozenset[str] = frozenset()
    doubtful_subcategories: frozenset[str] = frozenset()

    def is_member(self, record) -> bool:
        if record.subcategory is None or record.label in self.not_members:
            return False
        return record.subcategory in self.subcategories or record.label in self.labels

    def is_clearly_not(self, record) -> bool:
        return (
            record.subcategory is not None
            and not self.is_member(record)
            and record.label not in self.not_members
            and record.label not in self.doubtful
            and record.subcategory not in self.doubtful_subcategories
        )


_FOOD_SHOWN_AS_ANIMALS = ("crab", "lobster", "shrimp", "oyster", "squid", "octopus")

CATEGORIES = (
    Category(
        phrase="an animal",
        subcategories=frozenset(
            [
                "animal-mammal",
                "animal-bird",
                "animal-marine",
                "animal-bug",
                "animal-reptile",
                "animal-amphibian",
            ]
        ),
        # parts, traces and creatures of legend are not "an animal"
        not_members=frozenset(
            [
                "spider web",
                "paw prints",
                "pig nose",
                "feather",
                "wing",
                "microbe",
                "coral",
                "spiral shell",
                "dragon",
                "dragon face",
                "unicorn",
            ]
        ),
        # toys, figures and dishes shaped like or made of animals
        doubtful=frozenset(
            [
                "carousel horse",
                "teddy bear",
                "carp streamer",
                "piñata",
                "Japanese dolls",
                "nesting dolls",
                "fried shrimp",
                "fish cake with a swirl",
                "piece of sushi",
                "poultry leg",
                "meat on bone",
                "cut of meat",
                "strip of bacon",
                "nest with eggs",
                "empty nest",
                "honey pot",
                "mouse trap",
            ]
        ),
    ),
    Category(
        phrase="food",
        subcategories=frozenset(
            ["food-fruit", "food-vegetable", "food-prepared", "food-sweet", "food-asian"]
        ),
        not_members=frozenset(["salt shaker", "takeout box", "can of food"]),  # closed or not eaten
        doubtful=frozenset(
            [
                *_FOOD_SHOWN_AS_ANIMALS,
                "jack-o'-lantern",
                "nest with eggs",
                "herb sprig",
                "sheaf of rice",
                "mushroom",
                "moon viewing ceremony",
                "piñata",
                "tanabata tree",
                "bamboo decoration",
                "palm tree",
                "red envelope",
                "wrapped gift",
                "shopping bags",
                "shopping cart",
                "pill",
            ]
        ),
        doubtful_subcategories=frozenset(["drink", "dishware"]),  # a drink, a plate or jar that may hold food
    ),
    Category(
        phrase="a vehicle",
        labels=VEHICLES
        | frozenset(
            [
                "ship",
                "speedboat",
                "motor boat",
                "passenger ship",
                "canoe",
                "ferry",
                "sailboat",
                "helicopter",
                "small airplane",
                "departing airplane",
                "arriving airplane",
                "airplane",
                "rocket",
            ]
        ),
        # the rest of the transport subcategories (stations, signs, skateboards, cableways) is in doubt
        doubtful_subcategories=frozenset(["transport-ground", "transport-water", "transport-air"]),
        doubtful=frozenset(
            [
                "shopping cart",
                "sled",
                "skis",
                "ice skate",
                "roller coaster",
                "Ferris wheel",
                "carousel horse",
                "bridge at night",
                "cityscape",
                "city in fog",
                "city at sunset",
                "city at sunrise",
                "building under construction",
                "factory",
                "hospital",
                "fire extinguisher",
                "satellite antenna",
                "kite",
            ]
        ),
    ),
    Category(
        phrase="an item of clothing",
        labels=frozenset(
            [
                "graduation cap",
                "top hat",
                "woman's hat",
                "necktie",
                "T-shirt",
                "pair of jeans",
                "dress",
                "kimono",
                "bikini",
                "woman's blouse",
                "man's shoe",
                "running shoe",
                "high-heeled shoe",
                "woman's sandal",
                "woman's boot",
                "sari",
                "lab coat",
                "hiking boot",
                "flat shoe",
                "safety vest",
                "baseball cap",
                "scarf",
                "pair of gloves",
                "coat",
                "pair of socks",
                "pair of ballet shoes",
                "one-piece swimsuit",
                "pair of briefs",
                "pair of shorts",
                "flip-flop",
            ]
        ),
        # the rest of the clothing subcategory (bags, jewellery, glasses, helmets) and worn sports gear
        doubtful_subcategories=frozenset(["clothing"]),
        doubtful=frozenset(
            [
                "running shirt with a sash",
                "martial arts uniform",
                "boxing glove",
                "ice skate",
                "roller skate",
                "diving mask",
                "skis",
                "military medal",
                "sports medal",
                "first place medal",
                "second place medal",
                "third place medal",
                "reminder ribbon",
                "watch",
                "Japanese dolls",
                "nesting dolls",
                "snowman with snow",
                "snowman without snow",
                "Statue of Liberty",
                "service dog",
                "teddy bear",
            ]
        ),
    ),
)
