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
    "VLMEVAL_QWEN3_TOKENS",
    "VLMEVAL_TOKENS",
    "letter_gold",
    "s2h_letter",
    "vlmevalkit_llava_mcq",
    "vlmevalkit_mcq",
]

LETTER_HINT = "Answer with the option's letter from the given choices directly."
LMMS = "EvolvingLMMs-Lab/lmms-eval lmms_eval/tasks"
VLMEVAL = "open-compass/VLMEvalKit vlmeval/dataset"
MANTIS_EVAL = "TIGER-AI-Lab/Mantis mantis/benchmark/eval.py + templates/"
# VLMEvalKit's generation length is per model wrapper: 2048 in vlm/llava/llava.py (LLaVA) and
# vlm/qwen2_vl/model.py (Qwen2/2.5-VL) at e8e78f0; vlm/qwen3_vl/model.py defaults to 32768
VLMEVAL_TOKENS = 2048
VLMEVAL_QWEN3_TOKENS = 32768


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


def vlmevalkit_llava_mcq(q: Question) -> str:
    """VLMEvalKit vlm/llava/llava.py `LLaVA.build_prompt` (MCQ datasets): the question, "\nA. option" per
    option, then the letter hint; no "Question:" / "Options:" (English prompts; its Chinese hint is not used)."""
    prompt = q.stem + "".join(f"\n{k}. {o}" for k, o in zip(LETTERS, q.options))
    return prompt + (f"\n{LETTER_HINT}" if q.options else "\nAnswer the question directly.")


def _qwen_mcq(closing: str) -> Callable[[Question], str]:
    """VLMEvalKit vlm/qwen2_vl/prompt.py and vlm/qwen3_vl/prompt.py `_build_mcq_prompt`: VLMEvalKit's layout
    with `closing` as its last line and the trailing whitespace stripped."""

    def render(q: Question) -> str:
        prompt = f"Question: {q.stem}\n"
        if q.options:
            prompt += "Options:\n" + "".join(f"{k}. {o}\n" for k, o in zip(LETTERS, q.options)) + closing
        return prompt.rstrip()

    return render


_QWEN_SRC = "open-compass/VLMEvalKit vlmeval/vlm/{}/prompt.py"
VLMEVAL_MCQ = Prompt(
    vlmevalkit_mcq,
    VLMEVAL_TOKENS,
    "letter",
    f"{VLMEVAL}/image_mcq.py",
    '"Question: ..." / "Options:" / "A. ..." / "Please select the correct answer from the options above."',
    variants=(
        (
            "llava",
            Prompt(
                vlmevalkit_llava_mcq,
                VLMEVAL_TOKENS,
                "letter",
                "open-compass/VLMEvalKit vlmeval/vlm/llava/llava.py",
            ),
        ),
        (
            "qwen2_vl",
            Prompt(
                _qwen_mcq("Please select the correct answer from the options above."),
                VLMEVAL_TOKENS,
                "letter",
                _QWEN_SRC.format("qwen2_vl"),
            ),
        ),
        (
            "qwen3_vl",
            Prompt(
                _qwen_mcq("Answer with the option letter only."),
                VLMEVAL_QWEN3_TOKENS,
                "letter",
                _QWEN_SRC.format("qwen3_vl"),
            ),
        ),
    ),
)


def s2h_letter(render: Callable[[Question], str], note: str) -> Prompt:
    """This project's multiple-choice prompt: the benchmark's own question text, then the letter hint."""
    return Prompt(lambda q: f"{render(q)}\n{LETTER_HINT}", S2H_TOKENS, "letter", "this project", note)
