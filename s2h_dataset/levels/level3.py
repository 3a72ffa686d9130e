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
from ..captioners.reference import pixel_caption, scene_caption
from ..schema import RowSpec
from ..sources.base import RecordMemo
from .common import LevelContext, PlanError, image_ref
from .fact_edits import EditWeights, Truth, candidate_edits, fine_vote
from .negatives import EditRequest

__all__ = ["caption_search", "edit_weights", "truth_of", "which_image"]

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
VARIANTS = 1 << 20  # caption phrasings a row draws from (see `reference.phrasing`)
SCENE_SHARE = 0.15  # share of caption_search rows over drawn shape scenes, when the pool has them
FIT_SAMPLE = 600  # images of a pool the edit weights are fitted on


def _search_set(ctx: LevelContext, rng: random.Random, position: int):
    target = ctx.pick(rng)
    return target, ctx.place(rng, target, position, ctx.fill(rng, [target], ctx.n_images)[1:])


def _wrong_colours(record) -> tuple[str, ...]:
    """The colours a `fact` negative may give the target: its plausible confusions (empty: unmeasured)."""
    facts = record_facts(record)
    return confusions(facts.vote, facts.colours) if facts is not None and facts.vote is not None else ()


_FITS: dict[tuple, EditWeights] = {}  # edit weights by what they were fitted on (`edit_weights`)


def _measure_fine(record):
    try:
        return fine_vote(record.load())
    except Exception:  # unreadable now: the facts' vote alone decides
        return None


# `fine_vote` of a record's image, measured once per process and image signature (like `record_facts`)
_fine_vote = RecordMemo(_measure_fine)


def truth_of(record, label: str | None = None) -> Truth:
    """What is known of a record's image: its measured facts (and a finer colour vote), tracked counts
    and label."""
    facts = record_facts(record)
    fine = _fine_vote(record) if facts is not None else None
    return Truth(facts, record.counts or (), record.label if label is None else label, fine)


