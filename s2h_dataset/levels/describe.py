"""Level 2 context-level task (CcDPO, context level): "Describe each image in order."

Chosen is the right caption of every image, in prompt order, one sentence each. Rejected has exactly one
multi-image failure, the planner's slot balancing them:
- `omitted`: one image's description is missing: in its place stands the caption of an image that is not
  in the set (CcDPO's context omission, with the sentence count kept);
- `swapped`: two images' captions trade places (a misaligned sequence);
- `conflated`: two images trade objects, each keeping its own look (CcDPO's context conflation: content
  attributed to the wrong image).
Every rejected answer has one sentence per image, like the chosen: an answer a sentence short (or long)
would give itself away to anyone counting sentences against the number of images, without looking at
them (the blind audit's length features found exactly that). Captions carry no image numbers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ..captioners.base import TextRequest
from ..schema import RowSpec
from .common import LevelContext

__all__ = ["ERRORS", "SequenceRequest", "describe_each", "make_sequence"]

ERRORS = ("omitted", "swapped", "conflated")
PROMPTS = (
    "Describe each image in order, one sentence per image.",
    "Caption every image, from the first to the last, one sentence each.",
    "Go through the images in order and describe each one in a sentence.",
)


@dataclass(frozen=True)
class SequenceRequest:
    """Per-image captions joined in order, with one error (`error`, at `positions`) or none."""

    captions: tuple[TextRequest, ...]
    error: str | None = None
    positions: tuple[int, ...] = ()
    # for `conflated`: image i's noun phrase and label, then image j's
    phrases: tuple[str, ...] = ()
    extra: TextRequest | None = None  # for `omitted`: the caption of an image not in the set

    def requests(self) -> tuple[TextRequest, ...]:
        return (*self.captions, self.extra) if self.extra else self.captions


def _replace(caption: str, own: tuple[str, str], other: tuple[str, str]) -> str | None:
    """The caption with its object (noun phrase, else bare label) replaced by another's; None when the
    caption names it neither way."""
    for mine, theirs in zip(own, other):
        at = caption.lower().find(mine.lower()) if mine else -1
        if at >= 0:
            replacement = theirs[:1].upper() + theirs[1:] if caption[at : at + 1].isupper() else theirs
            return caption[:at] + replacement + caption[at + len(mine) :]
    return None


def _conflate(captions: list[str], i: int, j: int, phrases: tuple[str, ...]) -> None:
    """Images i and j trade objects: each keeps its own look (colours, size, position) but names the other's
    object. The answer keeps the chosen's words, so only the images tell. When a caption does not name its
    object, the two captions trade places whole."""
    own, other = phrases[:2], phrases[2:]
    first, second = _replace(captions[i], own, other), _replace(captions[j], other, own)
    if first is None or second is None:
        captions[i], captions[j] = captions[j], captions[i]
    else:
        captions[i], captions[j] = first, second


def make_sequence(request: SequenceRequest, texts: dict[TextRequest, str]) -> str:
    captions = [texts[c].strip() for c in request.captions]
    captions = [c if c.endswith((".", "!", "?")) else c + "." for c in captions]
    if request.error == "omitted":
        extra = texts[request.extra].strip()
        captions[request.positions[0]] = extra if extra.endswith((".", "!", "?")) else extra + "."
    elif request.error == "swapped":
        i, j = request.positions
        captions[i], captions[j] = captions[j], captions[i]
    elif request.error == "conflated":
        _conflate(captions, *request.positions, request.phrases)
    return " ".join(captions)


def describe_each(ctx: LevelContext, rng: random.Random, slot: int) -> RowSpec:
    first = ctx.pick(rng)
    error = ERRORS[slot]
    # one more image than shown when a caption of an absent image stands in (never confusable with the set)
    images = ctx.fill(rng, [first], ctx.n_images + (error == "omitted"))
    absent = images.pop() if error == "omitted" else None
    rng.shuffle(images)
    captions = tuple(TextRequest("caption", (r.source_id,)) for r in images)
    n = len(images)
    extra = TextRequest("caption", (absent.source_id,)) if absent else None
    if error == "swapped":
        positions, phrases = tuple(sorted(rng.sample(range(n), 2))), ()
    elif error == "conflated":
        i, j = rng.sample(range(n), 2)
        positions = (i, j)
        phrases = (images[i].a_label, images[i].label, images[j].a_label, images[j].label)
    else:
        positions, phrases = (rng.randrange(n),), ()
    return RowSpec(
        level=2,
        task="describe_each",
        source_ids=[r.source_id for r in images],
        prompt=rng.choice(PROMPTS),
        chosen=SequenceRequest(captions),
        rejected=SequenceRequest(captions, error, positions, phrases, extra),
        stratum=error,
        meta={
            "error": error,
            "positions": list(positions),
            **({"replaced_by": absent.source_id} if absent else {}),
        },
    )
