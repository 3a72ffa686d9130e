"""Level 1, single-image localized: the prompt names one image among unrelated distractors.

Chosen answers about the named image; rejected is the same kind of answer about another image in the set
(model-agnostic: a wrong-image answer, not a model's hallucination). For `caption_indexed` a share of the
rejected captions are instead the named image's own caption with one fact wrong (`negatives.py`: a colour,
size or position it clearly does not have, or the object of another image of the set whose colour it
shares, so no colour-object association gives it away), each checked against the image's facts.
"""

from __future__ import annotations

import random

from ..captioners.base import TextRequest
from ..captioners.facts import record_facts
from ..schema import RowSpec
from .common import LevelContext, image_ref
from .level3 import VARIANTS, _wrong_colours, edit_weights, truth_of
from .negatives import EditRequest

__all__ = ["caption_indexed", "vqa_indexed"]

CAPTION_PROMPTS = (
    "Caption {ref}.",
    "Write a short caption for {ref}.",
    "Describe {ref} in one sentence.",
    "What does {ref} show? Answer with a caption.",
)
FACT_SHARE = 0.4  # caption_indexed rows whose rejected is a fact edit of the named image's caption
VQA_PROMPTS = (
    ("What is shown in {ref}?", "{Ref} shows {a_label}."),
    ("What object is in {ref}?", "The object in {ref} is {a_label}."),
    ("Name the main object in {ref}.", "The main object in {ref} is {a_label}."),
)


def _set(ctx: LevelContext, rng: random.Random, position: int):
    target = ctx.pick(rng)
    images = ctx.place(rng, target, position, ctx.fill(rng, [target], ctx.n_images)[1:])
    wrong = rng.choice([p for p in range(len(images)) if p != position])
    return images, wrong


def _same_colour(target, other) -> bool:
    """`other`'s main colour is one the target's caption states (an object swap keeps its colours)."""
    mine, theirs = record_facts(target), record_facts(other)
    return mine is not None and theirs is not None and theirs.colours[0] in mine.colours


def caption_indexed(ctx: LevelContext, rng: random.Random, position: int) -> RowSpec:
    images, wrong = _set(ctx, rng, position)
    style = rng.randrange(len(CAPTION_PROMPTS))
    prompt = CAPTION_PROMPTS[style].format(ref=image_ref(position, rng.randrange(2)))
    variant = rng.randrange(VARIANTS)  # chosen and rejected in one phrasing; rarely the same text twice
    target = images[position]
    chosen = TextRequest("caption", (target.source_id,), variant=variant)
    other = TextRequest("caption", (images[wrong].source_id,), variant=variant)
    # a fact edit of a source's fixed caption would be a one-off text against a chosen that recurs
    fact = rng.random() < FACT_SHARE and not target.caption
    rejected = other
    if fact:
        objects = tuple(
            (r.a_label, r.label)
            for r in images
            if r is not target and r.label_form == target.label_form and _same_colour(target, r)
        )
        rejected = EditRequest(
            base=chosen,
            donors=(),
            donor_phrases=(),
            query=target.a_label,
            describe=other,
            kinds=("fact", "other_image"),
            seed=f"negative:{prompt}:{'|'.join(r.source_id for r in images)}",
            colours=_wrong_colours(target),
            truth=truth_of(target),
            facts=("colour", "size", "position", "object"),
            objects=objects,
            weights=edit_weights(ctx),
        )
    return RowSpec(
        level=1,
        task="caption_indexed",
        source_ids=[r.source_id for r in images],
        prompt=prompt,
        chosen=chosen,
        rejected=rejected,
        target=position,
        stratum=f"{position}:{style}",  # the filter keeps positions and wording as drawn
        meta={"rejected_from": wrong, "phrasing": variant, **({} if fact else {"negative": "other_image"})},
    )


def vqa_indexed(ctx: LevelContext, rng: random.Random, position: int) -> RowSpec:
    images, wrong = _set(ctx, rng, position)
    question, answer = rng.choice(VQA_PROMPTS)
    style = rng.randrange(2)
    ref, cap_ref = image_ref(position, style), image_ref(position, style, capital=True)
    return RowSpec(
        level=1,
        task="vqa_indexed",
        source_ids=[r.source_id for r in images],
        prompt=question.format(ref=ref),
        chosen=answer.format(ref=ref, Ref=cap_ref, a_label=images[position].a_label),
        rejected=answer.format(ref=ref, Ref=cap_ref, a_label=images[wrong].a_label),
        target=position,
        stratum=str(position),
        meta={"rejected_from": wrong},
    )
