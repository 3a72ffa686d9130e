"""Level 2 attribute comparisons across two named images: colour (from pixels) and count ("more than").

`compare_colour`: are the objects in two named images mostly the same colour? The dominant colour of each
object is measured on its own pixels (`captioners/facts.py`); "yes" pairs are both clearly of the named
colour, "no" pairs one clearly of it and the other clearly not (`captioners/colour.py`): an object whose
colour a person might name either way is never asked about.
`more_than`: does one named shape image hold more of a colour shape than another (tracked counts)? Both
images hold the shape, so the answer needs counting in both, not spotting it in one.
Yes and no answers name the same facts in the same form, so their lengths and words say nothing; rejected
is the deterministic flip of the verdict.
"""

from __future__ import annotations

import random

from ..captioners.colour import clearly, clearly_not
from ..captioners.facts import measurable_colours, render_facts
from ..schema import RowSpec
from .common import LevelContext, PlanError, image_ref, yes_no_row
from .level2 import _by_unit

__all__ = ["compare_colour", "has_object_colours", "more_than"]

COLOUR_PROMPTS = (
    "Are the objects in {r1} and {r2} mostly the same colour?",
    "Is the object in {r1} mostly the same colour as the one in {r2}? Answer yes or no.",
)
COLOUR_ANSWERS = (
    "Yes. The objects in {r1} and {r2} are both mostly {colour}.",
    "No. Only one of the objects in {r1} and {r2} is mostly {colour}.",
)
MORE_PROMPTS = (
    "Are there more {units} in {r1} than in {r2}?",
    "Does {r1} have more {units} than {r2}? Answer yes or no.",
)
MORE_ANSWERS = (
    "Yes. {R1} has more {units} than {r2}.",
    "No. {R1} does not have more {units} than {r2}.",
)


def has_object_colours(pool) -> bool:
    """Whether the pool's objects have measurable colours: transparent renders, where the object is the
    opaque pixels. A photo's colours are its background's too, so `compare_colour` never asks about them."""
    return measurable_colours(pool.objects)


def _by_colour(ctx: LevelContext) -> dict[str, list]:
    """The objects clearly of each colour (a transparent render whose vote is clear), measured once per
    context: the rows draw from this table, not from each record's facts again."""
    if "by_colour" not in ctx.memo:
        table: dict[str, list] = {}
        votes = {}
        for record in ctx.objects:
            facts = render_facts(record)
            if facts is not None and clearly(facts.vote, facts.colours[0]):
                table.setdefault(facts.colours[0], []).append(record)
                votes[record.source_id] = facts.vote
        ctx.memo["by_colour"] = table
        # the objects clearly NOT of each colour, for "no" rows
        ctx.memo["not_colour"] = {
            colour: [
                r
                for c, rs in table.items()
                if c != colour
                for r in rs
                if clearly_not(votes[r.source_id], colour)
            ]
            for colour in table
        }
    return ctx.memo["by_colour"]


def compare_colour(ctx: LevelContext, rng: random.Random, slot: int) -> RowSpec:
    yes = slot == 1
    table = _by_colour(ctx)
    colours = sorted(c for c, records in table.items() if len(records) >= 2)
    if not colours or len(table) < 2:
        raise PlanError(f"the {ctx.split} split has too few object colours for `compare_colour`")
    colour = rng.choice(colours)
    first = rng.choice(table[colour])
    pool = table[colour] if yes else ctx.memo["not_colour"][colour]
    draws = (rng.choice(pool) for _ in range(500 if pool else 0))
    second = next((r for r in draws if r.source_id != first.source_id), None)
    if second is None:  # a small split: no other object clearly of (or clearly not of) the colour
        raise PlanError(
            f"the {ctx.split} split has too few objects clearly of one colour for `compare_colour`"
        )
    if not yes and rng.random() < 0.5:  # which image holds the named colour must not be a cue
        first, second = second, first
    others = ctx.fill(rng, [first, second], ctx.n_images)[2:]
    images, p1, p2 = ctx.place_pair(rng, first, second, others)
    style = rng.randrange(2)
    words = {"r1": image_ref(p1, style), "r2": image_ref(p2, style), "colour": colour}
    return yes_no_row(
        "compare_colour",
        images=images,
        named=(p1, p2),
        prompts=COLOUR_PROMPTS,
        answers=COLOUR_ANSWERS,
        words=words,
        yes=yes,
        rng=rng,
        colour=colour,
    )


def more_than(ctx: LevelContext, rng: random.Random, slot: int) -> RowSpec:
    yes = slot == 1
    table = _by_unit(ctx)
    for _ in range(200):
        unit = rng.choice(sorted(u for u, holders in table.items() if len(holders) >= 2))
        a, b = rng.sample(table[unit], 2)
        ca, cb = dict(a.counts)[unit], dict(b.counts)[unit]
        if ca != cb:
            break
    else:
        raise PlanError(f"the {ctx.split} split has too few shape images for `more_than`")
    if (ca > cb) != yes:
        a, b = b, a
    ids = {a.source_id, b.source_id}
    others = [
        r for r in rng.sample(ctx.shapes, min(len(ctx.shapes), 4 * ctx.n_images)) if r.source_id not in ids
    ]
    images, p1, p2 = ctx.place_pair(rng, a, b, others[: ctx.n_images - 2])
    style = rng.randrange(2)
    words = {
        "r1": image_ref(p1, style),
        "R1": image_ref(p1, style, capital=True),
        "r2": image_ref(p2, style),
        "units": unit + "s",
    }
    counts = [dict(a.counts)[unit], dict(b.counts)[unit]]
    return yes_no_row(
        "more_than",
        images=images,
        named=(p1, p2),
        prompts=MORE_PROMPTS,
        answers=MORE_ANSWERS,
        words=words,
        yes=yes,
        rng=rng,
        unit=unit,
        counts=counts,
    )
