"""One-fact edits of a caption, each checked against what is known of its image, and the weights that keep
their values balanced: the `fact` negatives (`negatives.py`) and the claims a rejected may make.

An edit changes one visual fact of one of `FACT_KINDS` (VaPR's kinds) and is kept only when it is provably
false of the image (`Truth`): a `colour` the object's pixels clearly are not (drawn from its plausible
confusions, `colour.confusions`), a `count` other than a tracked count, a `size` class or a `position` the
measured object is clearly not in, an `object` that is another, non-confusable label of the set. Which edit
a row gets is weighted (`EditWeights`) so that every value (a colour, a size, a position) is as often the
chosen's as the rejected's: a reader who learned "large" or "white" means chosen learns nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from ..captioners.colour import CLEARLY_NOT, N_CONFUSIONS, ColourVote, clearly_not, colour_vote, nearest_terms
from ..captioners.facts import LEFT, SIZE_RANGES, Facts, thumbnail
from ..labels import COLOUR_NAMES, conflicts

__all__ = [
    "FACT_KINDS",
    "POSITIONS",
    "Edit",
    "EditWeights",
    "Truth",
    "candidate_edits",
    "case_like",
    "false_claim",
    "fine_vote",
    "is_false",
]

FACT_KINDS = ("colour", "count", "size", "position", "object")
SIZES = tuple(SIZE_RANGES)
# every position `facts._position` names; corners first, so "at the top left" is never read as "at the top"
POSITIONS = (
    "at the top left",
    "at the top right",
    "at the bottom left",
    "at the bottom right",
    "in the centre",
    "on the left",
    "on the right",
    "at the top",
    "at the bottom",
)
MARGIN = 0.08  # a size or position edit is false by at least this much of the frame (no borderline claims)
COLOUR_MARGIN = 0.5  # a colour edit names a colour covering at most half the share `clearly_not` allows
_FACTS = {
    "colour": re.compile(r"\b(" + "|".join(COLOUR_NAMES) + r")\b(?! background)", re.IGNORECASE),
    "size": re.compile(r"\b(" + "|".join(SIZES) + r")\b", re.IGNORECASE),
    "position": re.compile("(" + "|".join(POSITIONS) + ")", re.IGNORECASE),
}


@dataclass(frozen=True)
class Truth:
    """What is known of an image, to check an edit against: its measured facts (colour vote, size and
    position of an object on a transparent render), its tracked counts, its label."""

    facts: Facts | None = None
    counts: tuple[tuple[str, int], ...] = ()
    label: str = ""
    fine: ColourVote | None = None  # the object's colour vote at up to `FINE_SIDE` pixels (small parts count)


@dataclass(frozen=True)
class Edit:
    kind: str
    old: str
    new: str
    text: str
    unit: str = ""  # for a count: what is counted ("red circle")

    @property
    def name(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.kind}:{self.old}{unit}>{self.new}{unit}"


def _band(value: float, low: float, high: float) -> bool:
    """`value` is clearly outside [low, high): by at least `MARGIN`."""
    return value < low - MARGIN or value >= high + MARGIN


def _position_false(position: str, centre: tuple[float, float]) -> bool:
    """A named position is clearly not where the object's centre is (off by `MARGIN`). Only what the words
    name is tested: "on the left" says nothing of the row (an object at the top left is on the left), "at
    the top right" names both, "in the centre" means the middle band of both."""
    words = position.split()
    cols = {"left": (0.0, LEFT), "right": (1 - LEFT, 1.01), "centre": (LEFT, 1 - LEFT)}
    rows = {"top": (0.0, LEFT), "bottom": (1 - LEFT, 1.01), "centre": (LEFT, 1 - LEFT)}
    col = next((w for w in words if w in ("left", "right", "centre")), None)
    row = next((w for w in words if w in ("top", "bottom", "centre")), None)
    x, y = centre
    return (col is not None and _band(x, *cols[col])) or (row is not None and _band(y, *rows[row]))


