"""Image sources, chosen with `--source SPEC` (repeatable).

| spec | what it gives |
|---|---|
| `emoji` | the 849 bundled Fluent Emoji 3D renders with noun labels (default) |
| `arithmetic` | procedurally drawn shapes with tracked counts (default; feeds the `arithmetic` task) |
| `imagefolder:PATH` | `PATH/<label>/<file>`, optional `PATH/captions.jsonl` |
| `hub:DATASET_ID[:CONFIG][@SPLIT]` | a `datasets` dataset with an image and a class-label column |
| `llava:JSON_PATH:IMAGE_ROOT` | single-image VQA samples in the LLaVA-665k format (level-1 `vqa_gold`) |
| `kinship:PATH` | faces with family relations, FIW or KinFaceW layout (level-2 `kinship`) |

Sources are registered by prefix in `SOURCE_KINDS` (one line each). Every record's label and texts are
normalised (`labels.clean_text`: control and bidi characters removed, whitespace collapsed; counted in the
build report), so a folder named "cat\\n" or one holding U+202E never reaches a row verbatim. Captions and VQA
answers longer than `MAX_TEXT_CHARS` are cut at a sentence end (counted) or dropped when they have none.
What a source read but left out (captions naming no file, builds inside a folder) is counted in `notes`.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from ..dataclass_args import did_you_mean
from ..labels import clean_text
from .arithmetic import arithmetic_records
from .base import Record, SourceError
from .emoji import emoji_records
from .hub import hub_records
from .imagefolder import imagefolder_records
from .kinship import RELATIONS, kinship_records
from .llava import llava_records

__all__ = [
    "DEFAULT_SOURCES",
    "MAX_TEXT_CHARS",
    "RELATIONS",
    "ROWS_PER_IMAGE",
    "SOURCE_KINDS",
    "Record",
    "SourceError",
    "Sources",
    "check_supply",
    "clip_text",
    "load_sources",
]

DEFAULT_SOURCES = ("emoji", "arithmetic")
# A source caption or VQA answer longer than this becomes a training answer only cut at a sentence end;
# the paper's answers are one to three sentences, and a 100 KB text is a data error, not an answer.
MAX_TEXT_CHARS = 2000
# Rows a level may ask of each distinct source image: beyond it rows repeat the same few images (and a
# typo like `--n-per-level 10**12` would plan for ever).
ROWS_PER_IMAGE = 1000


@dataclass
class Sources:
    """Records by use: labelled objects (L1, compare, L3), counted shapes (arithmetic), VQA samples
    (vqa_gold), faces (kinship), and the relations between people (`(a, b) -> what a is to b`)."""

    objects: list[Record] = field(default_factory=list)
    shapes: list[Record] = field(default_factory=list)
    qa: list[Record] = field(default_factory=list)
    faces: list[Record] = field(default_factory=list)
    relations: dict[tuple[str, str], str] = field(default_factory=dict)
    texts_truncated: int = 0  # captions / answers cut at a sentence end (MAX_TEXT_CHARS)
    texts_dropped: int = 0  # captions dropped / VQA samples skipped: too long and no sentence end to cut at
    notes: Counter = field(default_factory=Counter)  # NOTES: what the sources left out or changed

    KINDS = ("objects", "shapes", "qa", "faces")
    NOTES = (
        "labels_normalised",  # records whose label had control or bidi characters or runs of whitespace
        "texts_normalised",  # records whose caption, question or answer had them
        "captions_no_file",  # captions.jsonl lines naming no image file of the folder
        "captions_duplicate",  # captions.jsonl lines captioning a file an earlier line captions
        "build_folders_skipped",  # folders inside an image folder that hold a build of ours
    )

    def all_records(self) -> list[Record]:
        return [r for kind in self.KINDS for r in getattr(self, kind)]

    def stats(self) -> dict:
        counts = {kind: len(getattr(self, kind)) for kind in self.KINDS}
        texts = {"texts_truncated": self.texts_truncated, "texts_dropped": self.texts_dropped}
        return counts | texts | {note: self.notes[note] for note in self.NOTES}


@dataclass(frozen=True)
class SourceKind:
    """One `--source` prefix. `make(arg, options)` returns its records (kinship: records and relations);
    they join the `Sources` list named by `pool`. `takes_arg`: whether the spec is `prefix:ARG`."""

    prefix: str
    usage: str
    pool: str
    make: Callable[[str, dict], list[Record] | tuple[list[Record], dict]]
    takes_arg: bool = True


def _hub(arg: str, o: dict) -> list[Record]:
    return hub_records(arg, o["image_column"], o["label_column"], o["caption_column"])


# the registry: a new source is one line here (and its module)
SOURCE_KINDS = (
    SourceKind("emoji", "emoji", "objects", lambda arg, o: emoji_records(), takes_arg=False),
    SourceKind(
        "arithmetic",
        "arithmetic",
        "shapes",
        lambda arg, o: arithmetic_records(o["seed"], o["arithmetic_pool"]),
        takes_arg=False,
    ),
    SourceKind(
        "imagefolder", "imagefolder:PATH", "objects", lambda arg, o: imagefolder_records(arg, o["notes"])
    ),
    SourceKind("hub", "hub:DATASET_ID[:CONFIG][@SPLIT]", "objects", _hub),
    SourceKind("llava", "llava:JSON_PATH:IMAGE_ROOT", "qa", lambda arg, o: llava_records(arg)),
    SourceKind("kinship", "kinship:PATH", "faces", lambda arg, o: kinship_records(arg)),
)


_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(?=\s|$)")


def clip_text(text: str, limit: int = MAX_TEXT_CHARS) -> str | None:
    """`text` if short enough, else cut after its last sentence end within `limit`; None when it has none."""
    if len(text) <= limit:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, limit)]
    return text[: ends[-1]].rstrip() if ends else None


def _clean_record(record: Record) -> tuple[Record, bool, bool]:
    """(the record with its label and texts cleaned, whether the label changed, whether a text changed)."""
    label = clean_text(record.label)
    caption = clean_text(record.caption) if record.caption else record.caption
    qa = tuple(clean_text(text, lines=True) for text in record.qa) if record.qa else record.qa
    texts_changed = (caption, qa) != (record.caption, record.qa)
    if label == record.label and not texts_changed:
        return record, False, False
    return (
        dataclasses.replace(record, label=label, caption=caption, qa=qa),
        label != record.label,
        texts_changed,
    )


def _clean_texts(sources: Sources) -> None:
    """Normalise every record's label, caption and VQA turn (`clean_text`); count what changed."""
    for kind in Sources.KINDS:
        cleaned = []
        for record in getattr(sources, kind):
            original = record.label
            record, label_changed, texts_changed = _clean_record(record)
            if original and not record.label:
                raise SourceError(
                    f"source image {record.source_id!r}: its label {original!r} has no visible characters; "
                    "rename its folder or fix its label"
                )
            sources.notes["labels_normalised"] += label_changed
            sources.notes["texts_normalised"] += texts_changed
            cleaned.append(record)
        setattr(sources, kind, cleaned)