def edit_weights(ctx: LevelContext) -> EditWeights:
    """The context's `EditWeights`, fitted once on the candidate edits of a sample of its images' captions
    (the source's caption, else the pixels' caption, else a scene's tracked counts)."""
    if "edit_weights" in ctx.memo:
        return ctx.memo["edit_weights"]
    records = list(ctx.objects)
    records = records[:: max(1, len(records) // FIT_SAMPLE)]
    shapes = list(ctx.shapes)[:: max(1, len(ctx.shapes) // (FIT_SAMPLE // 4))] if ctx.shapes else []
    # the fit is a function of the sample's labels, captions and pixels (by signature) and the shapes' counts:
    # contexts over the same pool (the up-front probe, every re-plan) share it instead of fitting again
    key = (
        tuple((r.source_id, r.label, r.caption, r.signature()) for r in records),
        tuple((r.source_id, r.counts) for r in shapes),
    )
    if key not in _FITS:
        pools = []
        for record in records:
            truth, colours = truth_of(record), _wrong_colours(record)
            edits = candidate_edits(record.caption, truth, colours) if record.caption else []
            if not edits:  # nothing to edit in the caption: its rows stand on the pixels' caption
                edits = candidate_edits(pixel_caption(record) or "", truth, colours)
            pools.append(edits)
        for record in shapes:
            edits = candidate_edits(scene_caption(record.counts), Truth(counts=record.counts))
            pools.append([e for e in edits if e.kind == "count"])
        fitted = EditWeights.fit(pools)
        if all(k[3] is not None for k in key[0]):  # nothing vouches for an unsigned image: fit it again
            _FITS[key] = fitted
        ctx.memo["edit_weights"] = fitted
    else:
        ctx.memo["edit_weights"] = _FITS[key]
    return ctx.memo["edit_weights"]


def _scene_search(ctx: LevelContext, rng: random.Random, position: int) -> RowSpec:
    """A search over drawn shape scenes: "Caption the image containing red circles." (only the target
    holds that kind); rejected: its scene caption with another kind's tracked count changed."""
    for _ in range(100):
        target = ctx.shapes[rng.randrange(len(ctx.shapes))]
        if len(target.counts) >= 2:
            break
    else:
        raise PlanError(f"the {ctx.split} split has no shape scene with two kinds of shape")
    plural = [unit for unit, n in target.counts if n >= 2]
    unit, n = rng.choice([(u, c) for u, c in target.counts if u in plural] if plural else list(target.counts))
    query = f"{unit}s" if n >= 2 else f"a {unit}"
    others: list = []
    for _ in range(200):
        if len(others) == ctx.n_images - 1:
            break
        candidate = ctx.shapes[rng.randrange(len(ctx.shapes))]
        if unit not in dict(candidate.counts) and all(candidate.source_id != o.source_id for o in others):
            others.append(candidate)
    else:
        raise PlanError(f"the {ctx.split} split has too few shape scenes for {ctx.n_images} images per row")
    images = ctx.place(rng, target, position, others)
    ids = tuple(r.source_id for r in images)
    style = rng.randrange(len(SEARCH_PROMPTS))
    base = TextRequest("caption", (target.source_id,))
    rejected = EditRequest(
        base=base,
        donors=(),
        donor_phrases=(),
        query=query,
        describe=TextRequest("describe", ids),
        kinds=("fact",),
        seed=f"negative:{'|'.join(ids)}:scene",
        truth=Truth(counts=target.counts, label=unit),  # the queried kind's count is never edited
        facts=("count",),
        weights=edit_weights(ctx),
    )
    return RowSpec(
        level=3,
        task="caption_search",
        source_ids=list(ids),
        prompt=SEARCH_PROMPTS[style].format(a_label=query),
        chosen=base,
        rejected=rejected,
        target=position,
        stratum=f"{position}:scene:{style}",
        meta={"query": unit, "negative": "fact", "scene": True},
    )


MAX_SIBLINGS = 3


def _by_label(ctx: LevelContext) -> dict[str, list]:
    """The context's images by label, built once."""
    if "by_label" not in ctx.memo:
        ctx.memo["by_label"] = {}
        for record in ctx.objects:
            ctx.memo["by_label"].setdefault(record.label, []).append(record)
    return ctx.memo["by_label"]


def _siblings(ctx: LevelContext, target, images) -> list:
    """Other images of the target's label, not in the set (at most `MAX_SIBLINGS`, in pool order)."""
    shown = {r.source_id for r in images}
    same = _by_label(ctx).get(target.label, [])
    return [r for r in same if r.source_id not in shown][:MAX_SIBLINGS]


MAX_SKIPS = 50  # targets passed over for one row, at most


def _pixel_rate(ctx: LevelContext, target) -> float:
    """1.0 for a target whose caption can be edited (or has siblings); for one whose fixed caption states
    nothing to edit ("A koala."), the rate at which the edit weights take its pixels' caption's edits: its
    rows are made that often and otherwise not at all, so its colours do not skew the rejected."""
    rates = ctx.memo.setdefault("pixel_rate", {})
    if target.source_id not in rates:
        truth, colours = truth_of(target), _wrong_colours(target)
        rate = 1.0
        fixed = target.caption and not candidate_edits(target.caption, truth, colours)
        if fixed and len(_by_label(ctx).get(target.label, ())) < 2:
            balance = edit_weights(ctx)
            edits = candidate_edits(pixel_caption(target) or "", truth, colours)
            rate = balance.rate(balance.weights(edits)) if edits else 0.0
        rates[target.source_id] = rate
    return rates[target.source_id]


def caption_search(ctx: LevelContext, rng: random.Random, position: int) -> RowSpec:
    if ctx.shapes and "fact" in ctx.search_negatives and rng.random() < SCENE_SHARE:
        return _scene_search(ctx, rng, position)
    skipped = 0
    target, images = _search_set(ctx, rng, position)
    while skipped < MAX_SKIPS and "fact" in ctx.search_negatives and rng.random() >= _pixel_rate(ctx, target):
        skipped += 1  # a caption with nothing to edit: this target is passed over this time
        target, images = _search_set(ctx, rng, position)
    ids = tuple(r.source_id for r in images)
    describe = TextRequest("describe", ids)
    mix = ctx.search_negatives
    kind = mix[rng.randrange(len(mix))]
    variant = rng.randrange(VARIANTS)  # one phrasing for the chosen and the captions its negative is made of
    donors = [r for r in images if r is not target and r.label_form == target.label_form]
    base = TextRequest("caption", (target.source_id,), variant=variant)
    siblings = _siblings(ctx, target, images) if kind != "describe" else []
    first = ("sibling",) if siblings else ()  # a true caption elsewhere: recurs like the chosen does
    rejected = (
        describe
        if kind == "describe"
        else EditRequest(
            base=base,
            donors=tuple(TextRequest("caption", (r.source_id,), variant=variant) for r in donors),
            donor_phrases=tuple(r.a_label for r in donors),
            query=target.a_label,
            describe=describe,
            kinds=(*first, kind, *(k for k in mix if k not in (kind, "describe"))),
            seed=f"negative:{'|'.join(ids)}:{kind}",
            colours=_wrong_colours(target),
            truth=truth_of(target),
            facts=("colour", "size", "position"),  # an object edit would contradict the query: text tells
            weights=edit_weights(ctx),
            pixel=pixel_caption(target, variant),
            siblings=tuple(TextRequest("caption", (r.source_id,), variant=variant) for r in siblings),
        )
    )
    style = rng.randrange(len(SEARCH_PROMPTS))
    return RowSpec(
        level=3,
        task="caption_search",
        source_ids=list(ids),
        prompt=SEARCH_PROMPTS[style].format(a_label=target.a_label),
        chosen=base,
        rejected=rejected,
        target=position,
        stratum=f"{position}:{kind}:{style}",  # the filter keeps position, negative kind and wording as drawn
        meta={
            "query": target.label,
            "negative": kind,
            "phrasing": variant,
            **({"skipped_uneditable": skipped} if skipped else {}),
        },
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
