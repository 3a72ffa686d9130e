"""Level 3, global visual search: no image is named; the model must find the one holding the label.

`caption_search`: chosen is the target's caption; rejected describes the whole set without isolating the
target (the paper's "caption the images" response). `which_image`: chosen names the target's position;
rejected names another position with the same wording. Distractors never share a near-synonym label.
"""

from __future__ import annotations

import random

from ..captioners.base import TextRequest
from ..labels import with_article
from ..schema import RowSpec
from .common import LevelContext, image_ref

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
WHICH_ANSWERS = ("{Ref} contains the {label}.", "The {label} is in {ref}.")


def _search_set(ctx: LevelContext, rng: random.Random, position: int):
    target = ctx.pick(rng)
    return target, ctx.place(rng, target, position, ctx.fill(rng, [target], ctx.n_images)[1:])


def caption_search(ctx: LevelContext, rng: random.Random, position: int) -> RowSpec:
    target, images = _search_set(ctx, rng, position)
    return RowSpec(
        level=3,
        task="caption_search",
        source_ids=[r.source_id for r in images],
        prompt=rng.choice(SEARCH_PROMPTS).format(a_label=with_article(target.label)),
        chosen=TextRequest("caption", (target.source_id,)),
        rejected=TextRequest("describe", tuple(r.source_id for r in images)),
        target=position,
        stratum=str(position),
        meta={"query": target.label},
    )


def which_image(ctx: LevelContext, rng: random.Random, position: int) -> RowSpec:
    target, images = _search_set(ctx, rng, position)
    wrong = rng.choice([p for p in range(len(images)) if p != position])
    answer, style = rng.choice(WHICH_ANSWERS), rng.randrange(2)

    def say(p):
        return answer.format(
            Ref=image_ref(p, style, capital=True), ref=image_ref(p, style), label=target.label
        )

    return RowSpec(
        level=3,
        task="which_image",
        source_ids=[r.source_id for r in images],
        prompt=rng.choice(WHICH_PROMPTS).format(a_label=with_article(target.label)),
        chosen=say(position),
        rejected=say(wrong),
        target=position,
        stratum=str(position),
        meta={"query": target.label, "rejected_from": wrong},
    )
