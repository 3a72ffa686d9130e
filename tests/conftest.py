"""Shared fixtures: a small real build on the bundled images, made once per test session."""

from __future__ import annotations

import os
import tempfile

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing in the tests may reach the Hub
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TQDM_DISABLE", "1")  # keep test logs readable
# datasets keys its Arrow cache of a local folder by folder name and file sizes, not contents: a rebuilt
# folder of the same name and sizes from an earlier run would load stale rows. One fresh cache per session.
os.environ["HF_DATASETS_CACHE"] = tempfile.mkdtemp(prefix="s2h-tests-datasets-")


@pytest.fixture(scope="session")
def built_dataset(tmp_path_factory):
    """Default sources, filter on, 240 rows per level, 15 % test: enough rows for balance checks."""
    from s2h_dataset.build import BuildConfig, build

    out = tmp_path_factory.mktemp("s2h") / "s2h-dpo"
    return build(BuildConfig(out=str(out), n_per_level=240, test_fraction=0.15, seed=1, workers=2))
