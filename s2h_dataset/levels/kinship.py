"""Level 2 kinship (`kinship:` sources): is the person in one named image related to the person in another?

Yes and no are balanced. "No" questions are half hard negatives (two members of the same family asked
about a relation they do not have, e.g. siblings asked as parent and child) and half people of different
families. Chosen and rejected are the deterministic yes/no flip (paper section 2.2.2).
"""

from __future__ import annotations

import random

from ..schema import RowSpec
from .common import LevelContext, PlanError, image_ref, yes_no_row

__all__ = ["kinship"]

PHRASES = {
    "parent": "a parent of",
    "child": "a child of",
    "sibling": "a sibling of",
    "spouse": "the spouse of",
    "grandparent": "a grandparent of",
    "grandchild": "a grandchild of",
}
PROMPTS = (
    "Is the person in {r1} {phrase} the person in {r2}?",
    "Look at {r1} and {r2}. Is the person in {r1} {phrase} the person in {r2}? Answer yes or no.",
)
YES = "Yes. The person in {r1} is {phrase} the person in {r2}."
NO = "No. The person in {r1} is not {phrase} the person in {r2}."


def _pair(ctx: LevelContext, rng: random.Random, yes: bool) -> tuple[str, str, str]:
    """(person a, person b, relation asked)."""
    relations = sorted(ctx.pool.relations.items())
    if not relations:
        raise PlanError(
            f"the {ctx.split} split has no related people with images; `kinship` needs a kinship: source"
        )
    if yes:
        (a, b), relation = rng.choice(relations)
        return a, b, relation
    asked = rng.choice(sorted({r for _, r in relations}))
    hard = [(pair, r) for pair, r in relations if r != asked]
    if hard and rng.random() < 0.5:
        (a, b), _ = rng.choice(hard)
        return a, b, asked
    people = sorted({r.person for r in ctx.pool.faces})
    for _ in range(200):
        a, b = rng.sample(people, 2)
        if a.split("/")[0] != b.split("/")[0]:
            return a, b, asked
    raise PlanError(f"the {ctx.split} split has one family only; `kinship` negatives need two")


def kinship(ctx: LevelContext, rng: random.Random, slot: int) -> RowSpec:
    yes = slot == 1
    a, b, relation = _pair(ctx, rng, yes)
    faces = {p: [r for r in ctx.pool.faces if r.person == p] for p in (a, b)}
    first, second = rng.choice(faces[a]), rng.choice(faces[b])
    families = {first.split_key, second.split_key}
    strangers = [r for r in ctx.pool.faces if r.split_key not in families]
    # distractors: other people, none from the families asked about
    others = (
        ctx.sample_groups(rng, strangers, [], ctx.n_images - 2, key=lambda r: r.person)
        if ctx.n_images > 2
        else []
    )
    images, p1, p2 = ctx.place_pair(rng, first, second, others)
    style = rng.randrange(2)
    words = {"r1": image_ref(p1, style), "r2": image_ref(p2, style), "phrase": PHRASES[relation]}
    return yes_no_row(
        "kinship",
        images=images,
        named=(p1, p2),
        prompts=PROMPTS,
        answers=(YES, NO),
        words=words,
        yes=yes,
        rng=rng,
        people=[a, b],
        relation=relation,
    )
