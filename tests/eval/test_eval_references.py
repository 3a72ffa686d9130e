"""Reference scorers beside ours: each reference's reading rule on a fixed reply set (one test per rule),
their aggregation, and a `--protocol` run that reports both columns."""

import json

import pytest
from eval_fixtures import OracleModel, build_all

from s2h_dataset.eval import EvalConfig, evaluate
from s2h_dataset.eval.reference_rules import (
    llava_pope_yes_no,
    lmms_blink_letter,
    lmms_mcq_letter,
    mantis_option,
    vlmevalkit_option,
    vlmevalkit_yes_no,
)
from s2h_dataset.eval.references import REFERENCES, reference_scores
from s2h_dataset.eval.report import RESULTS_MD
from s2h_dataset.eval.spec import PROTOCOLS, get_task


@pytest.mark.parametrize(
    "reply, expected",
    [("B", "B"), ("(C) a cat", "C"), (" a.", "A"), ("The answer is B", "T"), ("I think (B)", "I"), ("", "")],
)
def test_lmms_eval_blink_reads_the_first_letter(reply, expected):
    assert lmms_blink_letter(reply) == expected


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("B", "B"),
        ("The correct answer is (B).", "B"),
        ("A. cat", "A"),
        ("(A) or (C)? I choose C", "C"),  # "start"/"end" beat "(A)": the last standalone letter
        ("b", ""),  # case sensitive
        ("Answer: D", "D"),
        ("", ""),
    ],
)
def test_lmms_eval_mcq_extract_by_format_priority(reply, expected):
    assert lmms_mcq_letter(reply) == expected


@pytest.mark.parametrize(
    "reply, gold, options, short, right",
    [
        ("B", "B", ["(A) x", "(B) y"], False, True),
        ("The answer is (B).", "B", ["(A) x", "(B) y"], False, True),
        ("I think B", "B", ["(A) x", "(B) y"], False, False),  # "I" is no option: the text must match
        ("y", "B", ["(A) x", "(B) y"], False, True),  # Y is past the options, and "y" IS option B's text
        ("x", "B", ["(A) x", "(B) y"], False, False),
        ("True", "A", ["True", "False"], False, True),  # "T" is past the options: the reply IS option A
        ("Final Answer: Two", "two", [], True, True),
        ("two images", "two", [], True, False),
    ],
)
def test_mantis_reads_the_first_alphabetic_character(reply, gold, options, short, right):
    assert mantis_option(reply, gold, options, short)[1] is right


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("B", "B"),
        ("The answer is B.", "B"),
        ("B. Because the dog is on the left and the cat is on the right", "Z"),  # B not among the last 5
        ("It is a dog", "A"),  # no letter: the one option text it contains
        ("a dog or a cat", "Z"),
        ("Cannot determine the answer", "Z"),
    ],
)
def test_vlmevalkit_exact_matching(reply, expected):
    assert vlmevalkit_option(reply, {"A": "dog", "B": "cat", "C": "bird"}) == expected


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("Yes.", "yes"),
        ("No, there is none.", "no"),
        ("Yes and no", "unknown"),
        ("There is a dog.", "unknown"),
    ],
)
def test_vlmevalkit_yes_no_extraction(reply, expected):
    assert vlmevalkit_yes_no(reply) == expected


@pytest.mark.parametrize(
    "reply, expected",
    [("Yes.", "yes"), ("No.", "no"), ("There is not a dog.", "no"), ("Yes. No cat.", "yes"), ("", "yes")],
)
def test_llava_pope_first_sentence(reply, expected):
    assert llava_pope_yes_no(reply) == expected


def _rec(i, gold, raw, parsed, subtask="s", **meta):
    return {"id": str(i), "gold": gold, "raw": raw, "parsed": parsed, "subtask": subtask, "meta": meta}


def test_lmms_eval_mmstar_headline_is_the_mean_of_l2_category_means():
    # category c1 has l2 x (3 items, all right) and y (1 item, wrong); c2 has z (1 item, right)
    records = [_rec(i, "A", "A", "A", "c1", l2_category="x") for i in range(3)]
    records += [_rec(3, "A", "B", "B", "c1", l2_category="y"), _rec(4, "A", "A", "A", "c2", l2_category="z")]
    scores = reference_scores("mmstar", "lmms-eval", records)["as_reference"]
    assert scores["headline"] == pytest.approx((1 + 0 + 1) / 3)  # not the pooled 4/5, not the category mean
    assert scores["subtasks"] == {"c1": 0.5, "c2": 1.0}


