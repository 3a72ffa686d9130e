"""Level 2, multi-image localized: the prompt names several images and needs a comparison or an aggregate.

`compare`: same-kind yes/no over two named images; rejected is the deterministic flip of the verdict.
`arithmetic`: counts of one colour shape across two or three named images combined with +, - or a total;
rejected keeps the wording and shows a plausible mistake (a miscount, the wrong image's count, or a wrong
sum) so its length and style match the chosen answer.
"""

from __future__ import annotations

import random

from ..labels import conflicts, with_article
from ..schema import RowSpec
from .common import LevelContext, PlanError, image_ref

__all__ = ["OPERATORS", "arithmetic", "compare"]

COMPARE_PROMPTS = (
    "Do {r1} and {r2} show the same kind of thing?",
    "Are the objects in {r1} and {r2} the same kind of thing? Answer yes or no.",
    "Is the object in {r1} the same kind of thing as the one in {r2}?",
)
SAME, DIFFERENT = (
    "Yes. {R1} shows {a} and {r2} shows {b}; {same}.",
    "No. {R1} shows {a} and {r2} shows {b}; they are different kinds of thing.",
)

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


def _same_kind_partner(ctx: LevelContext, rng: random.Random):
    for _ in range(200):
        first = ctx.pick(rng)
        partners = [
            r
            for r in ctx.by_kind().get(first.kind_or_label, [])
            if r.source_id != first.source_id and (first.kind is None or not conflicts(r.label, first.label))
        ]
        if partners:
            return first, rng.choice(partners)
    raise PlanError(
        f"the {ctx.split} split has no two images of the same kind for `compare`; add images that share a label"
    )


def compare(ctx: LevelContext, rng: random.Random, slot: int) -> RowSpec:
    yes = slot == 1
    if yes:
        first, second = _same_kind_partner(ctx, rng)
    else:
        first = ctx.pick(rng)
        second = next(
            (
                r
                for r in (ctx.pick(rng) for _ in range(500))
                if r.kind_or_label != first.kind_or_label and not conflicts(r.label, first.label)
            ),
            None,
        )
        if second is None:
            raise PlanError(f"the {ctx.split} split has only one kind of image; `compare` needs two kinds")
    others = ctx.fill(rng, [first, second], ctx.n_images)[2:]
    images, p1, p2 = ctx.place_pair(rng, first, second, others)
    style = rng.randrange(2)
    words = {
        "r1": image_ref(p1, style),
        "R1": image_ref(p1, style, capital=True),
        "r2": image_ref(p2, style),
        "a": with_article(first.label),
        "b": with_article(second.label),
        "same": f"both are {first.kind}" if first.kind else "they are the same kind of thing",
    }
    same, different = SAME.format(**words), DIFFERENT.format(**words)
    return RowSpec(
        level=2,
        task="compare",
        source_ids=[r.source_id for r in images],
        prompt=rng.choice(COMPARE_PROMPTS).format(**words),
        chosen=same if yes else different,
        rejected=different if yes else same,
        target=-1,
        stratum="yes" if yes else "no",
        meta={"named": [p1, p2], "answer": "yes" if yes else "no"},
    )


def _mistake(rng: random.Random, counts: list[int], named: list[int]) -> tuple[list[int], str]:
    """A plausible mistake: read an image not named, or miscount one named image by one."""
    operands = [counts[p] for p in named]
    i = rng.randrange(len(operands))
    unnamed = [counts[p] for p in range(len(counts)) if p not in named and counts[p] != operands[i]]
    wrong = list(operands)
    if unnamed and rng.random() < 0.5:
        wrong[i] = rng.choice(unnamed)
        return wrong, "wrong_image"
    wrong[i] = operands[i] + 1 if operands[i] == 0 or rng.random() < 0.5 else operands[i] - 1
    return wrong, "miscount"


def arithmetic(ctx: LevelContext, rng: random.Random, slot: int) -> RowSpec:
    if len(ctx.shapes) < ctx.n_images:
        raise PlanError(
            f"the {ctx.split} split has {len(ctx.shapes)} shape images; `arithmetic` needs {ctx.n_images}"
        )
    op = OPERATORS[slot] if ctx.n_images >= 3 else OPERATORS[slot % 2]
    images = rng.sample(ctx.shapes, ctx.n_images)
    named = rng.sample(range(ctx.n_images), 3 if op == "total" else 2)
    unit = rng.choice(sorted({u for p in named for u, _ in images[p].counts}))
    counts = [dict(r.counts).get(unit, 0) for r in images]
    if op == "subtract" and counts[named[0]] < counts[named[1]]:
        named.reverse()

    def result(values):
        return values[0] - values[1] if op == "subtract" else sum(values)

    truth = result([counts[p] for p in named])
    wrong, error = _mistake(rng, counts, named)
    if result(wrong) == truth or (op == "subtract" and result(wrong) < 0):
        wrong, error = [counts[p] for p in named], "wrong_result"
        wrong_answer = truth + 1 if truth == 0 or rng.random() < 0.5 else truth - 1
    else:
        wrong_answer = result(wrong)
    style = rng.randrange(2)
    refs = {f"r{i + 1}": image_ref(p, style) for i, p in enumerate(named)}
    refs["R1"] = image_ref(named[0], style, capital=True)
    units = unit + "s"

    def answer(values, ans):
        return ANSWERS[op].format(**refs, **dict(zip("abc", values)), ans=ans, units=units)

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
        },
    )
