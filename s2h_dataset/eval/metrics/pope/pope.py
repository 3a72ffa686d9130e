"""POPE (Li et al., 2023): accuracy, precision, recall, F1 of "yes" and the yes-ratio; unreadable = wrong."""

import evaluate

from s2h_dataset.eval.benchmarks.pope import pope_scores
from s2h_dataset.eval.metrics import metric_info

_DESCRIPTION = """POPE object-hallucination scores for yes/no replies already read as "yes" / "no".
A prediction that is neither (an unreadable reply, pass "") is the wrong answer for every score: a false
negative when the reference is "yes", a false positive when it is "no"."""
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of str): "yes", "no", or "" for an unreadable reply.
    references (list of str): "yes" or "no".
Returns:
    accuracy, precision, recall, f1 (of "yes"), yes_ratio (share of predictions that are "yes").
Examples:
    >>> pope = evaluate.load("s2h_dataset/eval/metrics/pope")
    >>> pope.compute(predictions=["yes", "no", ""], references=["yes", "no", "no"])["accuracy"]
    0.6666666666666666
"""
_CITATION = """@inproceedings{li2023pope, title={Evaluating Object Hallucination in Large Vision-Language Models},
author={Li, Yifan and Du, Yifan and Zhou, Kun and Wang, Jinpeng and Zhao, Wayne Xin and Wen, Ji-Rong},
booktitle={EMNLP}, year={2023}}"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Pope(evaluate.Metric):
    def _info(self):
        return metric_info(
            _DESCRIPTION, _KWARGS_DESCRIPTION, _CITATION, predictions="string", references="string"
        )

    def _compute(self, predictions, references):
        return pope_scores([p or None for p in predictions], list(references))
