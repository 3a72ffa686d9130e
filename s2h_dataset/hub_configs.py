"""The Hub configs of a built dataset (level1, level2, level3, all): `S2HConfig`, the `datasets.BuilderConfig`
the builder script (`s2h_dataset.py`) and the card's `configs:` YAML both use. Imports `datasets`; `configs`
re-exports both names on first use, so the CLI's help stays light.
"""

from __future__ import annotations

from dataclasses import dataclass

from .schema import CONFIG_LEVELS

__all__ = ["BUILDER_CONFIGS", "DESCRIPTIONS", "S2HConfig"]

DESCRIPTIONS = {
    "level1": "Level 1, single-image localized: the prompt names one image among distractors.",
    "level2": "Level 2, multi-image localized: compare named images or do arithmetic across them.",
    "level3": "Level 3, global visual search: find the image holding the named object.",
    "all": "All three levels mixed flat (the paper's training mixture).",
}


def _builder_configs():
    import datasets

    @dataclass
    class S2HConfig(datasets.BuilderConfig):
        """A Hub config: `levels` are the levels whose parquet shards it reads."""

        levels: tuple[int, ...] = ()

        def __post_init__(self):
            super().__post_init__()
            if not self.levels or any(level not in (1, 2, 3) for level in self.levels):
                raise ValueError(f"`levels` must be a non-empty subset of (1, 2, 3), got {self.levels}")

    S2HConfig.__qualname__ = "S2HConfig"  # as if defined at module level (reprs, pickling by name)
    configs = [
        S2HConfig(name=name, levels=levels, description=DESCRIPTIONS[name], version=datasets.Version("0.1.0"))
        for name, levels in CONFIG_LEVELS.items()
    ]
    return S2HConfig, configs


S2HConfig, BUILDER_CONFIGS = _builder_configs()
