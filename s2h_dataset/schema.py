"""The one row schema shared by every config (level1, level2, level3, all).

Rows are TRL's conversational vision preference format: `images` + `prompt` / `chosen` / `rejected` message
lists, plus bookkeeping columns. `FEATURES` is the single definition used by the build, the validator, the
builder script (`s2h_dataset.py`) and the dataset card.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import datasets

from .layout import CONFIG_LEVELS
from .tasks import LEVEL_TASKS

__all__ = [
    "COLUMNS",
    "CONFIG_LEVELS",
    "FEATURES",
    "GENERATOR_VERSION",
    "LEVEL_TASKS",
    "RowSpec",
    "assistant_message",
    "message_text",
    "row_id",
    "user_message",
]

GENERATOR_VERSION = "s2h-dpo/0.1"

# Tasks each level can hold (derived from the task registry); a build spreads a level's rows evenly over
# the tasks its sources support.


COLUMNS = ("id", "level", "task", "images", "prompt", "chosen", "rejected", "target", "similarity", "meta")


def _features():
    import datasets

    text_part = {"type": datasets.Value("string"), "text": datasets.Value("string")}
    messages = datasets.List({"role": datasets.Value("string"), "content": datasets.List(text_part)})
    features = datasets.Features(
        {
            "id": datasets.Value("string"),
            "level": datasets.Value("int8"),
            "task": datasets.Value("string"),
            "images": datasets.List(datasets.Image()),
            "prompt": messages,
            "chosen": messages,
            "rejected": messages,
            "target": datasets.Value("int16"),
            "similarity": datasets.Value("float32"),
            "meta": datasets.Value("string"),
        }
    )
    assert tuple(features) == COLUMNS
    return features


FEATURES: datasets.Features  # built by `__getattr__` below on first use


def __getattr__(name: str):
    # `FEATURES` is built on first use: importing `datasets` costs ~1 s, and `s2h --help` must not pay it
    if name == "FEATURES":
        globals()["FEATURES"] = features = _features()
        return features
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def user_message(n_images: int, text: str) -> list[dict]:
    """One user turn: an image part per image (in prompt order), then the text."""
    content = [{"type": "image", "text": None} for _ in range(n_images)]
    content.append({"type": "text", "text": text})
    return [{"role": "user", "content": content}]


def assistant_message(text: str) -> list[dict]:
    return [{"role": "assistant", "content": [{"type": "text", "text": text}]}]


def message_text(messages: list[dict], sep: str = " ") -> str:
    """The text parts of chat messages joined by `sep` (image parts and empty texts skipped)."""
    return sep.join(
        p["text"] for m in messages for p in m["content"] if p.get("type") == "text" and p.get("text")
    )


def row_id(level: int, task: str, source_ids: list[str], prompt: str) -> str:
    """Deterministic id from what makes a row unique: level, task, images (in order) and prompt text."""
    key = json.dumps([level, task, source_ids, prompt], ensure_ascii=False)
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]


@dataclass
class RowSpec:
    """A planned row: everything but the image bytes, which are attached when its shard is written.

    While planning, `chosen` / `rejected` may be `TextRequest`s that the captioner resolves in bulk.

    `stratum` names the answer the filter must keep balanced (target position or yes/no), so dropping the
    most similar pairs cannot skew answer positions or the yes-ratio.
    """

    level: int
    task: str
    source_ids: list[str]
    prompt: str
    chosen: Any
    rejected: Any
    target: int = -1
    stratum: str = ""
    meta: dict = field(default_factory=dict)
    similarity: float = float("nan")

    @property
    def id(self) -> str:
        return row_id(self.level, self.task, self.source_ids, self.prompt)
