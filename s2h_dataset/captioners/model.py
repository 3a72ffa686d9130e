"""What every model captioner shares: prompts per request kind, the caption cache, answer checks, counters.

A backend (transformers, OpenAI-compatible server) only turns `Job`s (images + prompt) into raw model texts;
`ModelCaptioner.resolve` does the rest:

- `caption`: one image, the paper's section 2.2.3 prompt (a detailed caption of the image and its primary
  object); only the caption part of the reply is returned.
- `describe`: every image of the row, in order, "Caption the images." with no target named.
- `edit`: one image and a caption to rewrite with one factual error (VaPR-style hard negative; the planner
  validates it and falls back to a rule-based edit).
- `answer`: one image and the row's question; a reply that matches the gold answer after normalisation
  (lowercase, no punctuation or articles) is not a wrong answer, so the request's `fallback` is used instead.

Raw replies are cached by (kind, the images' pixel digests, prompt, model, settings), before any parsing, and each is written to the
cache as soon as it arrives, so an interrupted build resumes without asking again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image

from ..content import content_id
from ..images import BadImage, load_checked, to_rgb
from ..progress import bar
from ..sources.base import Record
from ..vlm.replies import same_answer
from .base import Captioner, TextRequest
from .cache import CaptionCache
from .reference import ReferenceCaptioner

__all__ = [
    "CAPTION_PROMPT",
    "DESCRIBE_PROMPT",
    "Job",
    "ModelCaptioner",
    "load_image",
    "split_caption",
]

logger = logging.getLogger(__name__)

CAPTION_PROMPT = (
    "Write a detailed caption of this image, then name the primary object in it. "
    "Reply in exactly this form:\nCaption: <a detailed caption of this image>\nPrimary object: <the primary object>"
)
DESCRIBE_PROMPT = "Caption the images."
KINDS = ("caption", "describe", "answer", "edit")
_OBJECT_LINE = re.compile(r"^\s*\**\s*primary\s+object\s*\**\s*[:\-]\s*\**", re.IGNORECASE | re.MULTILINE)
_CAPTION_LABEL = re.compile(r"^\s*\**\s*(detailed\s+)?caption\s*\**\s*:\s*\**\s*", re.IGNORECASE)


def split_caption(reply: str) -> tuple[str, str | None]:
    """(caption, primary object) from a reply to `CAPTION_PROMPT`; a reply without the labels is all caption."""
    primary = None
    match = _OBJECT_LINE.search(reply)
    if match:
        rest = reply[match.end() :].strip()
        primary = rest.splitlines()[0].strip(" *.") if rest else None
        reply = reply[: match.start()]
    caption = _CAPTION_LABEL.sub("", reply.strip(), count=1).strip()
    return caption, primary or None


def load_image(record: Record, max_side: int) -> Image.Image:
    """The record's image as RGB, shrunk so its longer side is at most `max_side` pixels."""
    image = to_rgb(load_checked(record.load))
    if max(image.size) > max_side:
        image = image.copy()
        image.thumbnail((max_side, max_side), Image.Resampling.BICUBIC)
    return image


@dataclass(frozen=True)
class Job:
    """One text to ask the model for: `images()` loads the request's images when the backend needs them."""

    key: str
    kind: str
    records: tuple[Record, ...]
    prompt: str
    max_side: int

    def images(self) -> list[Image.Image] | None:
        """The images, or None when one is unreadable (the build drops such images when it encodes them)."""
        try:
            return [load_image(r, self.max_side) for r in self.records]
        except BadImage as err:
            logger.warning(
                "%s: image unreadable (%s); the row gets a reference text",
                [r.source_id for r in self.records],
                err,
            )
            return None


