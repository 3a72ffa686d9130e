"""Level 2, multi-image localized: the prompt names several images and needs a comparison or an aggregate.

`compare`: do two named images show the same kind of thing (a curated kind: mammals, fruits, boats; never
a grab-bag like "household items")? Yes and no answers name the same kind and have the same form, so
their lengths say nothing; "no" pairs are drawn from the same coarse category when possible (a mammal
and a bird), so the kind must be seen. Rejected is the deterministic flip of the verdict.
`arithmetic`: counts of one colour shape across two or three named images combined with +, - or a total.
The queried shape is drawn first and the named images among those holding it, so most rows aggregate two
or more non-zero counts (`NONZERO_SHARE`); rejected keeps the wording and shows one consistent mistake (a
miscount by one, or another image's count), never an arithmetic slip a text reader could check.
"""

from __future__ import annotations

import random

from ..labels import conflicts
from ..schema import RowSpec
from ..sources.arithmetic import MAX_COUNT
from .common import LevelContext, PlanError, image_ref, yes_no_row

__all__ = ["NONZERO_SHARE", "OPERATORS", "arithmetic", "compare", "has_kind_pairs"]

COMPARE_PROMPTS = (
    "Do {r1} and {r2} show the same kind of thing?",
    "Are the objects in {r1} and {r2} the same kind of thing? Answer yes or no.",
    "Is the object in {r1} the same kind of thing as the one in {r2}?",
)
SAME, DIFFERENT = (
    "Yes. {R1} and {r2} both show {kind}.",
    "No. Only one of {r1} and {r2} shows {kind}.",
)
NONZERO_SHARE = 0.85  # rows whose named images all hold the queried shape (the rest: one may hold none)

OPERATORS = ("add", "subtract", "total")
QUESTIONS = {
    "add": "How many {units} are there in {r1} and {r2} combined?",
    "subtract": "How many more {units} are there in {r1} than in {r2}?",
    "total": "What is the total number of {units} in {r1}, {r2} and {r3}?",
}
ANSWERS = {
    "add": "{R1} has {a} and {r2} has {b}, so together they have {a} + {b} = {ans} {units}.",
    "subtract": "{R1} has {a} and {r2} has {b}, so {r1} has {a} - {b} = {ans} more {units}.",
    "total": "{R1} has {a}, {r2} has {b} and {r3} has {c}, so the total is {a} + {b} + {c} = {ans} {units}.",
}


def _kind(record) -> str:
    return record.kind or record.a_label


def _kinds(ctx: LevelContext) -> list[str]:
    """Kinds with two members that may share a row, so each can be asked with yes and with no."""
    if "kinds" not in ctx.memo:
        ctx.memo["kinds"] = sorted(
            k
            for k, members in ctx.by_kind().items()
            if any(not conflicts(a.label, b.label) for a in members for b in members if a is not b)
            or (len(members) > 1 and members[0].kind is None)
        )
    return ctx.memo["kinds"]


def has_kind_pairs(pool) -> bool:
    """Whether a split's `Sources` hold two images of one kind, so `compare` can ask a "yes" (a folder with
    one image per label holds none: the task is skipped there, not the build)."""
    return bool(_kinds(LevelContext(pool, 2, "any")))


def _other_kind(ctx: LevelContext, rng: random.Random, first):
    """A record of another kind: from the same category when there is one (a hard "no")."""

    def other(r):
        return r.kind_or_label != first.kind_or_label and not conflicts(r.label, first.label)

    near = [r for r in ctx.by_class("category", first.category) if r.kind and other(r)]
    if near:
        return rng.choice(near)
    return next((r for r in (ctx.pick(rng) for _ in range(500)) if other(r)), None)


def compare(ctx: LevelContext, rng: random.Random, slot: int) -> RowSpec:
    yes = slot == 1
    kinds = _kinds(ctx)
    if not kinds:
        raise PlanError(
            f"the {ctx.split} split has no two images of the same kind for `compare`; add images that share a label"
        )
    # the kind is drawn first for yes and no alike, so no kind is more often a yes than a no
    members = ctx.by_kind()[rng.choice(kinds)]
    second = None
    for _ in range(50):  # a member whose label conflicts with every other member has no "yes" partner
        first = rng.choice(members)
        if yes:
            partners = [
                r
                for r in members
                if r.source_id != first.source_id
                and (first.kind is None or not conflicts(r.label, first.label))
            ]
            second = rng.choice(partners) if partners else None
        else:
            second = _other_kind(ctx, rng, first)
        if second is not None:
            break
    if second is None:
        raise PlanError(f"the {ctx.split} split cannot make a `compare` pair of kind {_kind(members[0])}")
    kind = _kind(first)
    if rng.random() < 0.5:  # which image holds the named kind must not be a cue
        first, second = second, first
    others = ctx.fill(rng, [first, second], ctx.n_images)[2:]
    images, p1, p2 = ctx.place_pair(rng, first, second, others)
    style = rng.randrange(2)
    words = {
        "r1": image_ref(p1, style),
        "R1": image_ref(p1, style, capital=True),
        "r2": image_ref(p2, style),
        "kind": kind,
    }
    return yes_no_row(
        "compare",
        images=images,
        named=(p1, p2),
        prompts=COMPARE_PROMPTS,
        answers=(SAME, DIFFERENT),
        words=words,
        yes=yes,
        rng=rng,
        kind=kind,
    )


