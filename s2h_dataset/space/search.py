"""Global visual search: one request over uploaded images -> the model's reply, the image it points at,
and an HTML view with that image highlighted.

`SearchHandler` is the Gradio event handler (the UI wires it in `ui.py`); it is a plain callable so tests
call it directly. The highlight is HTML with the images inlined as data URIs, so no copy of an upload is
written to disk besides the upload itself.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
from PIL import Image

from ..hubnet import is_local
from ..redact import redact
from ..vlm.chat import jpeg_data_uri
from ..vlm.replies import read_position
from .inference import ChatModel
from .limits import Limits, UploadError, check_count, discard_uploads, file_digest, load_uploads
from .sessions import renew

__all__ = [
    "SearchHandler",
    "SearchResult",
    "display_model",
    "display_name",
    "highlight_html",
    "run_search",
    "waiting_html",
]

logger = logging.getLogger(__name__)

_THUMB = 320  # longer side of the inlined thumbnails
_PICK_COLOUR = "#16a34a"


@dataclass
class SearchResult:
    """One model's answer: `pick` is the 0-based image the reply points at (None if it names none, with the
    parser's reason in `unreadable`, e.g. two different images named)."""

    model: str
    reply: str
    pick: int | None
    seconds: float
    unreadable: str | None = None


def run_search(model: ChatModel, images: list[Image.Image], query: str, max_new_tokens: int) -> SearchResult:
    start = time.perf_counter()
    reply = model.generate(images, query, max_new_tokens)
    reading = read_position(reply, len(images))  # the probe's reading: the demo highlights what it scores
    pick = reading.value - 1 if reading.ok else None
    return SearchResult(model.name, reply, pick, time.perf_counter() - start, reading.failure)


_HASHY = re.compile(
    r"[0-9a-fA-F_-]+|(img|dsc|dscn|pxl|image|photo|screenshot|file|upload|example)[ _-]?[0-9_ -]*", re.I
)
_REPLY_SHOWN, _RAW_SHOWN = 400, 4000  # characters of the reply in the answer box / in the raw accordion


def display_name(filename: str) -> str:
    """A file's name when it tells something (`peacock.jpg` -> `peacock`), else "" (`1f99a.webp`, a
    camera's `IMG_2024.jpg`, a hash or UUID): the label then says only "Image 2"."""
    stem = Path(filename).stem.strip()
    digits = sum(c.isdigit() for c in stem)
    if not stem or _HASHY.fullmatch(stem) or (len(stem) >= 12 and digits >= 0.3 * len(stem)):
        return ""
    return stem if len(stem) <= 28 else stem[:27] + "…"


def display_model(name: str) -> str:
    """A model's name for people: a Hub id as is, a local folder by its last part (`…/checkpoint-500`
    keeps its run folder: `s2h-qwen/checkpoint-500`), never the whole local path."""
    if not is_local(name):
        return name
    path = Path(name)
    parts = path.expanduser().parts
    if len(parts) >= 2 and re.fullmatch(r"checkpoint-\d+", parts[-1]):
        return f"{parts[-2]}/{parts[-1]}"
    return parts[-1] if parts else name


def _label(i: int, name: str) -> str:
    shown = display_name(name)
    return f"Image {i + 1}" + (f" · {shown}" if shown else "")


def waiting_html(what: str) -> str:
    """The placeholder of an answer's image row before any image is uploaded."""
    return (
        '<div class="s2h-waiting" style="border:2px dashed #d1d5db;border-radius:10px;padding:28px 16px;'
        f'text-align:center;color:#6b7280">{what} appear here as soon as they are uploaded; after a search '
        "the image the reply points at is outlined in green.</div>"
    )