def is_false(kind: str, new: str, truth: Truth, old: str = "") -> bool:
    """Whether stating `new` (a colour, size, position, count "unit=n" or label) is provably false of the
    image whose known facts are `truth`. Unknown facts prove nothing: False."""
    facts = truth.facts
    if kind == "colour":
        vote = facts.vote if facts is not None else None
        fine = truth.fine is None or clearly_not(truth.fine, new)
        return vote is not None and fine and vote.share(new) <= CLEARLY_NOT * COLOUR_MARGIN
    if kind == "size":
        return facts is not None and facts.share is not None and _band(facts.share, *SIZE_RANGES[new])
    if kind == "position":
        return facts is not None and facts.centre is not None and _position_false(new, facts.centre)
    if kind == "count":
        unit, _, n = new.partition("=")
        return dict(truth.counts).get(unit) not in (None, int(n)) if n.isdigit() else False
    if kind == "object":
        return bool(truth.label) and not conflicts(new, truth.label)
    return False


FINE_SIDE = 256


def fine_vote(image) -> ColourVote | None:
    """The colour vote of an image's object (its opaque pixels; a photo: all) at up to `FINE_SIDE` pixels
    a side: the facts' thumbnail averages a small red lamp into its black housing, this does not."""
    pixels, keep, _, _ = thumbnail(image, FINE_SIDE, photo_mode="RGBA")
    return colour_vote(pixels[keep]) if keep.any() else None


def case_like(word: str, model: str) -> str:
    return word[:1].upper() + word[1:] if model[:1].isupper() else word


def _with_article(before: str, word: str) -> str:
    """`before` + `word`, with an article that ends `before` agreeing with the word ("a" / "an")."""
    from ..labels import indefinite

    match = re.search(r"\b(an?)\s+$", before, re.IGNORECASE)
    if not match:
        return before + word
    article = indefinite(word).split()[0]
    article = case_like(article, match.group(1))
    return before[: match.start(1)] + article + before[match.end(1) :] + word


def _count_caption(counts: tuple[tuple[str, int], ...]) -> str:
    from ..captioners.reference import scene_caption

    return scene_caption(counts)


def candidate_edits(
    text: str,
    truth: Truth | None,
    colours: tuple[str, ...] = (),
    objects: tuple[tuple[str, str], ...] = (),
    phrase: str = "",
) -> list[Edit]:
    """Every one-fact edit of `text` that is provably false of the image (`truth`): colours from
    `colours` (the object's plausible confusions), sizes and positions the measured object is clearly not,
    a tracked count changed (when `text` is the scene caption of those counts), the object `phrase` swapped
    for another (`objects`: (noun phrase, label) of non-confusable labels). Without `truth` only colours
    are edited (to `colours`, else the terms nearest the stated one), unchecked."""
    edits: list[Edit] = []
    # a fact word inside the object's own name ("green apple", "large cloud") is the name, not a fact
    named = named_spans(text, phrase)
    for kind in ("colour", "size", "position"):
        matches = [m for m in _FACTS[kind].finditer(text) if not any(a <= m.start() < b for a, b in named)]
        stated = {m.group(0).lower() for m in matches}
        for match in matches:
            old = match.group(0).lower()
            if kind == "colour":
                options = colours or nearest_terms(old)[:N_CONFUSIONS]
            else:
                options = SIZES if kind == "size" else POSITIONS
            for new in options:
                if new in stated or (truth is not None and not is_false(kind, new, truth)):
                    continue
                if truth is None and kind != "colour":
                    continue
                edited = (
                    _with_article(text[: match.start()], case_like(new, match.group(0))) + text[match.end() :]
                )
                edits.append(Edit(kind, old, new, edited))
    if truth is not None and truth.counts and text == _count_caption(truth.counts):
        for i, (unit, n) in enumerate(truth.counts):
            if unit == truth.label:  # a scene's queried kind: its count is what the prompt's wording implies
                continue
            for m in range(1, 6):
                if m != n and is_false("count", f"{unit}={m}", truth):
                    counts = truth.counts[:i] + ((unit, m),) + truth.counts[i + 1 :]
                    edits.append(Edit("count", str(n), str(m), _count_caption(counts), unit))
    if truth is not None and phrase and phrase.lower() in text.lower():
        at = text.lower().index(phrase.lower())
        for other, label in objects:
            if is_false("object", label, truth):
                edited = text[:at] + case_like(other, text[at:]) + text[at + len(phrase) :]
                edits.append(Edit("object", truth.label, label, edited))
    return edits


