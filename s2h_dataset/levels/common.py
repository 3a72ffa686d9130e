"""What every task generator shares: the pools of one split, the captioner, and set sampling."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from ..errors import UserError
from ..labels import ORDINALS, conflicts
from ..schema import RowSpec
from ..sources import Record, Sources

__all__ = ["LevelContext", "PlanError", "image_ref", "yes_no_row"]

MAX_DRAWS = 2000  # rejection-sampling budget for one set before the pool is declared too small
TIER_DRAWS = 40  # draws from a hardness tier (same subcategory / category) before widening to the next
# --distractor-hardness: the tier each distractor is drawn from first, in order; later ones are random
HARDNESS = {
    "subcategory": ("subcategory", "category"),  # one from the target's subcategory, one from its category
    "category": ("category", "category"),
    "random": (),
}
SEARCH_NEGATIVES = ("fact", "claim", "describe")


class PlanError(UserError):
    """The sources cannot make the requested rows (too few labels, kinds or shapes)."""


def image_ref(position: int, style: int, capital: bool = False) -> str:
    """0-based position -> 'Image 3' (style 0) or 'the third image' (style 1)."""
    text = f"Image {position + 1}" if style == 0 else f"the {ORDINALS[position]} image"
    return text[:1].upper() + text[1:] if capital else text


@dataclass
class LevelContext:
    """The inputs of one (level, split): the split's record pools and the image count per row."""

    pool: Sources
    n_images: int
    split: str
    hardness: str = "subcategory"
    search_negatives: tuple[str, ...] = ("fact", "claim")
    _by_kind: dict[str, list[Record]] | None = field(default=None, repr=False)
    _by_class: dict[tuple[str, str], list[Record]] | None = field(default=None, repr=False)
    memo: dict = field(default_factory=dict, repr=False)  # per-context tables a task builds once

    @property
    def objects(self) -> list[Record]:
        return self.pool.objects

    @property
    def shapes(self) -> list[Record]:
        return self.pool.shapes

    def sample_groups(
        self,
        rng: random.Random,
        records: list[Record],
        chosen: list[Record],
        n: int,
        key=lambda record: record.split_key,
    ) -> list[Record]:
        """Add records from `records` until there are `n`, no two sharing a `key` (by default the group:
        image file or family)."""
        chosen = list(chosen)
        for _ in range(MAX_DRAWS if records else 0):
            if len(chosen) == n:
                return chosen
            candidate = records[rng.randrange(len(records))]
            if all(key(candidate) != key(c) for c in chosen):
                chosen.append(candidate)
        if len(chosen) == n:
            return chosen
        raise PlanError(
            f"the {self.split} split has too few distinct images or families for {n} images per row"
        )

    def by_kind(self) -> dict[str, list[Record]]:
        """Records grouped by `kind_or_label`, built once per context."""
        if self._by_kind is None:
            self._by_kind = {}
            for record in self.objects:
                self._by_kind.setdefault(record.kind_or_label, []).append(record)
        return self._by_kind

    def pick(self, rng: random.Random) -> Record:
        if not self.objects:
            raise PlanError(f"no labelled images in the {self.split} split; add a labelled --source")
        return self.objects[rng.randrange(len(self.objects))]

    def by_class(self, level: str, name: str | None) -> list[Record]:
        """Records of one subcategory or category (`level`), built once per context."""
        if self._by_class is None:
            self._by_class = {}
            for record in self.objects:
                for lv in ("subcategory", "category"):
                    if getattr(record, lv):
                        self._by_class.setdefault((lv, getattr(record, lv)), []).append(record)
        return self._by_class.get((level, name), []) if name else []

    def fill(self, rng: random.Random, chosen: list[Record], n: int) -> list[Record]:
        """Add records until there are `n`, each conflicting with none already chosen (no synonyms,
        hypernyms or hyponyms). Distractors are drawn by hardness: by default the first from the target's
        subcategory and the second from its category when the pool has one that the guard allows."""
        chosen = list(chosen)
        target = chosen[0] if chosen else None

        def fits(candidate: Record) -> bool:
            return all(
                candidate.source_id != c.source_id and not conflicts(candidate.label, c.label) for c in chosen
            )

        for tier in HARDNESS[self.hardness][: max(n - len(chosen), 0)]:
            pool = self.by_class(tier, getattr(target, tier, None)) if target else []
            for _ in range(TIER_DRAWS if pool else 0):
                candidate = pool[rng.randrange(len(pool))]
                if fits(candidate):
                    chosen.append(candidate)
                    break
        for _ in range(MAX_DRAWS):
            if len(chosen) == n:
                return chosen
            candidate = self.pick(rng)
            if fits(candidate):
                chosen.append(candidate)
        if len(chosen) == n:
            return chosen
        raise PlanError(
            f"the {self.split} split has too few distinct labels for {n} images per row "
            f"({len(self.objects)} images); lower --distractors or add images with other labels"
        )

    def place_pair(self, rng: random.Random, first: Record, second: Record, others: list[Record]):
        """Shuffle `others` and put `first` and `second` at two random positions; return (images, p1, p2)."""
        p1, p2 = rng.sample(range(self.n_images), 2)
        images = list(others)
        rng.shuffle(images)
        for position, record in sorted([(p1, first), (p2, second)]):
            images.insert(position, record)
        return images, p1, p2

    def place(self, rng: random.Random, target: Record, position: int, others: list[Record]) -> list[Record]:
        """Shuffle `others` and insert `target` at `position`."""
        others = list(others)
        rng.shuffle(others)
        return others[:position] + [target] + others[position:]


def yes_no_row(task, *, images, named, prompts, answers, words, yes, rng, **meta) -> RowSpec:
    """A yes/no row over the two `named` image positions; rejected is the flipped verdict, in the same form.
    `answers` are the (yes, no) templates, `prompts` the question templates, both filled from `words`."""
    yes_text, no_text = (a.format(**words) for a in answers)
    return RowSpec(
        level=2,
        task=task,
        source_ids=[r.source_id for r in images],
        prompt=rng.choice(prompts).format(**words),
        chosen=yes_text if yes else no_text,
        rejected=no_text if yes else yes_text,
        stratum="yes" if yes else "no",
        meta={"named": list(named), "answer": "yes" if yes else "no", **meta},
    )
