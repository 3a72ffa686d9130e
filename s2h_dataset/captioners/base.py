"""The captioner interface: rows ask for texts as `TextRequest`s; a captioner resolves them in bulk.

Task generators do not call a model row by row. They put `TextRequest`s where a caption, a set description
or a model's own answer belongs; the build then hands the requests of one shard at a time to
`Captioner.resolve`, so a model backend can batch them (transformers) or send them concurrently (an
OpenAI-compatible server), and cache each answer on disk. A captioner is a context manager: leaving it
closes its HTTP client and cache; `stats()` is what the build report records of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..sources.base import Record

__all__ = ["Captioner", "TextRequest"]


@dataclass(frozen=True)
class TextRequest:
    """A text a row needs from the captioner.

    kind: `caption` (one image, a detailed caption), `describe` (all images, "caption the images" without a
        target: the level-3 rejected response) or `answer` (one image, the model's own answer to `prompt`).
    source_ids: the images, in prompt order.
    prompt: the question for `answer`; empty for the other kinds (each backend has its own prompts).
    gold: for `answer`, the gold answer; a model answer that matches it (normalised) is not a usable
        rejected response and is replaced by `fallback`.
    fallback: the text to use when no model answer is usable (also what a model-free captioner returns).
    variant: for `caption`, which phrasing of the image's caption a row draws (the reference captioner has
        many; a model captioner gives one caption per image and ignores it).
    """

    kind: str
    source_ids: tuple[str, ...]
    prompt: str = ""
    gold: str | None = None
    fallback: str | None = None
    variant: int = 0


class Captioner:
    """Base class: `name` goes into each row's meta; `resolve` returns one text per request, in order.

    `with make_captioner(...) as captioner:` closes what it holds (HTTP client, cache file) on exit.
    """

    name = "captioner"

    def resolve(self, requests: list[TextRequest], records: dict[str, Record]) -> list[str]:
        raise NotImplementedError

    def stats(self) -> dict:
        """Counters for the build report (model captioners add cache hits, fallbacks, retries)."""
        return {"captioner": self.name}

    def close(self) -> None:
        """Release what the captioner holds; the base holds nothing."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
