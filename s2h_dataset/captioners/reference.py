"""`reference` captioner (no model): the texts a build uses when no captioning model is configured.

A source caption is used when the source has one. Otherwise the caption is built from the label and from
facts measured on the image's own pixels (`facts.py`: dominant colours of the object, its size and position
in the frame, the white background of a transparent render), so it states nothing the image does not
show; a photo without a caption gets its label and overall colours only. Drawn shape images get an exact
scene caption from their tracked counts. The sentence pattern depends only on the image id, like a model
that gives one caption per image, so chosen and rejected captions come from the same distribution.
"""

from __future__ import annotations

import hashlib

from ..labels import to_be
from ..sources.base import Record
from .base import Captioner, TextRequest
from .facts import Facts, record_facts

__all__ = ["ReferenceCaptioner", "join", "scene_caption"]

OBJECT_TEMPLATES = (
    "{A_label} in {colours}, {size} and {position} of the frame{background}.",
    "The image shows {a_label}, mostly {colours}, {size} and {position}{background}.",
    "{A_label} {be} shown {position}, {size} and mostly {colours}{background}.",
)
PHOTO_TEMPLATES = (
    "An image of {a_label}, mostly {colours} in colour.",
    "A picture showing {a_label}, in mostly {colours} tones.",
)
SET_TEMPLATES = (
    "The images show, in order, {items}.",
    "These pictures contain {items}.",
    "Across the images there are {items}.",
)
NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _pick(key: str, options: tuple[str, ...]) -> str:
    return options[int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) % len(options)]


def join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def scene_caption(counts: tuple[tuple[str, int], ...]) -> str:
    """'Two red circles, one blue star and four green squares.' from a drawn image's tracked counts."""
    parts = [f"{NUMBERS[n]} {unit}{'s' if n != 1 else ''}" for unit, n in counts]
    return _capital(join(parts)) + "."


def fill(template: str, record: Record, facts: Facts, label: str | None = None) -> str:
    """A caption template filled with a record's noun phrase (or `label`'s, claiming another object) and facts."""
    a_label = record.a_label if label is None else label
    return template.format(
        a_label=a_label,
        A_label=_capital(a_label),
        be=to_be(record.label_form),
        colours=join(list(facts.colours)),
        size=facts.size,
        position=facts.position,
        background=", on a white background" if facts.on_white else "",
    )


class ReferenceCaptioner(Captioner):
    name = "reference"

    def resolve(self, requests: list[TextRequest], records: dict[str, Record]) -> list[str]:
        """Captions and descriptions from labels and pixels; `answer` requests get their fallback."""
        texts = []
        for request in requests:
            if request.kind == "caption":
                texts.append(self.caption(records[request.source_ids[0]]))
            elif request.kind == "describe":
                texts.append(self.describe([records[s] for s in request.source_ids]))
            else:
                texts.append(request.fallback)
        return texts

    def facts(self, record: Record) -> Facts | None:
        """The record's visual facts, measured once per image (None when its image cannot be read)."""
        return record_facts(record)

    def template(self, record: Record) -> str | None:
        """The sentence pattern of the record's caption (None: it has a source caption or no facts)."""
        facts = None if record.caption or record.counts else self.facts(record)
        if facts is None:
            return None
        return _pick(record.source_id, OBJECT_TEMPLATES if facts.size else PHOTO_TEMPLATES)

    def caption(self, record: Record) -> str:
        if record.caption:
            return record.caption
        if record.counts:
            return scene_caption(record.counts)
        template = self.template(record)
        if template is None:
            return f"An image of {record.a_label}."
        return fill(template, record, self.facts(record))

    def describe(self, records: list[Record]) -> str:
        """A description of the whole set that names every object and singles none out."""
        key = "|".join(r.source_id for r in records)
        return _pick(key, SET_TEMPLATES).format(items=join([r.a_label for r in records]))
