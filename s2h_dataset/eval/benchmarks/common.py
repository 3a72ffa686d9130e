"""What several benchmarks share: the letter hint, the reference repositories, VLMEvalKit's multiple-choice
layout, and reading a choice letter out of a row's answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...errors import UserError
from ..items import LETTERS, Question
from ..spec import S2H_TOKENS, Prompt

__all__ = [
    "LETTER_HINT",
    "LMMS",
    "MANTIS_EVAL",
    "VLMEVAL",
    "VLMEVAL_MCQ",
    "VLMEVAL_TOKENS",
    "letter_gold",
    "s2h_letter",
    "vlmevalkit_mcq",
]

LETTER_HINT = "Answer with the option's letter from the given choices directly."
LMMS = "EvolvingLMMs-Lab/lmms-eval lmms_eval/tasks"
VLMEVAL = "open-compass/VLMEvalKit vlmeval/dataset"
MANTIS_EVAL = "TIGER-AI-Lab/Mantis mantis/benchmark/eval.py + templates/"
VLMEVAL_TOKENS = 512  # VLMEvalKit's generation length is per model wrapper; 512 is its LLaVA/LLaVA-Next value


def letter_gold(answer: str, row_id: Any) -> str:
    """The choice letter of a row's answer ("(B)", "B.", "b" -> "B"); one line naming the row if none."""
    letters = [c for c in str(answer).strip("()[]\n .") if c.isalpha()]
    if not letters:
        raise UserError(f"row {row_id}: answer {answer!r} holds no choice letter; is this the right dataset?")
    return letters[0].upper()


def vlmevalkit_mcq(q: Question) -> str:
    """VLMEvalKit `ImageMCQDataset.build_prompt` (vlmeval/dataset/image_mcq.py; the MMStar repo's fork,
    eval/vlmeval/utils/dataset.py, renders the same)."""
    prompt = f"Question: {q.stem}\n"
    if q.options:
        prompt += "Options:\n" + "".join(f"{k}. {o}\n" for k, o in zip(LETTERS, q.options))
        prompt += "Please select the correct answer from the options above. \n"
    return prompt


VLMEVAL_MCQ = Prompt(
    vlmevalkit_mcq,
    VLMEVAL_TOKENS,
    "letter",
    f"{VLMEVAL}/image_mcq.py",
    '"Question: ..." / "Options:" / "A. ..." / "Please select the correct answer from the options above."',
)


def s2h_letter(render: Callable[[Question], str], note: str) -> Prompt:
    """This project's multiple-choice prompt: the benchmark's own question text, then the letter hint."""
    return Prompt(lambda q: f"{render(q)}\n{LETTER_HINT}", S2H_TOKENS, "letter", "this project", note)