def _mistakes(rng: random.Random, counts: list[int], named: list[int]) -> list[tuple[list[int], str]]:
    """Plausible mistakes, in random order: read an image that is not named, or miscount one by one."""
    operands = [counts[p] for p in named]
    found = []
    for i in range(len(operands)):
        for p in range(len(counts)):  # an image holding the shape: reading an empty one would add zeros
            if p not in named and counts[p] not in (0, operands[i]):
                found.append(([*operands[:i], counts[p], *operands[i + 1 :]], "wrong_image"))
        for delta in (1, -1):  # never a count no image can hold: a text reader would spot it
            if 0 <= operands[i] + delta <= MAX_COUNT:
                found.append(([*operands[:i], operands[i] + delta, *operands[i + 1 :]], "miscount"))
    rng.shuffle(found)
    return found


def _by_unit(ctx: LevelContext) -> dict[str, list]:
    """Shape images by the units ("red circle") they hold, built once per context."""
    if "by_unit" not in ctx.memo:
        table: dict[str, list] = {}
        for record in ctx.shapes:
            for unit, _ in record.counts:
                table.setdefault(unit, []).append(record)
        ctx.memo["by_unit"] = table
    return ctx.memo["by_unit"]


def arithmetic(ctx: LevelContext, rng: random.Random, slot: int) -> RowSpec:
    if len(ctx.shapes) < ctx.n_images:
        raise PlanError(
            f"the {ctx.split} split has {len(ctx.shapes)} shape images; `arithmetic` needs {ctx.n_images}"
        )
    op = OPERATORS[slot] if ctx.n_images >= 3 else OPERATORS[slot % 2]
    n_named = 3 if op == "total" else 2
    holders_by_unit = _by_unit(ctx)
    unit = rng.choice(sorted(u for u, holders in holders_by_unit.items() if len(holders) >= n_named))
    # the named images hold the shape; with 1 - NONZERO_SHARE one of them is any image (it may hold none)
    n_holders = n_named if rng.random() < NONZERO_SHARE else n_named - 1
    named_records = rng.sample(holders_by_unit[unit], n_holders)
    ids = {r.source_id for r in named_records}
    others = [
        r for r in rng.sample(ctx.shapes, min(len(ctx.shapes), 4 * ctx.n_images)) if r.source_id not in ids
    ]
    images = (named_records + others)[: ctx.n_images]
    named_records = images[:n_named]
    rng.shuffle(images)
    named = [images.index(r) for r in named_records]
    counts = [dict(r.counts).get(unit, 0) for r in images]
    if op == "subtract" and counts[named[0]] < counts[named[1]]:
        named.reverse()

    def result(values):
        return values[0] - values[1] if op == "subtract" else sum(values)

    truth = result([counts[p] for p in named])
    wrong, error = next(
        (w, e) for w, e in _mistakes(rng, counts, named) if result(w) != truth and result(w) >= 0
    )
    wrong_answer = result(wrong)
    style = rng.randrange(2)
    refs = {f"r{i + 1}": image_ref(p, style) for i, p in enumerate(named)}
    refs["R1"] = image_ref(named[0], style, capital=True)
    units = unit + "s"

    def answer(values, ans):
        return ANSWERS[op].format(
            **refs, **dict(zip("abc", values)), ans=ans, units=unit if ans == 1 else units
        )

    return RowSpec(
        level=2,
        task="arithmetic",
        source_ids=[r.source_id for r in images],
        prompt=QUESTIONS[op].format(**refs, units=units),
        chosen=answer([counts[p] for p in named], truth),
        rejected=answer(wrong, wrong_answer),
        target=-1,
        stratum=op,
        meta={
            "unit": unit,
            "op": op,
            "named": named,
            "answer": truth,
            "rejected_answer": wrong_answer,
            "error": error,
            "operands": [counts[p] for p in named],
        },
    )
