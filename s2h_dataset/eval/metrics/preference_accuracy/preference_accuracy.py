"""Preference accuracy: how often a model scores the chosen completion above the rejected one."""

import evaluate

from s2h_dataset.eval.metrics import metric_info
from s2h_dataset.eval.preference import preference_scores

_DESCRIPTION = """Preference (reward) accuracy on preference pairs: the share of pairs whose chosen
completion gets the higher score (policy log-likelihood, or the DPO implicit reward
beta * (log pi - log pi_ref)), with the mean and smallest margin chosen - rejected."""
_KWARGS_DESCRIPTION = """
Args:
    chosen (list of float): score of each pair's chosen completion.
    rejected (list of float): score of each pair's rejected completion.
Returns:
    accuracy (ties count as wrong), margin_mean, margin_min.
"""
_CITATION = """@inproceedings{rafailov2023dpo, title={Direct Preference Optimization: Your Language Model is
Secretly a Reward Model}, author={Rafailov, Rafael and others}, booktitle={NeurIPS}, year={2023}}"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class PreferenceAccuracy(evaluate.Metric):
    def _info(self):
        return metric_info(_DESCRIPTION, _KWARGS_DESCRIPTION, _CITATION, chosen="float64", rejected="float64")

    def _compute(self, chosen, rejected):
        return preference_scores(list(chosen), list(rejected))