def highlight_html(names: list[str], images: list[Image.Image], result: SearchResult | None) -> str:
    """A row of numbered thumbnails; the picked one gets a coloured border and a badge, the others fade.
    With no `result` (uploaded, not searched yet) the row is a plain preview (`data-pick="pending"`)."""
    pick_index = None if result is None else result.pick
    figures = []
    for i, (name, image) in enumerate(zip(names, images)):
        chosen = i == pick_index
        border = f"6px solid {_PICK_COLOUR}" if chosen else "2px solid #d1d5db"
        opacity = "1" if chosen or pick_index is None else "0.45"
        badge = (
            f'<span style="position:absolute;top:8px;left:8px;background:{_PICK_COLOUR};color:white;'
            "padding:2px 8px;border-radius:999px;font-weight:600;font-size:13px\">model's pick</span>"
            if chosen
            else ""
        )
        figures.append(
            f'<figure class="s2h-image{" s2h-chosen" if chosen else ""}" data-index="{i + 1}" '
            f'style="position:relative;margin:0;width:132px;opacity:{opacity}">'
            f'<img src="{jpeg_data_uri(image, quality=85, max_side=_THUMB)}" alt="Image {i + 1}" '
            f'style="width:100%;aspect-ratio:1;object-fit:contain;background:white;border:{border};'
            f'border-radius:10px;box-sizing:border-box">{badge}'
            f'<figcaption style="text-align:center;font-size:13px">{html.escape(_label(i, name))}</figcaption>'
            "</figure>"
        )
    if result is None:
        pick, model = "pending", ""
    else:
        pick = "none" if result.pick is None else str(result.pick + 1)
        model = f' data-model="{html.escape(display_model(result.model))}"'
    return (
        f'<div class="s2h-results" data-pick="{pick}"{model} '
        f'style="display:flex;flex-wrap:wrap;gap:12px">{"".join(figures)}</div>'
    )


def _toast(message: str) -> str:
    """Gradio's toasts show text as is: `name` quoting reads better as “name” there."""
    return re.sub(r"`([^`]*)`", r"“\1”", redact(message))


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + f"… ({len(text)} characters)"


def _answer_markdown(names: list[str], result: SearchResult) -> str:
    """The one answer box: the verdict, the reply (cut to a few lines), and who answered how fast."""
    if result.pick is None:
        if result.unreadable in (None, "no answer found"):
            head = f"**The reply names none of the {len(names)} images.**"
        else:  # the probe scores such a reply as unreadable too
            head = (
                f"**No single pick** ({result.unreadable}); the probe would score this reply as unreadable."
            )
    else:
        shown = display_name(names[result.pick])
        head = f"**Model's pick: Image {result.pick + 1}**" + (f" ({shown})" if shown else "")
    reply = _truncate((result.reply or "(empty reply)").strip(), _REPLY_SHOWN)
    quoted = "\n".join(f"> {line}" for line in reply.splitlines())
    return f"{head}\n\n{quoted}\n\n<sub>{display_model(result.model)} · {result.seconds:.2f} s</sub>"


