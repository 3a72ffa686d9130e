"""POPE (`Full`): object-hallucination yes/no questions in three splits (adversarial, popular, random).

Scored per split with precision, recall and F1 of "yes" and the yes-ratio, and their means over the splits (the
paper's POPE figure is the F1 mean). An unreadable reply is the wrong answer for every metric: a false negative
when the gold is yes, a false positive when it is no, so accuracy and F1 count it the same way. `yes_ratio` is
the share of replies read as "yes" (an unreadable reply is no "yes"). `pope_scores` is also what the `evaluate`
module `eval/metrics/pope` wraps.
"""

from __future__ import annotations

from typing import Any

from ...errors import UserError
from ..items import Question
from ..scoring import mean_of
from ..spec import S2H_TOKENS, Prompt, Scoring, TaskSpec
from .common import LMMS, VLMEVAL, VLMEVAL_QWEN3_TOKENS, VLMEVAL_TOKENS

__all__ = ["POPE", "POPE_SCORING", "pope_scores"]


def pope_scores(predictions: list[str | None], references: list[str]) -> dict[str, float]:
    """Accuracy, precision / recall / F1 of "yes" and the yes-ratio. A prediction that is neither "yes"
    nor "no" (an unreadable reply) is the wrong answer everywhere: a false negative when the reference is
    "yes", a false positive when it is "no"."""
    tp = fp = tn = fn = 0
    for pred, ref in zip(predictions, references, strict=True):
        says_yes = pred == "yes" if pred in ("yes", "no") else ref == "no"
        if ref == "yes":
            tp, fn = tp + says_yes, fn + (not says_yes)
        else:
            fp, tn = fp + says_yes, tn + (not says_yes)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {
        "accuracy": (tp + tn) / len(references),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "yes_ratio": sum(p == "yes" for p in predictions) / len(predictions),
    }


def _split_scores(records: list[dict[str, Any]]) -> dict[str, float]:
    scores = pope_scores([r["parsed"] for r in records], [r["gold"] for r in records])
    scores.pop("accuracy")  # the scorer's own, which counts CircularEval groups the same way
    return scores


MEAN_OVER_SPLITS = ("precision", "recall", "f1", "yes_ratio")


def _means_over_splits(records, splits: dict[str, dict[str, Any]], pooled) -> dict[str, float]:
    return {f"{metric}_mean_of_splits": mean_of(splits, metric) for metric in MEAN_OVER_SPLITS}


POPE_SCORING = Scoring(group=_split_scores, task=_means_over_splits)


def pope_question(row: dict[str, Any], config: str, split: str) -> Question:
    gold = str(row["answer"]).strip().lower()
    if gold not in ("yes", "no"):
        raise UserError(f"pope row {row['question_id']}: answer {row['answer']!r} is not yes/no")
    return Question(
        id=f"{split}/{row['question_id']}",
        subtask=split,
        images=[row["image"]],
        stem=row["question"].strip(),
        gold=gold,
        answer_type="yesno",
        row=row,
        config=config,
        split=split,
    )


LMMS_POPE = "lmms-lab-encoder/POPE"
_QWEN_YORN = "open-compass/VLMEvalKit vlmeval/vlm/{}/prompt.py _build_yorn_prompt"


def _qwen_yorn(q: Question) -> str:
    return f"{q.stem} Please answer yes or no."


SINGLE_WORD = "\nAnswer the question using a single word or phrase."
SINGLE_NOTE = 'question + "Answer the question using a single word or phrase."'
POPE = TaskSpec(
    name="pope",
    title="POPE",
    hub_id="lmms-lab/POPE",
    configs=("Full",),
    splits=("adversarial", "popular", "random"),
    build=pope_question,
    prompts={
        "s2h": Prompt(
            lambda q: f"{q.stem}\nAnswer with yes or no.",
            S2H_TOKENS,
            "yesno",
            "this project",
            'question + "Answer with yes or no."',
        ),
        # lmms-eval reads POPE from lmms-lab-encoder/POPE (pope_adv.yaml, pope.yaml at 75571cf)
        "lmms-eval": Prompt(
            lambda q: q.stem + SINGLE_WORD,
            128,
            "yesno",
            f"{LMMS}/pope/pope_adv.yaml, utils.py",
            SINGLE_NOTE,
            hub_id=LMMS_POPE,
        ),
        # ImageYORNDataset.build_prompt adds nothing for POPE (only AMBER gets "Please answer yes or no.");
        # Qwen2/2.5/3-VL's own build_prompt appends " Please answer yes or no." (vlm/qwen*_vl/prompt.py)
        "vlmevalkit": Prompt(
            lambda q: q.stem,
            VLMEVAL_TOKENS,
            "yesno",
            f"{VLMEVAL}/image_yorn.py",
            "the bare question",
            variants=(
                ("qwen2_vl", Prompt(_qwen_yorn, VLMEVAL_TOKENS, "yesno", _QWEN_YORN.format("qwen2_vl"))),
                (
                    "qwen3_vl",
                    Prompt(_qwen_yorn, VLMEVAL_QWEN3_TOKENS, "yesno", _QWEN_YORN.format("qwen3_vl")),
                ),
            ),
        ),
        # LLaVA-1.5's POPE questions (llava_pope_test.jsonl, docs/Evaluation.md), model_vqa_loader's 128 tokens
        "official": Prompt(
            lambda q: q.stem + SINGLE_WORD,
            128,
            "yesno",
            "haotian-liu/LLaVA scripts/v1_5/eval/pope.sh",
            SINGLE_NOTE,
        ),
    },
    scoring=POPE_SCORING,
    headline=(
        ("F1 (mean of 3 splits)", "f1_mean_of_splits"),
        ("accuracy (mean of 3 splits)", "accuracy_mean_of_subtasks"),
        ("yes-ratio (mean of 3 splits)", "yes_ratio_mean_of_splits"),
    ),
)
