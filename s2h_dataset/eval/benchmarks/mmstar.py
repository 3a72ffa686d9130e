"""MMStar (`val`): one image a row, options inline in the Hub question, letters A-D; scored per category.

Results also break down by l2 category (`l2_categories`) and give the mean of the l2-category accuracies
(`accuracy_mean_of_l2_categories`: lmms-eval's MMStar "average"); the headline is the mean of the categories.
"""

from __future__ import annotations

import re
from typing import Any

from ..items import LETTERS, Question
from ..scoring import breakdown, mean_of
from ..spec import Prompt, Scoring, TaskSpec
from .common import LMMS, VLMEVAL_MCQ, letter_gold, s2h_letter, vlmevalkit_mcq

__all__ = ["MMSTAR"]

_MMSTAR_OPTIONS = re.compile(
    r"\s*Options:\s*A[:.]\s*(.*?),\s*B[:.]\s*(.*?),\s*C[:.]\s*(.*?),\s*D[:.]\s*(.*)$", re.DOTALL
)


def mmstar_question(row: dict[str, Any], config: str, split: str) -> Question:
    """MMStar's Hub rows carry the options inside `question` ("... Options: A: x, B: y, C: z, D: w");
    they are split off so VLMEvalKit's layout and CircularEval can render them."""
    question = row["question"].strip()
    match = _MMSTAR_OPTIONS.search(question)
    stem, options = (question[: match.start()].strip(), match.groups()) if match else (question, ())
    return Question(
        id=str(row["index"]),
        subtask=row["category"],
        images=[row["image"]],
        stem=stem,
        gold=letter_gold(row["answer"], row["index"]),
        answer_type="letter",
        options=tuple(o.strip() for o in options),
        row=row,
        config=config,
        split=split,
        letters=("A", "B", "C", "D"),
        meta={"l2_category": row.get("l2_category", "")},
    )


def _mmstar_text(q: Question) -> str:
    """The Hub row's question (options inline); a rotated question is re-rendered in the same layout."""
    if q.rotation == 0:
        return q.row["question"].strip()
    listed = ", ".join(f"{k}: {o}" for k, o in zip(LETTERS, q.options))
    return f"{q.stem}\nOptions: {listed}"


def _mmstar_lmms(q: Question) -> str:
    """lmms_eval/tasks/mmstar/utils.py `mmstar_doc_to_text`; post_prompt has no final period."""
    question = _mmstar_text(q).replace(" Please answer yes or no.", "")
    return f"{question}\nAnswer with the option's letter from the given choices directly"


def _l2_categories(records: list[dict[str, Any]], subtasks, pooled) -> dict[str, Any]:
    l2 = breakdown(records, lambda r: (r.get("meta") or {}).get("l2_category", ""))
    return {"l2_categories": l2, "accuracy_mean_of_l2_categories": mean_of(l2, "accuracy")}


MMSTAR = TaskSpec(
    name="mmstar",
    title="MMStar",
    hub_id="Lin-Chen/MMStar",
    configs=("val",),
    splits=("val",),
    build=mmstar_question,
    prompts={
        "s2h": s2h_letter(_mmstar_text, "Hub question (options inline) + letter hint"),
        "lmms-eval": Prompt(
            _mmstar_lmms,
            1024,
            "letter",
            f"{LMMS}/mmstar/utils.py, _default_template_yaml",
            "Hub question + letter hint without its final period",
        ),
        "vlmevalkit": VLMEVAL_MCQ,
        "official": Prompt(
            vlmevalkit_mcq,
            512,  # the MMStar repository's VLMEvalKit fork (its LLaVA wrapper)
            "letter",
            "MMStar-Benchmark/MMStar eval/vlmeval/utils/dataset.py",
            "VLMEvalKit's layout (the MMStar repository evaluates with its fork)",
        ),
    },
    subtask_field="category",
    scoring=Scoring(task=_l2_categories),
    headline=(("mean of category accuracies", "accuracy_mean_of_subtasks"), ("pooled accuracy", "accuracy")),
    circular=True,
)
