"""Fixtures for the Space tests: a dataset built by `s2h build`, a tiny random VLM, and a launched app on
127.0.0.1 (random free port). Plain helpers (the scripted model) are in space_helpers.py."""

from __future__ import annotations

import os

import pytest
from space_helpers import free_port

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


@pytest.fixture(scope="session")
def space_dataset(tmp_path_factory) -> str:
    """A small dataset written by the real `s2h build` (all three levels, no filter)."""
    from s2h_dataset.build import BuildConfig, build

    out = tmp_path_factory.mktemp("built") / "s2h"
    build(BuildConfig(out=str(out), n_per_level=8, distractors=3, filter=False, test_fraction=0.2, seed=0))
    os.environ["S2H_EXPLORER_DATASETS"] = str(out)  # as a Space owner lists the datasets it serves
    return str(out)


@pytest.fixture(scope="session")
def tiny_model():
    """A real (random) tiny Qwen2-VL loaded through the app's own loader."""
    from s2h_dataset.space.inference import VisionChat
    from s2h_dataset.testing.tiny_vlms import tiny_vlm_cache

    return VisionChat.load(str(tiny_vlm_cache("qwen2_vl")), device="cpu")


@pytest.fixture
def served():
    """Launch a demo on a free local port; yields a function (demo) -> url and closes everything after."""
    from s2h_dataset.space.ui import launch

    demos = []

    def start(demo) -> str:
        _, url, _ = launch(demo, port=free_port(), prevent_thread_lock=True, quiet=True)
        demos.append(demo)
        return url

    yield start
    for demo in demos:
        demo.close()
