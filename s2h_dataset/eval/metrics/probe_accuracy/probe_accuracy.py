"""S2H-DPO Level-3 probe: accuracy of picking the image of a class among N + 1, its chance and a 95% CI."""

import evaluate

from s2h_dataset.eval.metrics import metric_info
from s2h_dataset.eval.probe import probe_scores

_DESCRIPTION = """Level-3 probe accuracy (S2H-DPO, section 5): which of N + 1 images (N in {2, 3, 4}
distractors) contains the class. Reports the chance level (mean of 1 / images) and a seeded percentile
bootstrap 95% interval (1000 resamples)."""
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of str): the picked image's letter ("A" = first image), "" when unreadable.
    references (list of str): the target image's letter.
    n_images (list of int): images shown per question.
Returns:
    accuracy, chance, ci95 ([low, high]).
"""
_CITATION = """@misc{s2hdpo, title={Simple-to-Hard DPO for multi-image reasoning}, note={S2H-DPO}}"""


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class ProbeAccuracy(evaluate.Metric):
    def _info(self):
        return metric_info(
            _DESCRIPTION,
            _KWARGS_DESCRIPTION,
            _CITATION,
            predictions="string",
            references="string",
            n_images="int32",
        )

    def _compute(self, predictions, references, n_images):
        return probe_scores([p or None for p in predictions], list(references), list(n_images))