class SearchHandler:
    """`handler(files, query)` -> (uploads to keep, html, answer, raw reply, base html, base answer, base raw,
    notice); `handler.preview(files)` gives the same outputs for the images as uploaded, before a search.

    Uploads stay in the upload box across questions, so a person can ask again about the same images;
    an unreadable or refused file is named in a `gr.Warning` as soon as it is uploaded (and at a search),
    deleted and dropped from the box, and the good ones stay, renewed for Gradio's cache sweep
    (`sessions.SWEEP`); they are deleted when the visitor's session ends (`sessions.SessionUploads`).
    A refused request leaves the last answer on screen and puts its message in the notice (the last
    output, so API callers see it too). `labels` (file digest -> label) names bundled example images once
    the model has answered; before that their neutral names (`example-2.webp`) give nothing away.
    """

    def __init__(
        self,
        model: ChatModel | None,
        limits: Limits,
        cache_dir: str,
        base: ChatModel | None = None,
        keep: tuple[str, ...] | list[str] = (),
        labels: dict[str, str] | None = None,
    ):
        self.model, self.base, self.limits = model, base, limits
        self.cache_dir, self.keep_digests = cache_dir, frozenset(file_digest(path) for path in keep)
        self.labels = dict(labels or {})

    def _refuse(self, message: str, files=None) -> tuple:
        gr.Warning(_toast(message))
        same = gr.update()  # the last answer and its images stay on screen
        return (same if files is None else files, same, same, same, same, same, same, f"⚠️ {redact(message)}")

    def _load(self, paths: list[str]) -> tuple[list[tuple[str, Image.Image]], list[str], list[str]]:
        """(loaded (name, image) pairs, their paths, one message per bad file); bad files are deleted."""
        loaded, good, problems = [], [], []
        for path in paths:
            try:
                loaded.append(load_uploads([path], dataclasses.replace(self.limits, min_images=1))[0])
                good.append(path)
            except UploadError as err:
                problems.append(str(err))
                discard_uploads([path], self.cache_dir, self.keep_digests)
        return loaded, good, problems

    def preview(self, files: list[str] | None) -> tuple:
        """The uploaded images as numbered thumbnails before any search; a bad file is named at once,
        deleted and dropped from the box. The answers of earlier images are cleared (they were about those)."""
        loaded, good, problems = self._load([str(f) for f in (files or [])])
        kept = gr.update(value=good) if problems else gr.update()
        notice = ""
        if problems:
            notice = "⚠️ " + redact("; ".join(problems))
            gr.Warning(_toast("; ".join(problems)))
        if not loaded:
            waiting = waiting_html("Your images")
            return (
                kept,
                waiting,
                "",
                "",
                waiting_html("Your images and the base model's answer"),
                "",
                "",
                notice,
            )
        row = highlight_html([name for name, _ in loaded], [image for _, image in loaded], None)
        return kept, row, "", "", row, "", "", notice

    def _revealed(self, paths: list[str], names: list[str]) -> list[str]:
        """Bundled example images by their label once answered; uploads by their own file names."""
        if not self.labels:
            return names
        return [self.labels.get(file_digest(path), name) for path, name in zip(paths, names)]

    def __call__(self, files: list[str] | None, query: str | None) -> tuple:
        paths = [str(f) for f in (files or [])]
        if self.model is None:
            return self._refuse(
                "no model is loaded; start the app with MODEL_ID set or `s2h space --model-name-or-path ...`"
            )
        query = (query or "").strip()
        if not query:
            return self._refuse("type a request, e.g. “Which image contains a peacock?”")
        if len(query) > self.limits.max_query_chars:
            return self._refuse(
                f"the request is {len(query)} characters; keep it under {self.limits.max_query_chars}"
            )
        loaded, good, problems = self._load(paths)
        renew(good, self.cache_dir)  # in use: the sweep counts from this question
        kept = gr.update(value=good) if problems else gr.update()
        try:
            check_count(len(good), self.limits)
        except UploadError as err:
            return self._refuse("; ".join([*problems, str(err)]), kept)
        notice = ""
        if problems:
            notice = "⚠️ " + redact("; ".join(problems) + f"; searching the other {len(good)}")
            gr.Warning(_toast("; ".join(problems) + f"; searching the other {len(good)}"))
        names = self._revealed(good, [name for name, _ in loaded])
        images = [image for _, image in loaded]
        result = run_search(self.model, images, query, self.limits.max_new_tokens)
        logger.info("search over %d images: pick %s in %.2f s", len(images), result.pick, result.seconds)
        raw = _truncate(result.reply, _RAW_SHOWN)
        outputs = [kept, highlight_html(names, images, result), _answer_markdown(names, result), raw]
        if self.base is None:
            return (*outputs, "", "", "", notice)
        base = run_search(self.base, images, query, self.limits.max_new_tokens)
        return (
            *outputs,
            highlight_html(names, images, base),
            _answer_markdown(names, base),
            _truncate(base.reply, _RAW_SHOWN),
            notice,
        )
