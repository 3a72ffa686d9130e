"""The record every source yields: a stable id, a label, a way to load the image, optional text.

Records are light (no pixels): a build plans rows over thousands of them and loads an image only when
its bytes are encoded, once per build.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from ..errors import UserError

__all__ = ["Record", "RecordMemo", "SourceError"]


class SourceError(UserError):
    """A source spec or source folder a user gave cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class Record:
    """One source image.

    source_id: stable, unique across sources (`emoji:1f004`, `imagefolder:cat/001.jpg`), used for row ids
        and for the train/test split, so it must not depend on the machine or the order files are listed.
    label: the primary object, a short noun phrase ("peacock").
    load: returns the image as a PIL image (any mode; the encoder normalises it).
    caption: a reference caption when the source has one.
    kind: a coarser class used by the `compare` task ("mammal"); records with the same `kind` and
        different labels make "same kind" pairs. Defaults to the label.
    group: what must stay in one split and never appear twice in a row: the family (kinship) or the
        underlying image file (VQA samples sharing a picture). Defaults to the record itself.
    person: the person a face shows (kinship sources), `family/member`.
    qa: a (question, gold answer) pair about this image (VQA sources).
    counts: object counts per "colour shape" for procedurally drawn images (arithmetic source).
    synthetic: drawn images, encoded losslessly (PNG) by default.
    form: how the label takes an article (`labels.FORMS`: count, plural, mass, proper, the); None: guessed.
    article: `a` or `an` when the spelling misleads ("an X-ray", "a unicorn").
    subcategory, category: the label's fine and coarse class (bundled set: the emoji keyboard's), used to
        draw hard distractors.
    file: the file `load` reads, when there is one; its size and modification time (`signature`) tell a
        resumed build and the caches whether the image may have changed since they last decoded it.
    stamp: for images that are not a file of their own, what identifies their bytes (a `datasets`
        fingerprint and row; `drawn` for images drawn from the build's arguments). Empty: nothing vouches
        for the bytes, so every cache decodes the image again to compare its pixels.
    """

    source_id: str
    label: str
    load: Callable[[], Image.Image] = field(compare=False, repr=False)
    caption: str | None = None
    kind: str | None = None
    group: str | None = None
    person: str | None = None
    qa: tuple[str, str] | None = None
    counts: tuple[tuple[str, int], ...] = ()
    synthetic: bool = False
    form: str | None = None
    article: str | None = None
    subcategory: str | None = None
    category: str | None = None
    file: Path | None = field(default=None, compare=False, repr=False)
    stamp: str = field(default="", compare=False, repr=False)

    def signature(self) -> str | None:
        """A cheap signature of the bytes behind `load`: the file's size and modification time, else
        `stamp`. Equal signatures let a cache trust what it decoded before; a changed one, or None (no
        stamp, a file that cannot be stat'ed), makes it decode the image again and compare pixels
        (`images.pixel_digest`), as `datasets` and git trust a file's size and mtime."""
        if self.file is None:
            return self.stamp or None
        try:
            st = os.stat(self.file)
        except OSError:
            return None
        return f"{st.st_size}:{st.st_mtime_ns}"

    @property
    def label_form(self) -> str:
        from ..labels import guess_form

        return self.form or guess_form(self.label)

    @property
    def a_label(self) -> str:
        """The label with its indefinite article: 'a peacock', 'grapes', 'the Milky Way'."""
        from ..labels import indefinite

        return indefinite(self.label, self.label_form, self.article)

    @property
    def the_label(self) -> str:
        from ..labels import definite

        return definite(self.label, self.label_form)

    @property
    def kind_or_label(self) -> str:
        return self.kind or self.label

    @property
    def split_key(self) -> str:
        return self.group or self.source_id


class RecordMemo:
    """What `measure(record)` returned for a record's image, remembered per process by (source id,
    `Record.signature()`): a file whose size and modification time are unchanged is not read again, a
    changed one is measured again, and a record without a signature every time. For a pure function of the
    pixels (a digest, visual facts, a colour vote) the memo never changes an output. `keep_none=False`
    leaves a None result unremembered (an image that could not be read is tried again)."""

    def __init__(self, measure: Callable[[Record], object], *, keep_none: bool = True):
        self.measure = measure
        self.keep_none = keep_none
        self._values: dict[tuple[str, str], object] = {}

    def remember(self, record: Record, signature: str | None, value) -> None:
        """Note that `record`, when its signature was `signature`, measured `value`."""
        if signature is not None and (value is not None or self.keep_none):
            self._values[(record.source_id, signature)] = value

    def __call__(self, record: Record):
        signature = record.signature()
        key = (record.source_id, signature)
        if signature is not None and key in self._values:
            return self._values[key]
        value = self.measure(record)
        self.remember(record, signature, value)
        return value
