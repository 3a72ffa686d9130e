"""Hard negatives for caption tasks: the chosen caption's twin with one fact wrong, so only pixels decide.

A rejected caption that differs from the chosen in length, form or mention of the query can be told apart
without the images (the paper's "describe all images" rejection is twice as long and names every object).
These negatives are made from captions the captioner already wrote (reference, source or model captions
alike), after they are resolved:

- `fact`: the target's caption with one visual fact changed: a colour (drawn from the object's plausible
  confusions: the colours perceptually nearest its own that its pixels clearly are not, `colour.confusions`;
  without measured pixels, the colours nearest the stated one), a count, a size or a position.
- `claim`: a distractor's own caption rewritten to claim the query ("A pink pig ..." -> "A pink frog ...")
  for a distractor whose label takes the same article form; it describes a real image of the set.
- `describe`: the paper's response describing all images without singling one out (an option).

Each edit is validated: it differs from the chosen text, its length is within `RATIO` of it, and the
changed fact is present. An `EditRequest` that cannot be met falls back through its kinds in order.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from ..captioners.base import TextRequest
from ..captioners.colour import N_CONFUSIONS, nearest_terms
from ..labels import COLOUR_NAMES

__all__ = [
    "EDIT_PROMPT",
    "RATIO",
    "EditRequest",
    "claim_edit",
    "fact_edit",
    "make_negative",
    "model_edit_request",
    "valid_edit",
]

RATIO = (0.9, 1.1)  # rejected / chosen length in characters
MAX_CHANGED_WORDS = 4  # a model's edit may change at most this many words (one fact, not a rewrite)
# VaPR-style request to a model captioner: one targeted factual error, same length and style
EDIT_PROMPT = (
    "Here is a caption of this image:\n{caption}\n\nRewrite the caption with exactly one factual error about "
    "the image (change one colour, count, size, position or attribute), keeping its length, wording and style "
    "otherwise identical. Reply with the rewritten caption only."
)
SIZES = ("small", "medium-sized", "large")
POSITIONS = ("in the centre", "on the left", "on the right", "at the top", "at the bottom")
NUMBERS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
_FACTS = {
    "colour": re.compile(r"\b(" + "|".join(COLOUR_NAMES) + r")\b", re.IGNORECASE),
    "count": re.compile(r"\b(" + "|".join(NUMBERS) + r")\b", re.IGNORECASE),
    "size": re.compile(r"\b(" + "|".join(SIZES) + r")\b", re.IGNORECASE),
    "position": re.compile("(" + "|".join(POSITIONS) + ")", re.IGNORECASE),
}


@dataclass(frozen=True)
class EditRequest:
    """A rejected caption to make from resolved captions, tried kind by kind until one validates.

    base: the target's caption (the chosen text). donors: captions of distractors whose label takes the
    query's article form, with each distractor's noun phrase (`donor_phrases`), for `claim`. query: the
    query's noun phrase. describe: the whole-set description, for `describe`. kinds: in order of
    preference. seed: makes the edit a pure function of the row. colours: the target's plausible wrong
    colours (`colour.confusions` of its pixels), empty when its pixels were not measured.
    """

    base: TextRequest
    donors: tuple[TextRequest, ...]
    donor_phrases: tuple[str, ...]
    query: str
    describe: TextRequest
    kinds: tuple[str, ...]
    seed: str
    colours: tuple[str, ...] = ()

    def requests(self) -> tuple[TextRequest, ...]:
        return (self.base, *self.donors, self.describe)


def _case_like(word: str, model: str) -> str:
    return word[:1].upper() + word[1:] if model[:1].isupper() else word


def _wrong_colour(old: str, present: set[str], colours: tuple[str, ...], rng: random.Random) -> str | None:
    """A colour to put in place of `old`: one of the object's plausible confusions `colours`, or without
    them the colours nearest `old`; never one the text already states."""
    options = [c for c in colours if c not in present]
    if not colours:
        options = [c for c in nearest_terms(old) if c not in present][:N_CONFUSIONS]
    return rng.choice(options) if options else None


def fact_edit(text: str, rng: random.Random, colours: tuple[str, ...] = ()) -> tuple[str, str] | None:
    """(text with one fact changed, which fact) or None when the text states none we can change. `colours`:
    the object's plausible wrong colours (see `_wrong_colour`)."""
    for fact in ("colour", "count", "size", "position"):  # colours first: the least skewed facts
        # a background colour is the build's white, not a fact of the object
        matches = [m for m in _FACTS[fact].finditer(text) if not text[m.end() :].startswith(" background")]
        if not matches:
            continue
        match = rng.choice(matches)
        old = match.group(0).lower()
        present = {m.group(0).lower() for m in matches}
        if fact == "colour":
            new = _wrong_colour(old, present, colours, rng)
            if new is None:
                continue
        elif fact == "count":
            i = NUMBERS.index(old)
            new = (
                NUMBERS[i + 1] if i == 0 or (i + 1 < len(NUMBERS) and rng.random() < 0.5) else NUMBERS[i - 1]
            )
        else:
            values = SIZES if fact == "size" else POSITIONS
            new = rng.choice([v for v in values if v != old])
        return text[: match.start()] + _case_like(new, match.group(0)) + text[
            match.end() :
        ], f"{fact}:{old}>{new}"
    return None


