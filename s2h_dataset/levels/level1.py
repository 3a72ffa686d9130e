"""Level 1, single-image localized: the prompt names one image among unrelated distractors.

Chosen answers about the named image; rejected is the same kind of answer about another image in the set
(model-agnostic: a wrong-image answer, not a model's hallucination).
"""

from __future__ import annotations

import random

from ..captioners.base import TextRequest
from ..schema import RowSpec
from .common import LevelContext, image_ref

__all__ = ["caption_indexed", "vqa_indexed"]

CAPTION_PROMPTS = (
    "Caption {ref}.",
    "Write a short caption for {ref}.",
    "Describe {ref} in one sentence.",
    "What does {ref} show? Answer with a caption.",
)
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


def caption_indexed(ctx: LevelContext, rng: random.Random, position: int) -> RowSpec:
    images, wrong = _set(ctx, rng, position)
    style = rng.randrange(len(CAPTION_PROMPTS))
    prompt = CAPTION_PROMPTS[style].format(ref=image_ref(position, rng.randrange(2)))
    return RowSpec(
        level=1,
        task="caption_indexed",
        source_ids=[r.source_id for r in images],
        prompt=prompt,
        chosen=TextRequest("caption", (images[position].source_id,)),
        rejected=TextRequest("caption", (images[wrong].source_id,)),
        target=position,
        stratum=f"{position}:{style}",  # the filter keeps positions and wording as drawn
        meta={"rejected_from": wrong},
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
