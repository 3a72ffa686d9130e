"""Helpers for the Space tests (imported by name; fixtures live in conftest.py)."""

from __future__ import annotations

import socket


class ScriptedModel:
    """Stands in for `VisionChat` where a test needs a known reply; records every call."""

    def __init__(self, reply: str, name: str = "scripted"):
        self.reply, self.name, self.calls = reply, name, []

    def generate(self, images, text, max_new_tokens):
        self.calls.append(
            {
                "n_images": len(images),
                "sizes": [im.size for im in images],
                "text": text,
                "modes": [im.mode for im in images],
                "max_new_tokens": max_new_tokens,
            }
        )
        return self.reply


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
