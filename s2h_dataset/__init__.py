"""S2H-DPO toolkit: build, audit, publish, train on, evaluate and demo multi-image preference data.

The package is importable as `s2h_dataset`; the `s2h` console script (`s2h_dataset.cli`) exposes it.
"""

from .schema import COLUMNS, CONFIG_LEVELS, LEVEL_TASKS

__version__ = "0.1.0"
__all__ = ["COLUMNS", "CONFIG_LEVELS", "FEATURES", "LEVEL_TASKS", "__version__"]


FEATURES: object  # `schema.FEATURES`, resolved by `__getattr__` below


def __getattr__(name: str):
    if name == "FEATURES":  # imports `datasets`: only when asked for
        from . import schema

        return schema.FEATURES
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
