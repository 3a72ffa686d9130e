"""S2H-DPO toolkit: build, audit, publish, train on, evaluate and demo multi-image preference data.

The package is importable as `s2h_dataset`; the `s2h` console script (`s2h_dataset.cli`) exposes it.
"""

from .schema import COLUMNS, CONFIG_LEVELS, FEATURES, LEVEL_TASKS

__version__ = "0.1.0"
__all__ = ["COLUMNS", "CONFIG_LEVELS", "FEATURES", "LEVEL_TASKS", "__version__"]