def test_lmms_eval_pope_leaves_unreadable_replies_out_of_precision_and_recall():
    records = [
        _rec(0, "yes", "yes", "yes"),
        _rec(1, "yes", "Yes.", "yes"),  # not "yes": wrong, neither TP nor FN
        _rec(2, "no", "no", "no"),
        _rec(3, "no", "Yes, a dog.", "yes"),  # not "yes" either: no FP
    ]
    ref = reference_scores("pope", "lmms-eval", records)
    theirs = ref["as_reference"]["subtasks"]["s"]
    assert theirs["accuracy"] == 0.5 and theirs["precision"] == 1.0 and theirs["recall"] == 1.0
    assert theirs["yes_ratio"] == 0.5  # the ground truth's
    assert ref["agreement"] == 0.75 and ref["disagree"] == ["1"]


def test_vlmevalkit_pope_overall_is_pooled_f1_with_unknown_as_no():
    records = [
        _rec(0, "yes", "Yes", "yes", "adversarial"),
        _rec(1, "yes", "It is there.", "yes", "random"),  # unknown -> no: a false negative
        _rec(2, "no", "Yes", "yes", "random"),
    ]
    scores = reference_scores("pope", "vlmevalkit", records)["as_reference"]
    assert scores["headline"] == scores["f1_pooled"] == pytest.approx(2 * 0.5 * 0.5 / 1.0)


def test_every_reference_pair_is_a_registered_task_and_protocol():
    for task, protocol in REFERENCES:
        assert protocol in PROTOCOLS and get_task(task).prompt_protocol(protocol) == protocol


class Chatty(OracleModel):
    """The oracle's answers, each after a sentence of its own: right for our parser, not for first-letter rules."""

    def generate(self, items):
        return [f"Looking at it carefully. {reply}" for reply in super().generate(items)]


@pytest.fixture(scope="module")
def lmms_run(tmp_path_factory):
    bench = build_all(tmp_path_factory.mktemp("benchmarks"))
    out = tmp_path_factory.mktemp("lmms")
    config = EvalConfig(
        model_name_or_path="scripted",
        out=str(out),
        eval_tasks="blink,mmstar,pope,mantis",
        protocol="lmms-eval",
        dataset_path=[f"{k}={v}" for k, v in bench.items()],
    )
    return out, evaluate(config, Chatty())


def test_a_protocol_run_reports_both_columns(lmms_run):
    out, results = lmms_run
    blink = results["blink"]["reference"]
    assert blink["reference"] == "lmms-eval" and "blink/utils.py" in blink["source"]
    assert blink["ours"]["headline"] == 1.0 and blink["as_reference"]["headline"] == 0.0  # "L" of "Looking"
    assert results["pope"]["reference"]["as_reference"]["accuracy"] == 0.0  # exact match fails every reply
    assert json.loads((out / "results.json").read_text())  # written
    md = (out / RESULTS_MD).read_text()
    assert "ours (strict parser)" in md and "as the reference scores it" in md
    assert "temperature 0.2" in md  # what this run cannot reproduce is said


def test_s2h_protocol_has_no_reference_column(tmp_path):
    records = [_rec(0, "A", "A", "A")]
    assert reference_scores("blink", "s2h", records) is None


def test_our_mmstar_scores_carry_the_l2_mean_too():
    from s2h_dataset.eval.scoring import score_task

    records = [_rec(i, "A", "A", "A", "c1", l2_category="x") for i in range(3)]
    records += [_rec(3, "A", "B", "B", "c1", l2_category="y"), _rec(4, "A", "A", "A", "c2", l2_category="z")]
    scores = score_task("mmstar", [{**r, "task": "mmstar"} for r in records])
    assert scores["accuracy_mean_of_l2_categories"] == pytest.approx(2 / 3, abs=1e-6)
    assert scores["accuracy_mean_of_subtasks"] == pytest.approx((0.75 + 1) / 2)