def claim_edit(donor: str, phrase: str, query: str) -> str | None:
    """The donor caption with its own noun phrase replaced by the query's, or None when it does not name it."""
    match = re.search(re.escape(phrase), donor, re.IGNORECASE)
    if not match:
        return None
    return donor[: match.start()] + _case_like(query, match.group(0)) + donor[match.end() :]


def _ratio_ok(text: str, chosen: str) -> bool:
    return RATIO[0] <= len(text) / max(len(chosen), 1) <= RATIO[1]


def valid_edit(chosen: str, edited: str | None) -> bool:
    """A model's edit is usable when it differs in one to `MAX_CHANGED_WORDS` words (a fact, not a
    rewrite, not only punctuation) and keeps the length within `RATIO`."""
    import difflib

    if not edited or edited.strip() == chosen.strip() or not _ratio_ok(edited, chosen):
        return False
    a, b = re.findall(r"[\w'-]+", chosen.lower()), re.findall(r"[\w'-]+", edited.lower())
    changed = sum(
        max(i2 - i1, j2 - j1)
        for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b).get_opcodes()
        if op != "equal"
    )
    return 1 <= changed <= MAX_CHANGED_WORDS


def model_edit_request(request: EditRequest, chosen: str) -> TextRequest:
    """The VaPR-style edit a model captioner is asked for (cached like captions, keyed by its prompt)."""
    return TextRequest(
        "edit", request.base.source_ids, prompt=EDIT_PROMPT.format(caption=chosen), gold=chosen
    )


def make_negative(
    request: EditRequest, texts: dict[TextRequest, str], model_edit: str | None = None
) -> tuple[str, dict]:
    """The rejected text for `request` from the resolved `texts`, and what it is (for the row's meta).
    `model_edit` is a model captioner's answer to `model_edit_request`: used for `fact` when it validates."""
    rng = random.Random(request.seed)
    chosen = texts[request.base]
    tried: list[tuple[str, dict]] = []
    for kind in request.kinds:
        if kind == "fact" and valid_edit(chosen, model_edit):
            return model_edit.strip(), {"negative": "fact", "edit": "model"}
        if kind == "fact":
            edited = fact_edit(chosen, rng, request.colours)
            candidates = [(edited[0], {"negative": "fact", "edit": edited[1]})] if edited else []
        elif kind == "claim":
            order = rng.sample(range(len(request.donors)), len(request.donors))
            candidates = [
                (text, {"negative": "claim", "donor": i})
                for i in order
                if (text := claim_edit(texts[request.donors[i]], request.donor_phrases[i], request.query))
            ]
        else:
            candidates = [(texts[request.describe], {"negative": "describe"})]
        for text, info in candidates:
            if text != chosen and (kind == "describe" or _ratio_ok(text, chosen)):
                return text, info
            tried.append((text, info))
    usable = [(t, i) for t, i in tried if t != chosen]
    if usable:  # nothing validated: the closest length, flagged
        text, info = min(usable, key=lambda c: abs(len(c[0]) / max(len(chosen), 1) - 1))
        return text, {**info, "length_ratio_out_of_range": True}
    return texts[request.describe], {"negative": "describe", "fallback": True}
