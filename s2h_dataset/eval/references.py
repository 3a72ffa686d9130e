"""The references' own scoring rules, beside ours: the same replies as lmms-eval, VLMEvalKit, Mantis or
LLaVA would score them, so a `--protocol X` number can stand next to a number X published.

Our parser (`vlm.replies`) reads far more replies right than these rules do; a run under a reference's
protocol reports both columns, "ours (strict parser)" and "as <reference> scores it", each aggregated the
way that reference aggregates (lmms-eval's MMStar headline is the mean of the 18 l2-category means, its
BLINK headline the unweighted mean of the subtask accuracies, VLMEvalKit's POPE "Overall" the F1 of all
splits pooled). Only the reading differs between the two columns, so their gap is what the rule costs.

Each rule is written from the reference's behaviour (never its code), cited with repository, commit and
file. With `--circular`, only the un-rotated question of each group is scored here (the references ask
each question once). A (task, protocol) pair with no entry in `REFERENCES` (the `s2h` protocol, BLINK's
own repository, which matches answers with GPT) has no second column.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..vlm.replies import option_text
from .reference_rules import (
    LLAVA,
    LMMS,
    VLMEVAL,
    llava_pope_yes_no,
    lmms_blink_letter,
    lmms_mcq_letter,
    mantis_option,
    vlmevalkit_option,
    vlmevalkit_yes_no,
)

__all__ = ["REFERENCES", "Reference", "reference_scores"]

MAX_LISTED = 20  # ids of disagreeing items kept in results.json


# --- aggregation as each reference aggregates ----------------------------------------------------------------


def _mean(values) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def _by(records: list[dict], key: Callable[[dict], str], correct: list[bool]) -> dict[str, float]:
    groups: dict[str, list[bool]] = defaultdict(list)
    for record, right in zip(records, correct, strict=True):
        groups[key(record)].append(right)
    return {name: _mean(groups[name]) for name in sorted(groups)}


def _pooled(records, preds, correct) -> dict[str, Any]:
    return {"headline": _mean(correct), "accuracy": _mean(correct)}


def _mean_of_subtasks(records, preds, correct) -> dict[str, Any]:
    subtasks = _by(records, lambda r: r["subtask"], correct)
    return {"headline": _mean(subtasks.values()), "accuracy": _mean(correct), "subtasks": subtasks}


def _mmstar_l2(records, preds, correct) -> dict[str, Any]:
    """lmms-eval mmstar/utils.py `mmstar_aggregate_results`: each metric is the mean of its l2-category
    means; "average" over all 18 l2 categories, each category over its own three."""
    l2 = lambda r: (r.get("meta") or {}).get("l2_category", "")  # noqa: E731
    categories = {}
    for category in sorted({r["subtask"] for r in records}):
        inside = [(r, c) for r, c in zip(records, correct, strict=True) if r["subtask"] == category]
        categories[category] = _mean(_by([r for r, _ in inside], l2, [c for _, c in inside]).values())
    return {
        "headline": _mean(_by(records, l2, correct).values()),
        "accuracy": _mean(correct),
        "subtasks": categories,
    }


def _yes_no_counts(preds, golds, unread_as: str | None):
    tp = fp = tn = fn = 0
    for pred, gold in zip(preds, golds, strict=True):
        pred = pred if pred in ("yes", "no") else unread_as
        tp += pred == "yes" and gold == "yes"
        fp += pred == "yes" and gold == "no"
        tn += pred == "no" and gold == "no"
        fn += pred == "no" and gold == "yes"
    return tp, fp, tn, fn


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def _pope(unread_as: str | None, yes_ratio: str, pooled_headline: bool):
    """POPE per split and pooled. `unread_as`: what a reply that is neither yes nor no counts as (None:
    left out of precision and recall, lmms-eval); `yes_ratio`: "gold" (lmms-eval) or "pred" (LLaVA)."""

    def scores(records, preds, correct) -> dict[str, Any]:
        def one(indexes):
            p = [preds[i] for i in indexes]
            g = [records[i]["gold"] for i in indexes]
            tp, fp, _, fn = _yes_no_counts(p, g, unread_as)
            ratio = _mean(
                x == "yes"
                for x in (g if yes_ratio == "gold" else [q if q in ("yes", "no") else unread_as for q in p])
            )
            return {"accuracy": _mean(correct[i] for i in indexes), **_prf(tp, fp, fn), "yes_ratio": ratio}

        splits = defaultdict(list)
        for i, record in enumerate(records):
            splits[record["subtask"]].append(i)
        per_split = {name: one(splits[name]) for name in sorted(splits)}
        pooled = one(range(len(records)))
        f1_mean = _mean(s["f1"] for s in per_split.values())
        return {
            "headline": pooled["f1"] if pooled_headline else f1_mean,
            "accuracy": pooled["accuracy"],
            "f1_pooled": pooled["f1"],
            "f1_mean_of_splits": f1_mean,
            "subtasks": per_split,
        }

    return scores


# --- the registry ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """One reference's scoring of one benchmark.

    name: the reference ("lmms-eval"). rule: its reading rule in a line. source: repository@commit file.
    read: record -> (the reference's reading of the reply, whether it counts as right).
    aggregate: (records, readings, verdicts) -> scores with `headline` (the reference's headline number).
    headline: what the headline is. note: what this run cannot reproduce (a GPT extractor, sampling).
    """

    name: str
    rule: str
    source: str
    read: Callable[[dict], tuple[str, bool]]
    aggregate: Callable[..., dict[str, Any]]
    headline: str
    note: str = ""


def _letter(read: Callable[[dict], str]) -> Callable[[dict], tuple[str, bool]]:
    def verdict(record: dict) -> tuple[str, bool]:
        pred = read(record)
        return pred, pred == record["gold"]

    return verdict


def _mantis_read(record: dict) -> tuple[str, bool]:
    return mantis_option(record["raw"], record["gold"], record["options"], record["answer_type"] == "short")


def _vlmevalkit_read(record: dict) -> str:
    return vlmevalkit_option(
        record["raw"], {c: option_text(o) for c, o in zip(record["choices"], record["options"])}
    )


_NO_GPT = "VLMEvalKit's GPT answer extractor is not run (offline): its `exact_matching` policy is used"
_MANTIS = Reference(
    "Mantis",
    "first alphabetic character after an answer marker; else the reply must be the gold option's text",
    "TIGER-AI-Lab/Mantis mantis/benchmark/eval.py; " + f"{LMMS}/mantis/utils.py",
    _mantis_read,
    _pooled,
    "accuracy",
)
_VLMEVAL_MCQ = Reference(
    "VLMEvalKit",
    "exact matching (`can_infer`): one option letter among the words, else one option text; else wrong",
    f"{VLMEVAL}/utils/matching_util.py, dataset/utils/multiple_choice.py",
    _letter(_vlmevalkit_read),
    _pooled,
    "Overall (pooled accuracy)",
    _NO_GPT,
)
REFERENCES: dict[tuple[str, str], Reference] = {
    ("blink", "lmms-eval"): Reference(
        "lmms-eval",
        "the first letter of the reply (after brackets and spaces)",
        f"{LMMS}/blink/utils.py _extract_answer_letter; blink.yaml (unweighted group mean)",
        _letter(lambda r: lmms_blink_letter(r["raw"])),
        _mean_of_subtasks,
        "blink_acc (mean of subtask accuracies)",
    ),
    ("mmstar", "lmms-eval"): Reference(
        "lmms-eval",
        "`extract_mcq_answer`: letter formats by priority, the last occurrence",
        f"{LMMS}/_task_utils/mcq_extract.py; mmstar/utils.py",
        _letter(lambda r: lmms_mcq_letter(r["raw"])),
        _mmstar_l2,
        "average (mean of the 18 l2-category means)",
    ),
    ("mantis", "lmms-eval"): Reference(
        "lmms-eval",
        _MANTIS.rule,
        f"{LMMS}/mantis/utils.py get_prediction",
        _mantis_read,
        _pooled,
        "mantis_score (pooled accuracy)",
        "lmms-eval samples MANTIS at temperature 0.2 (mantis.yaml); this run decodes greedily",
    ),
    ("mantis", "official"): _MANTIS,
    ("nlvr2", "official"): _MANTIS,
    ("pope", "lmms-eval"): Reference(
        "lmms-eval",
        'exact match of the lower-cased reply with "yes" / "no"; other replies wrong and left out of '
        "precision / recall; yes-ratio is the ground truth's",
        f"{LMMS}/pope/utils.py, pope_full.yaml (dataset lmms-lab-encoder/POPE)",
        lambda r: (r["raw"].lower().strip(), r["raw"].lower().strip() == r["gold"]),
        _pope(None, "gold", pooled_headline=False),
        "F1 (mean of the 3 splits pope_adv / pope_pop / pope_random)",
    ),
    ("pope", "vlmevalkit"): Reference(
        "VLMEvalKit",
        '"yes" xor "no" among the words (`YOrN_Extraction`); anything else unknown: wrong, read as "no" in F1',
        f"{VLMEVAL}/dataset/utils/yorn.py YOrN_Extraction, POPE_rating",
        lambda r: (vlmevalkit_yes_no(r["raw"]), vlmevalkit_yes_no(r["raw"]) == r["gold"]),
        _pope("no", "pred", pooled_headline=True),
        "Overall (F1 of the 3 splits pooled)",
        _NO_GPT.replace("answer", "yes/no"),
    ),
    ("pope", "official"): Reference(
        "LLaVA",
        'first sentence: "No", "no" or "not" among its words -> no, else yes',
        LLAVA,
        lambda r: (llava_pope_yes_no(r["raw"]), llava_pope_yes_no(r["raw"]) == r["gold"]),
        _pope("no", "pred", pooled_headline=False),
        "F1 (mean of the 3 splits)",
    ),
    ("blink", "vlmevalkit"): _VLMEVAL_MCQ,
    ("mmstar", "vlmevalkit"): _VLMEVAL_MCQ,
    ("mmstar", "official"): _VLMEVAL_MCQ,  # the MMStar repository scores with its VLMEvalKit fork
}


def reference_scores(task: str, protocol: str, records: list[dict[str, Any]]) -> dict[str, Any] | None:
    """`task`'s replies scored by the reference of `protocol` (the protocol whose prompts were used) beside
    our parser's readings under the same aggregation; None when that pair has no reference rule."""
    reference = REFERENCES.get((task, protocol))
    asked = [r for r in records if "raw" in r and not (r.get("meta") or {}).get("rotation")]
    if reference is None or not asked:
        return None
    theirs = [reference.read(r) for r in asked]
    ours_correct = [r["parsed"] is not None and r["parsed"] == r["gold"] for r in asked]
    ours = reference.aggregate(asked, [r["parsed"] or "" for r in asked], ours_correct)
    as_ref = reference.aggregate(asked, [p for p, _ in theirs], [c for _, c in theirs])
    differ = [r["id"] for r, (_, c), o in zip(asked, theirs, ours_correct, strict=True) if c != o]
    return {
        "reference": reference.name,
        "rule": reference.rule,
        "source": reference.source,
        "headline": reference.headline,
        **({"note": reference.note} if reference.note else {}),
        "n": len(asked),
        "ours": ours,
        "as_reference": as_ref,
        "agreement": 1 - len(differ) / len(asked),
        "disagree": differ[:MAX_LISTED],
    }
