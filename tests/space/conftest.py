"""Fixtures for the Space tests: a dataset built by `s2h build`, a tiny random VLM, a scripted model, and a
launched app on 127.0.0.1 (random free port)."""

from __future__ import annotations

import os
import socket

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


class ScriptedModel:
    """Stands in for `VisionChat` where a test needs a known reply; records every call."""

    def __init__(self, reply: str, name: str = "scripted"):
        self.reply, self.name, self.calls = reply, name, []

    def generate(self, images, text, max_new_tokens):
        self.calls.append({"n_images": len(images), "sizes": [im.size for im in images], "text": text,
                           "modes": [im.mode for im in images], "max_new_tokens": max_new_tokens})  # fmt: skip
        return self.reply


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def built_dataset(tmp_path_factory) -> str:
    """A small dataset written by the real `s2h build` (all three levels, no filter)."""
    from s2h_dataset.build import BuildConfig, build

    out = tmp_path_factory.mktemp("built") / "s2h"
    build(BuildConfig(out=str(out), n_per_level=8, distractors=3, filter=False, test_fraction=0.2, seed=0))
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
