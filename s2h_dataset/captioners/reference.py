"""`reference` captioner (no model): the texts a build uses when no captioning model is configured.

A source caption is used when the source has one. Otherwise the caption is built from the label and from
facts measured on the image's own pixels (`facts.py`: dominant colours of the object, its size and position
in the frame, the white background of a transparent render), so it states nothing the image does not
show; a photo without a caption gets its label and overall colours only. Drawn shape images get an exact
scene caption from their tracked counts. The phrasing (sentence pattern, frame and background words) is a
pure function of the image and of a `variant` each row draws, so chosen and rejected captions come from
the same distribution and one image's caption rarely recurs word for word across rows.
"""

from __future__ import annotations

import hashlib

from ..labels import to_be
from ..sources.base import Record
from .base import Captioner, TextRequest
from .facts import Facts, record_facts

__all__ = ["ReferenceCaptioner", "join", "phrasing", "pixel_caption", "scene_caption"]

# {where}: the position with a frame word ("in the centre of the frame"); {background}: a white-background
# phrase or nothing (always true of a transparent render, and leaving it out is no claim)
OBJECT_TEMPLATES = (
    "{A_label} in {colours}, {size} and {where}{background}.",
    "The image shows {a_label}, mostly {colours}, {size} and {where}{background}.",
    "{A_label} {be} shown {where}, {size} and mostly {colours}{background}.",
    "{A_label}, {size} and mostly {colours}, {be} {where}{background}.",
    "Here {be} {a_label} in {colours}, {size}, {where}{background}.",
    "This picture shows {a_label} {where}: {size} and mostly {colours}{background}.",
    "{A_label} {be} {where}, {size} and coloured mostly {colours}{background}.",
    "We see {a_label} {where}; {it_be} {size} and mostly {colours}{background}.",
)
FRAMES = ("", " of the frame", " of the picture")
BACKGROUNDS = (", on a white background", ", against a white background", ", set on a white background", "")
PHOTO_TEMPLATES = (
    "An image of {a_label}, mostly {colours} in colour.",
    "A picture showing {a_label}, in mostly {colours} tones.",
    "{A_label}, pictured in mostly {colours} tones.",
    "The picture shows {a_label}; its colours are mostly {colours}.",
    "An image showing {a_label} in mostly {colours} colours.",
)
SET_TEMPLATES = (
    "The images show, in order, {items}.",
    "These pictures contain {items}.",
    "Across the images there are {items}.",
)
NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _pick(key: str, options: tuple[str, ...]) -> str:
    return options[int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) % len(options)]


def phrasing(source_id: str, variant: int, photo: bool = False) -> tuple[str, str, str]:
    """(template, frame word, background phrase) of one caption of an image: a pure function of the image
    and the `variant` a row draws, so a caption rarely recurs word for word across rows (a text seen often
    would tell a chosen answer from a one-off rejected edit without the pixels)."""
    key = str(variant) if variant else source_id  # one row's captions share a phrasing
    if photo:
        return _pick(key, PHOTO_TEMPLATES), "", ""
    return _pick(key, OBJECT_TEMPLATES), _pick(key + ":frame", FRAMES), _pick(key + ":bg", BACKGROUNDS)


def join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def scene_caption(counts: tuple[tuple[str, int], ...]) -> str:
    """'Two red circles, one blue star and four green squares.' from a drawn image's tracked counts."""
    parts = [f"{NUMBERS[n]} {unit}{'s' if n != 1 else ''}" for unit, n in counts]
    return _capital(join(parts)) + "."


def fill(
    template: str,
    record: Record,
    facts: Facts,
    *,
    label: str | None = None,
    frame: str = "",
    background: str = "",
) -> str:
    """A caption template filled with a record's noun phrase (or `label`'s, claiming another object) and
    facts; `frame` and `background` are the phrasing's words (the background only when it is white)."""
    a_label = record.a_label if label is None else label
    plural = record.label_form == "plural"
    return template.format(
        a_label=a_label,
        A_label=_capital(a_label),
        be=to_be(record.label_form),
        it_be="they are" if plural else "it is",
        colours=join(list(facts.colours)),
        size=facts.size,
        where=f"{facts.position}{frame}",
        background=background if facts.on_white else "",
    )


def pixel_caption(record: Record, variant: int = 0) -> str | None:
    """A caption built from the record's label and the facts of its pixels (None: its image cannot be read),
    whatever caption the source gives: what a row stands on when the source's caption states nothing to edit."""
    facts = record_facts(record)
    if facts is None:
        return None
    template, frame, background = phrasing(record.source_id, variant, photo=not facts.size)
    return fill(template, record, facts, frame=frame, background=background)


class ReferenceCaptioner(Captioner):
    name = "reference"

    def resolve(self, requests: list[TextRequest], records: dict[str, Record]) -> list[str]:
        """Captions and descriptions from labels and pixels; `answer` requests get their fallback."""
        texts = []
        for request in requests:
            if request.kind == "caption":
                texts.append(self.caption(records[request.source_ids[0]], request.variant))
            elif request.kind == "describe":
                texts.append(self.describe([records[s] for s in request.source_ids]))
            else:
                texts.append(request.fallback)
        return texts

    def caption(self, record: Record, variant: int = 0) -> str:
        """The record's source caption, else its tracked scene, else a caption of its pixels in the
        phrasing `variant` picks."""
        if record.caption:
            return record.caption
        if record.counts:
            return scene_caption(record.counts)
        return pixel_caption(record, variant) or f"An image of {record.a_label}."

    def describe(self, records: list[Record]) -> str:
        """A description of the whole set that names every object and singles none out."""
        key = "|".join(r.source_id for r in records)
        return _pick(key, SET_TEMPLATES).format(items=join([r.a_label for r in records]))
