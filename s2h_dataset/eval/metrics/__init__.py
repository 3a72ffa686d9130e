"""`evaluate` metric modules (one folder each, loaded offline with `evaluate.load(PATH)`), publishable to the Hub.

    import evaluate
    from s2h_dataset.eval.metrics import metric_path
    pope = evaluate.load(metric_path("pope"))
    pope.compute(predictions=["yes", "no", ""], references=["yes", "yes", "no"])

Each module is a thin `evaluate.Metric` around the function `s2h eval` scores with
(`benchmarks.pope.pope_scores`, `probe.probe_scores`, `preference.preference_scores`), so both give the same numbers; its
`_info` is `metric_info(...)` of its texts and input columns.
To publish one: `evaluate-cli` is not needed; upload the folder as a Space repo (`hf upload ORG/pope
PATH --repo-type space`) and load it with `evaluate.load("ORG/pope")` (users need `s2h-dpo` installed).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["METRIC_NAMES", "metric_info", "metric_path"]

METRIC_NAMES = ("pope", "probe_accuracy", "preference_accuracy")


def metric_path(name: str) -> str:
    if name not in METRIC_NAMES:
        raise ValueError(f"unknown metric {name!r}; choose from {', '.join(METRIC_NAMES)}")
    return str(Path(__file__).parent / name)


def metric_info(description: str, inputs: str, citation: str, **columns: str):
    """The `evaluate.MetricInfo` of a metric module: its texts and one `datasets.Value(dtype)` per input
    column, e.g. `metric_info(..., predictions="string", references="string")`."""
    import datasets
    import evaluate

    features = datasets.Features({name: datasets.Value(dtype) for name, dtype in columns.items()})
    return evaluate.MetricInfo(
        description=description, citation=citation, inputs_description=inputs, features=features
    )
