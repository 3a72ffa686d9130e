"""`reference` captioner (no model): the texts a build uses when no captioning model is configured.

`ReferenceCaptioner` uses a source caption when the source has one, else a fluent sentence built
from the label. Its choice of sentence depends only on the image id, like a model that gives one caption per
image, so chosen and rejected captions come from the same distribution of styles.
"""

from __future__ import annotations

import hashlib

from ..labels import with_article
from ..sources.base import Record
from .base import Captioner, TextRequest

__all__ = ["ReferenceCaptioner"]

CAPTION_TEMPLATES = (
    "The image shows {a_label}.",
    "A picture of {a_label} on a plain background.",
    "{A_label} is the main subject of this image.",
    "This image shows {a_label}, centred in the frame.",
    "A close-up view of {a_label}.",
)
SET_TEMPLATES = (
    "The images show, in order, {items}.",
    "These pictures contain {items}.",
    "Across the images there are {items}.",
)


def _pick(key: str, options: tuple[str, ...]) -> str:
    return options[int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) % len(options)]


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


class ReferenceCaptioner(Captioner):
    name = "reference"

    def resolve(self, requests: list[TextRequest], records: dict[str, Record]) -> list[str]:
        """Captions and descriptions from labels; `answer` requests get their fallback (no model to ask)."""
        texts = []
        for request in requests:
            if request.kind == "caption":
                texts.append(self.caption(records[request.source_ids[0]]))
            elif request.kind == "describe":
                texts.append(self.describe([records[s] for s in request.source_ids]))
            else:
                texts.append(request.fallback)
        return texts

    def caption(self, record: Record) -> str:
        if record.caption:
            return record.caption
        a_label = with_article(record.label)
        return _pick(record.source_id, CAPTION_TEMPLATES).format(
            a_label=a_label, A_label=a_label[:1].upper() + a_label[1:]
        )

    def describe(self, records: list[Record]) -> str:
        """A description of the whole set that names every object and singles none out."""
        key = "|".join(r.source_id for r in records)
        return _pick(key, SET_TEMPLATES).format(items=_join([with_article(r.label) for r in records]))