def _bound_texts(sources: Sources) -> None:
    """Cut over-long captions and VQA answers at a sentence end; drop those that cannot be cut."""
    for kind in Sources.KINDS:
        kept = []
        for record in getattr(sources, kind):
            changes = {}
            if record.caption and len(record.caption) > MAX_TEXT_CHARS:
                changes["caption"] = clip_text(record.caption)
            if record.qa and (len(record.qa[0]) > MAX_TEXT_CHARS or len(record.qa[1]) > MAX_TEXT_CHARS):
                answer = clip_text(record.qa[1])
                if len(record.qa[0]) > MAX_TEXT_CHARS or answer is None:
                    sources.texts_dropped += 1
                    continue  # a VQA sample is its question and answer: without them it is nothing
                changes["qa"] = (record.qa[0], answer)
            if changes:
                dropped = "caption" in changes and changes["caption"] is None
                sources.texts_dropped += dropped
                sources.texts_truncated += not dropped
                record = dataclasses.replace(record, **changes)
            kept.append(record)
        setattr(sources, kind, kept)


def load_sources(
    specs: list[str],
    seed: int,
    *,
    arithmetic_pool: int = 2000,
    image_column: str = "image",
    label_column: str = "label",
    caption_column: str | None = None,
) -> Sources:
    sources = Sources()
    options = {
        "seed": seed,
        "arithmetic_pool": arithmetic_pool,
        "image_column": image_column,
        "label_column": label_column,
        "caption_column": caption_column,
        "notes": sources.notes,
    }
    by_prefix = {kind.prefix: kind for kind in SOURCE_KINDS}
    for spec in specs:
        prefix, _, arg = spec.partition(":")
        kind = by_prefix.get(prefix)
        if kind is not None and kind.takes_arg and not arg:
            raise SourceError(f"`--source {spec}` needs what to read: `--source {kind.usage}`")
        if kind is not None and not kind.takes_arg and arg:
            raise SourceError(f"`--source {spec}`: {prefix} takes nothing after it; pass `--source {prefix}`")
        if kind is None:
            usages = [k.usage for k in SOURCE_KINDS]
            hint = did_you_mean(prefix, by_prefix)
            raise SourceError(f"unknown source `{spec}`{hint}; use {', '.join(usages[:-1])} or {usages[-1]}")
        made = kind.make(arg, options)
        records, relations = made if isinstance(made, tuple) else (made, {})
        getattr(sources, kind.pool).extend(records)
        sources.relations.update(relations)
    seen: set[str] = set()
    for record in sources.all_records():
        if record.source_id in seen:
            raise SourceError(f"source image `{record.source_id}` is listed twice; pass each --source once")
        seen.add(record.source_id)
    _clean_texts(sources)
    _bound_texts(sources)
    return sources


def check_supply(sources: Sources, n_per_level: int) -> None:
    """Refuse more rows per level than the sources can give without endless repeats of the same images."""
    images = len(sources.all_records())
    limit = images * ROWS_PER_IMAGE
    if n_per_level > limit:
        raise SourceError(
            f"--n-per-level {n_per_level} is more than the sources can supply: {images} source images allow "
            f"at most {limit} rows per level ({ROWS_PER_IMAGE} per image); add sources or lower --n-per-level"
        )
