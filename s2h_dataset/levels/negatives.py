"""Hard negatives for caption tasks: the chosen caption's twin with one fact wrong, so only pixels decide.

A rejected caption that differs from the chosen in length, form or mention of the query can be told apart
without the images (the paper's "describe all images" rejection is twice as long and names every object).
These negatives are made from captions the captioner already wrote (reference, source or model captions
alike), after they are resolved:

- `fact`: the target's caption with one visual fact changed and checked false of the image, the edit drawn
  by the context's weights (`fact_edits.py`).
- `claim`: a distractor's own caption rewritten to claim the query ("A pink pig ..." -> "A pink frog ...");
  used only when a fact it states is false of the target (a caption that states nothing checkable, such as
  "A koala.", would become a true naming of the target: "A fire truck." for a fire engine).
- `sibling`: the true caption of another image of the query's label (not in the set) that states a fact
  false of the target: a text that is chosen in the rows where its own image is the target, so a source
  whose captions are fixed texts does not give its chosen answers away by how often they recur.
- `describe`: the paper's response describing all images without singling one out (an option).
- `other_image` (level 1): another image's caption, in the same phrasing (held in `describe`).

When the target's caption states nothing that can be edited and checked ("A koala."), the row stands on a
caption built from the target's pixels (`pixel`) and a fact edit of it; the row's meta says so.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from ..captioners.base import TextRequest
from .fact_edits import Edit, EditWeights, Truth, candidate_edits, case_like, false_claim

__all__ = [
    "EDIT_PROMPT",
    "RATIO",
    "EditRequest",
    "claim_edit",
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


@dataclass(frozen=True)
class EditRequest:
    """A rejected caption to make from resolved captions, tried kind by kind until one validates.

    base: the target's caption (the chosen text). donors: captions of distractors whose label takes the
    query's article form, with each distractor's noun phrase (`donor_phrases`), for `claim`. query: the
    query's noun phrase. describe: the whole-set description, for `describe`. kinds: in order of
    preference. seed: makes the edit a pure function of the row. colours: the target's plausible wrong
    colours (`colour.confusions` of its pixels), empty when its pixels were not measured. truth: what is
    known of the target, every edit and claim is checked against it. facts: the `FACT_KINDS` a `fact` edit
    may change here. objects: (noun phrase, label) of labels an `object` edit may name. weights: the
    context's `EditWeights`. pixel: a caption of the target built from its pixels, for a row whose caption
    states nothing to edit (None: none). siblings: captions of other images of the query's label, not in
    the set, for `sibling`.
    """

    base: TextRequest
    donors: tuple[TextRequest, ...]
    donor_phrases: tuple[str, ...]
    query: str
    describe: TextRequest
    kinds: tuple[str, ...]
    seed: str
    colours: tuple[str, ...] = ()
    truth: Truth | None = None
    facts: tuple[str, ...] = ("colour", "count", "size", "position")
    objects: tuple[tuple[str, str], ...] = ()
    weights: EditWeights | None = field(default=None, compare=False, hash=False)
    pixel: str | None = None
    siblings: tuple[TextRequest, ...] = ()

    def requests(self) -> tuple[TextRequest, ...]:
        return (self.base, *self.donors, *self.siblings, self.describe)


def claim_edit(donor: str, phrase: str, query: str) -> str | None:
    """The donor caption with its own noun phrase replaced by the query's, or None when it does not name it."""
    match = re.search(re.escape(phrase), donor, re.IGNORECASE)
    if not match:
        return None
    return donor[: match.start()] + case_like(query, match.group(0)) + donor[match.end() :]


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


def _pick_edit(request: EditRequest, text: str, rng: random.Random, may_skip: bool = False) -> Edit | None:
    """One checked edit of `text`, drawn by the context's weights; with `may_skip`, none as often as the
    weights say (the row is then made another way)."""
    edits = [
        e
        for e in candidate_edits(text, request.truth, request.colours, request.objects, request.query)
        if e.kind in request.facts and _ratio_ok(e.text, text)
    ]
    if not edits:
        return None
    balance = request.weights or EditWeights()
    weights = balance.weights(edits)
    if may_skip and rng.random() >= balance.rate(weights):
        return None
    return rng.choices(edits, weights=weights)[0] if sum(weights) > 0 else rng.choice(edits)


def _fact_info(edit: Edit) -> dict:
    return {"negative": "fact", "fact": edit.kind, "edit": edit.name}


def make_negative(
    request: EditRequest, texts: dict[TextRequest, str], model_edit: str | None = None
) -> tuple[str, str, dict]:
    """(chosen, rejected, what the rejected is, for the row's meta) from the resolved `texts`. The chosen
    is the target's caption, or its `pixel` caption when the caption states nothing that can be edited and
    checked. `model_edit` is a model captioner's answer to `model_edit_request`: used for `fact` when it
    validates and states a fact the image's facts prove false that the chosen does not (`false_claim`);
    otherwise a checked edit is made as for any caption (the meta says `edit: model` and the false fact)."""
    rng = random.Random(request.seed)
    chosen = texts[request.base]
    for n, kind in enumerate(request.kinds):
        if kind == "fact" and valid_edit(chosen, model_edit):
            wrong = false_claim(model_edit, request.truth, request.query)
            if wrong and wrong != false_claim(chosen, request.truth, request.query):
                return chosen, model_edit.strip(), {"negative": "fact", "edit": "model", "false": wrong}
        if kind == "fact" and (edit := _pick_edit(request, chosen, rng, n < len(request.kinds) - 1)):
            return chosen, edit.text, _fact_info(edit)
        if kind == "claim":
            for i in rng.sample(range(len(request.donors)), len(request.donors)):
                text = claim_edit(texts[request.donors[i]], request.donor_phrases[i], request.query)
                wrong = text and false_claim(text, request.truth, request.query)
                if wrong and text != chosen and _ratio_ok(text, chosen):
                    return chosen, text, {"negative": "claim", "donor": i, "false": wrong}
        if kind == "sibling":
            for i in rng.sample(range(len(request.siblings)), len(request.siblings)):
                text = texts[request.siblings[i]]
                wrong = false_claim(text, request.truth, request.query)
                if wrong and text != chosen and _ratio_ok(text, chosen):
                    return chosen, text, {"negative": "sibling", "sibling": i, "false": wrong}
        if kind in ("describe", "other_image"):  # other_image: `describe` holds another image's caption
            return chosen, texts[request.describe], {"negative": kind}
    if request.pixel and (edit := _pick_edit(request, request.pixel, rng)):
        # the caption states nothing to edit and check ("A koala."): the row stands on the pixels' caption
        return request.pixel, edit.text, {**_fact_info(edit), "chosen_from": "pixels"}
    return chosen, texts[request.describe], {"negative": "describe", "fallback": "nothing to edit"}