class ModelCaptioner(Captioner):
    """Base class of the model backends; subclasses implement `generate`.

    model: the model's identity, part of every cache key (a Hub id, a folder name or a served model name).
    cache: where replies are kept; None asks the model every time (benchmarks only).
    max_image_side: images are shrunk to this longer side before they are sent (pixels).
    """

    edits_captions = True  # the planner asks it for VaPR-style hard negatives of its own captions

    def __init__(self, name: str, model: str, cache: CaptionCache | None, max_image_side: int = 768):
        self.name, self.model, self.cache, self.max_image_side = name, model, cache, max_image_side
        self.hits = 0  # requests answered from what the cache held when it was opened (earlier runs)
        self.repeats = 0  # requests answered by a reply this run already got (the same text asked again)
        self.misses = 0  # requests the model was asked
        self.fallbacks = 0  # requests that got a reference text (unreadable image, empty reply, gold answer)
        self._reference = ReferenceCaptioner()

    def generate(self, jobs: list[Job]) -> Iterator[tuple[int, str]]:
        """Yield (index into `jobs`, raw reply) as replies arrive, in any order; raise when one cannot be had.

        A job whose `images()` is None (unreadable image) yields a None reply and is not sent.
        """
        raise NotImplementedError

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()

    def stats(self) -> dict:
        """Counts for the build report (summable across shards): cache hits, model requests, fallbacks."""
        return {
            "captioner": self.name,
            "hits": self.hits,
            "repeats": self.repeats,
            "misses": self.misses,
            "fallbacks": self.fallbacks,
        }

    def prompt_for(self, request: TextRequest) -> str:
        if request.kind == "caption":
            return CAPTION_PROMPT
        if request.kind == "describe":
            return DESCRIBE_PROMPT
        if request.kind in ("answer", "edit"):  # edit: a VaPR-style one-error rewrite of a caption
            return request.prompt
        raise ValueError(f"unknown text request kind `{request.kind}`; expected one of {KINDS}")

    def resolve(self, requests: list[TextRequest], records: dict[str, Record]) -> list[str]:
        keys = [self._key(r, records) for r in requests]
        replies: dict[str, str] = {}
        jobs: dict[str, Job] = {}
        for request, key in zip(requests, keys):
            cached = self.cache.get(key) if self.cache is not None else None
            if cached is not None:
                replies[key] = cached
                if key in self.cache.earlier:
                    self.hits += 1
                else:
                    self.repeats += 1
            elif key not in jobs:
                jobs[key] = Job(
                    key,
                    request.kind,
                    tuple(records[s] for s in request.source_ids),
                    self.prompt_for(request),
                    self.max_image_side,
                )
            else:
                self.repeats += 1  # the same text asked twice in one batch: asked once
        replies.update(self._ask(list(jobs.values())))
        return [self._final(r, replies.get(k), records) for r, k in zip(requests, keys)]

    def _key(self, request: TextRequest, records: dict[str, Record]) -> str:
        """The request by content: the pixel digests of its images (never their paths or names), its
        prompt, and the model and settings the cache was opened with. An unreadable image has no digest;
        its request is answered by a fallback and never cached."""
        prompt = self.prompt_for(request)
        images = tuple(content_id(records[s]) or f"unreadable:{s}" for s in request.source_ids)
        if self.cache is not None:
            return self.cache.key(request.kind, images, prompt)
        return repr((request.kind, images, prompt))

    def _ask(self, jobs: list[Job]) -> dict[str, str]:
        """Replies to `jobs`, each cached as soon as it arrives (none for a job whose image is unreadable)."""
        replies = {}
        if jobs:
            logger.info("%s: asking the model for %d texts", self.name, len(jobs))
        # a model's texts are the slow part of a shard (hours for a large VLM): a bar with rate and ETA
        with bar(desc=f"{self.name}: texts", unit="text", total=len(jobs), disable=not jobs) as progress:
            for index, reply in self.generate(jobs):
                progress.update(1)
                if reply is None:
                    continue
                job = jobs[index]
                self.misses += 1
                replies[job.key] = reply
                if self.cache is not None:
                    self.cache.put(
                        job.key, reply, job.kind, tuple(r.source_id for r in job.records), job.prompt
                    )
            progress.refresh()  # the last count is drawn even when it came within tqdm's refresh interval
        return replies

    def _final(self, request: TextRequest, reply: str | None, records: dict[str, Record]) -> str | None:
        """The text a row gets from a raw reply (None: no reply, the image was unreadable)."""
        text = None
        if reply is not None:
            if request.kind == "caption":
                text = split_caption(reply)[0]
            elif request.kind == "describe" or not same_answer(reply, request.gold):
                text = reply.strip()
        if text:
            return text
        self.fallbacks += 1
        if request.kind == "answer":
            return request.fallback
        reference = self._reference.resolve([request], records)[0]
        return reference
