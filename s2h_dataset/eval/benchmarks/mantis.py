"""MANTIS-Eval and NLVR2, both as the Mantis evaluation reads them (`images`, `<image>` in the question).

MANTIS mixes multiple-choice (letter) and short-answer questions; NLVR2 is "(A) True (B) False".
"""

from __future__ import annotations

from typing import Any

from ...errors import UserError
from ...vlm.replies import option_text
from ..items import LETTERS, Question, format_options
from ..spec import S2H_TOKENS, Prompt, TaskSpec
from .common import LETTER_HINT, LMMS, MANTIS_EVAL, letter_gold

__all__ = ["MANTIS", "NLVR2"]

MANTIS_SHORT = (
    "Given the images, answer the following short answer vqa question:\nQ: {question}\n"
    'You can first give your analysis, and then give your final answer as "Final Answer:"'
)


def mantis_official_mc(q: Question) -> str:
    """Mantis `eval.py`: options appended as '\\n (A) text' (kept as is when they carry a letter), then
    templates/multi-choice.txt."""
    question = q.stem
    for letter, option in zip(LETTERS, q.options):
        if not any(x in option.upper() for x in (f"{letter})", f"{letter}:", f"{letter}.")):
            question += f"\n ({letter}) {option}"
        else:
            question += f"\n {option}"
    return f"{question}\nAnswer with the option's letter from the given choices directly."


def mantis_question(row: dict[str, Any], config: str, split: str) -> Question:
    short = row["question_type"] == "short-answer"
    return Question(
        id=str(row["id"]),
        subtask=row["question_type"],
        images=list(row["images"]),
        stem=row["question"],
        gold=str(row["answer"]).strip().lower() if short else letter_gold(row["answer"], row["id"]),
        answer_type="short" if short else "letter",
        options=() if short else tuple(row.get("options") or ()),
        row=row,
        config=config,
        split=split,
    )


def _mantis_s2h(q: Question) -> str:
    if q.answer_type == "short":
        return f'{q.stem}\nAnswer with a single word or phrase, as "Final Answer: <answer>".'
    return f"{q.stem}\n{format_options(list(q.options), q.choices)}\n{LETTER_HINT}"


def _mantis_lmms(q: Question) -> str:
    """lmms_eval/tasks/mantis/utils.py `mantis_doc_to_text`: f"{final_question}{option}" with `option` the
    options *list* for multiple choice (so its Python repr is appended), "" for short answers."""
    if q.answer_type == "short":
        return MANTIS_SHORT.format(question=q.stem)
    return f"{q.stem}\nAnswer with the option's letter from the given choices directly.{list(q.options)}"


def _mantis_official(q: Question) -> str:
    return MANTIS_SHORT.format(question=q.stem) if q.answer_type == "short" else mantis_official_mc(q)


MANTIS = TaskSpec(
    name="mantis",
    title="MANTIS-Eval",
    hub_id="TIGER-Lab/Mantis-Eval",
    configs=("mantis_eval",),
    splits=("test",),
    build=mantis_question,
    subtask_field="question_type",
    prompts={
        "s2h": Prompt(
            _mantis_s2h,
            S2H_TOKENS,
            "",
            "this project",
            '"(A) option" lines + letter hint; short answers: `Final Answer: <answer>`',
        ),
        "lmms-eval": Prompt(
            _mantis_lmms,
            64,
            "",
            f"{LMMS}/mantis/utils.py, mantis.yaml",
            "letter hint, then the options *list* printed as Python; short-answer template",
        ),
        "official": Prompt(
            _mantis_official, 512, "", MANTIS_EVAL, '" (A) option" lines + letter hint; short-answer template'
        ),
    },
    circular=True,
)


def nlvr2_question(row: dict[str, Any], config: str, split: str) -> Question:
    options = tuple(option_text(o) for o in (row.get("options") or ("True", "False")))
    answer = str(row["answer"]).strip("()[] .")
    lowered = [o.lower() for o in options]
    if answer.lower() in lowered:
        gold = LETTERS[lowered.index(answer.lower())]
    elif answer.upper() in LETTERS[: len(options)]:
        gold = answer.upper()
    else:
        raise UserError(
            f"nlvr2 row {row['id']}: answer {row['answer']!r} is neither True/False nor an option letter"
        )
    if sorted(lowered) != ["false", "true"]:
        raise UserError(f"nlvr2 row {row['id']}: options {list(options)} are not True / False")
    return Question(
        id=str(row["id"]),
        subtask="nlvr2",
        images=list(row["images"]),
        stem=row["question"],
        gold=gold,
        answer_type="letter",
        options=options,
        row=row,
        config=config,
        split=split,
    )


NLVR2 = TaskSpec(
    name="nlvr2",
    title="NLVR2",
    hub_id="TIGER-Lab/NLVR2",
    configs=("nlvr2",),
    splits=("test",),
    build=nlvr2_question,
    prompts={
        "s2h": Prompt(
            _mantis_s2h, S2H_TOKENS, "letter", "this project", '"(A) True (B) False" + letter hint'
        ),
        "official": Prompt(
            mantis_official_mc,
            512,
            "letter",
            MANTIS_EVAL,
            'Mantis layout " (A) True / (B) False" + letter hint',
        ),
    },
)
