"""Level 1 from VQA data (`llava:` sources): a sample's question, rewritten to point at its image.

Chosen is the gold answer. Rejected is the model's own answer to the multi-image prompt when a model
captioner is configured and that answer is wrong; otherwise (or when the model is right) the gold answer of
a distractor's own question - an answer about the wrong image.
"""

from __future__ import annotations

import random
import re

from ..captioners.base import TextRequest
from ..schema import RowSpec
from ..vlm.replies import same_answer
from .common import LevelContext, PlanError, image_ref

__all__ = ["point_at", "vqa_gold"]

IMAGE_WORDS = re.compile(r"\b(the|this) (image|picture|photo)\b", re.IGNORECASE)


def point_at(question: str, ref: str) -> str:
    """'What is in the image?' -> 'What is in Image 3?'; otherwise prefix 'In Image 3, ...'."""
    if IMAGE_WORDS.search(question):
        return IMAGE_WORDS.sub(ref, question, count=1)
    return f"In {ref}, {question[:1].lower()}{question[1:]}"


def vqa_gold(ctx: LevelContext, rng: random.Random, position: int) -> RowSpec:
    for _ in range(100):
        target = ctx.pool.qa[rng.randrange(len(ctx.pool.qa))]
        others = ctx.sample_groups(rng, ctx.pool.qa, [target], ctx.n_images)[1:]
        # the answer normalisation the captioner's gold check uses: "The cat" and "cat" are one answer
        wrong_answers = [i for i, r in enumerate(others) if not same_answer(r.qa[1], target.qa[1])]
        if wrong_answers:
            break
    else:
        raise PlanError(
            f"the {ctx.split} split's VQA samples all share one answer; `vqa_gold` needs different answers"
        )
    wrong_record = others[rng.choice(wrong_answers)]
    images = ctx.place(rng, target, position, others)
    question, gold = target.qa
    prompt = point_at(question, image_ref(position, rng.randrange(2)))
    ids = tuple(r.source_id for r in images)
    return RowSpec(
        level=1,
        task="vqa_gold",
        source_ids=list(ids),
        prompt=prompt,
        chosen=gold,
        rejected=TextRequest("answer", ids, prompt=prompt, gold=gold, fallback=wrong_record.qa[1]),
        target=position,
        stratum=str(position),
        meta={"rejected_from": images.index(wrong_record), "question": question},
    )
