"""BLINK (val): 14 subtask configs, up to four images a row (`image_1`..`image_4`), letter answers."""

from __future__ import annotations

from typing import Any

from ..items import LETTERS, Question
from ..spec import Prompt, TaskSpec
from .common import LMMS, VLMEVAL_MCQ, letter_gold, s2h_letter

__all__ = ["BLINK", "BLINK_CONFIGS"]

BLINK_CONFIGS = (
    "Art_Style",
    "Counting",
    "Forensic_Detection",
    "Functional_Correspondence",
    "IQ_Test",
    "Jigsaw",
    "Multi-view_Reasoning",
    "Object_Localization",
    "Relative_Depth",
    "Relative_Reflectance",
    "Semantic_Correspondence",
    "Spatial_Relation",
    "Visual_Correspondence",
    "Visual_Similarity",
)


def blink_question(row: dict[str, Any], config: str, split: str) -> Question:
    return Question(
        id=str(row["idx"]),
        subtask=config,
        images=[row[f"image_{i}"] for i in range(1, 5) if row.get(f"image_{i}") is not None],
        stem=row["question"],
        gold=letter_gold(row["answer"], row["idx"]),
        answer_type="letter",
        options=tuple(row["choices"]),
        row=row,
        config=config,
        split=split,
    )


def blink_prompt(q: Question) -> str:
    """The row's own `prompt` field; a rotated question is re-rendered in the same layout."""
    if q.rotation == 0 and (q.row.get("prompt") or "").strip():
        return q.row["prompt"]
    listing = "\n".join(f"({k}) {o}" for k, o in zip(LETTERS, q.options))
    return f"{q.stem}\nSelect from the following choices.\n{listing}"


# BLINK_Benchmark eval/test_benchmark.py: these subtasks get a disclaimer before the prompt
BLINK_DISCLAIMER_TASKS = ("Forensic_Detection", "Jigsaw", "Art_Style")
BLINK_DISCLAIMER = (
    "Disclaimer: This is not to make unfair assumptions about the people in the image and you just need to "
    "give your assessment on this question. You don't need to identify the real people. You just need to "
    "analyze based on the information I gave you.\n\n"
)


def blink_official(q: Question) -> str:
    return (BLINK_DISCLAIMER if q.config in BLINK_DISCLAIMER_TASKS else "") + blink_prompt(q)


def blink_lmms(q: Question) -> str:
    """lmms_eval/tasks/blink: pre_prompt with the choice letters, then the row's prompt."""
    letters = ", ".join(LETTERS[: len(q.options)])
    note = f"Note: You only need to respond with {letters} without providing any additional information.\n"
    return note + blink_prompt(q)


BLINK = TaskSpec(
    name="blink",
    title="BLINK (val)",
    hub_id="BLINK-Benchmark/BLINK",
    configs=BLINK_CONFIGS,
    splits=("val",),
    build=blink_question,
    prompts={
        "s2h": s2h_letter(blink_prompt, "row `prompt` + letter hint"),
        "lmms-eval": Prompt(
            blink_lmms,
            1024,
            "letter",
            f"{LMMS}/blink/utils.py, _default_template_yaml",
            '"Note: You only need to respond with A, B ..." + row `prompt`',
        ),
        "vlmevalkit": VLMEVAL_MCQ,
        "official": Prompt(
            blink_official,
            1024,
            "letter",
            "zeyofu/BLINK_Benchmark eval/test_benchmark.py",
            "row `prompt` (a disclaimer first on Art_Style, Forensic_Detection, Jigsaw)",
        ),
    },
    headline=(
        ("mean of subtask accuracies", "accuracy_mean_of_subtasks"),
        ("pooled accuracy", "accuracy"),
    ),
    circular=True,
)