@dataclass
class EditWeights:
    """Weights that make each fact value as often the chosen's as the rejected's, per edit kind.

    An edit (kind, old -> new) of a row's candidates weighs `out[kind, old] * into[kind, new] / n_kind`
    (n_kind: the row's candidates of that kind, so every kind starts with the same mass); a row takes an
    edit with probability (its candidates' total weight) / `scale`, capped at 1, else it is made another way
    (a claim). `fit` sets `out` and `into` by iterative proportional fitting on the candidate edits of a
    pool's images, so that for every value the expected number of edits away from it (it is in the chosen)
    equals the number of edits to it (it is in the rejected): most bundled objects are large and centred,
    and without this "large" and "in the centre" would mean chosen to a text-only reader."""

    out: dict[tuple[str, str], float] = field(default_factory=dict)
    into: dict[tuple[str, str], float] = field(default_factory=dict)
    scale: float = 0.0  # 0: every row takes an edit

    def weights(self, edits: list[Edit]) -> list[float]:
        per_kind: dict[str, int] = defaultdict(int)
        for e in edits:
            per_kind[e.kind] += 1
        return [
            self.out.get((e.kind, e.old), 1.0) * self.into.get((e.kind, e.new), 1.0) / per_kind[e.kind]
            for e in edits
        ]

    def rate(self, weights: list[float]) -> float:
        """The probability that a row with these candidate weights takes an edit."""
        return min(1.0, sum(weights) / self.scale) if self.scale > 0 else 1.0

    @classmethod
    def fit(cls, pools: list[list[Edit]], rounds: int = 100, quantile: float = 0.5) -> EditWeights:
        import numpy as np

        result = cls()
        pools = [p for p in pools if p]
        for _ in range(rounds):
            weights = [result.weights(edits) for edits in pools]
            result.scale = float(np.quantile([sum(w) for w in weights], quantile)) if weights else 0.0
            away: dict[tuple[str, str], float] = defaultdict(float)
            to: dict[tuple[str, str], float] = defaultdict(float)
            for edits, w in zip(pools, weights):
                rate, total = result.rate(w), sum(w) or 1.0
                for e, x in zip(edits, w):
                    away[e.kind, e.old] += rate * x / total
                    to[e.kind, e.new] += rate * x / total
            for key in set(away) | set(to):
                a, t = away.get(key, 0.0) + 1e-2, to.get(key, 0.0) + 1e-2
                result.out[key] = result.out.get(key, 1.0) * (t / a) ** 0.5
                result.into[key] = result.into.get(key, 1.0) * (a / t) ** 0.5
        return result


def named_spans(text: str, phrase: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(re.escape(phrase), text, re.IGNORECASE)] if phrase else []


def false_claim(text: str, truth: Truth | None, phrase: str = "") -> str | None:
    """The first fact `text` states that is provably false of the image (`kind:value`), or None: a claim
    naming the query is a usable rejected only when something it says is wrong of the target. Words of
    the object's name `phrase` ("white cane") are its name, not facts."""
    if truth is None:
        return None
    named = named_spans(text, phrase)
    for kind in ("colour", "size", "position"):
        for match in _FACTS[kind].finditer(text):
            if any(a <= match.start() < b for a, b in named):
                continue
            if is_false(kind, match.group(0).lower(), truth):
                return f"{kind}:{match.group(0).lower()}"
    return None
