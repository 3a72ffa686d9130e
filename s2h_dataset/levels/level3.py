"""Level 3, global visual search: no image is named; the model must find the one holding the label.

`caption_search`: chosen is the target's caption; rejected, by default, is a near miss matched in form,
length and mention of the query (`negatives.py`: the target's caption with one fact wrong, or a
distractor's caption claiming the query); the paper's "caption the images" response is one option
(`--search-negatives`). `which_image`: chosen names the target's position; rejected names another position
with the same wording. Distractors are never a synonym, hypernym or hyponym of the query.
"""

from __future__ import annotations

import random

from ..captioners.base import TextRequest
from ..captioners.colour import confusions
from ..captioners.facts import record_facts
from ..schema import RowSpec
from .common import LevelContext, image_ref
from .negatives import EditRequest

__all__ = ["caption_search", "which_image"]

SEARCH_PROMPTS = (
    "Caption the image containing {a_label}.",
    "Find the image with {a_label} and describe it.",
    "Describe the picture that shows {a_label}.",
)
WHICH_PROMPTS = (
    "Which image contains {a_label}?",
    "Which of the images shows {a_label}?",
    "In which image can you find {a_label}?",
)
WHICH_ANSWERS = ("{Ref} contains {the_label}.", "{The_label} {be} in {ref}.")


def _search_set(ctx: LevelContext, rng: random.Random, position: int):
    target = ctx.pick(rng)
    return target, ctx.place(rng, target, position, ctx.fill(rng, [target], ctx.n_images)[1:])


def _wrong_colours(record) -> tuple[str, ...]:
    """The colours a `fact` negative may give the target: its plausible confusions (empty: unmeasured)."""
    facts = record_facts(record)
    return confusions(facts.vote, facts.colours) if facts is not None and facts.vote is not None else ()


def caption_search(ctx: LevelContext, rng: random.Random, position: int) -> RowSpec:
    target, images = _search_set(ctx, rng, position)
    ids = tuple(r.source_id for r in images)
    describe = TextRequest("describe", ids)
    mix = ctx.search_negatives
    kind = mix[rng.randrange(len(mix))]
    donors = [r for r in images if r is not target and r.label_form == target.label_form]
    rejected = (
        describe
        if kind == "describe"
        else EditRequest(
            base=TextRequest("caption", (target.source_id,)),
            donors=tuple(TextRequest("caption", (r.source_id,)) for r in donors),
            donor_phrases=tuple(r.a_label for r in donors),
            query=target.a_label,
            describe=describe,
            kinds=(kind, *(k for k in mix if k != kind)),
            seed=f"negative:{'|'.join(ids)}:{kind}",
            colours=_wrong_colours(target),
        )
    )
    style = rng.randrange(len(SEARCH_PROMPTS))
    return RowSpec(
        level=3,
        task="caption_search",
        source_ids=list(ids),
        prompt=SEARCH_PROMPTS[style].format(a_label=target.a_label),
        chosen=TextRequest("caption", (target.source_id,)),
        rejected=rejected,
        target=position,
        stratum=f"{position}:{kind}:{style}",  # the filter keeps position, negative kind and wording as drawn
        meta={"query": target.label, "negative": kind},
    )


def which_image(ctx: LevelContext, rng: random.Random, position: int) -> RowSpec:
    target, images = _search_set(ctx, rng, position)
    wrong = rng.choice([p for p in range(len(images)) if p != position])
    answer, style = rng.choice(WHICH_ANSWERS), rng.randrange(2)

    def say(p):
        the_label = target.the_label
        return answer.format(
            Ref=image_ref(p, style, capital=True),
            ref=image_ref(p, style),
            the_label=the_label,
            The_label=the_label[:1].upper() + the_label[1:],
            be="are" if target.label_form == "plural" else "is",
        )

    return RowSpec(
        level=3,
        task="which_image",
        source_ids=[r.source_id for r in images],
        prompt=rng.choice(WHICH_PROMPTS).format(a_label=target.a_label),
        chosen=say(position),
        rejected=say(wrong),
        target=position,
        stratum=str(position),
        meta={"query": target.label, "rejected_from": wrong},
    )
