"""Global visual search: one request over uploaded images -> the model's reply, the image it points at,
and an HTML view with that image highlighted.

`SearchHandler` is the Gradio event handler (the UI wires it in `ui.py`); it is a plain callable so tests
call it directly. The highlight is HTML with the images inlined as data URIs, so no copy of an upload is
written to disk; the uploaded files themselves are deleted before the handler returns.
"""

from __future__ import annotations

import html
import logging
import time
from dataclasses import dataclass

import gradio as gr
from PIL import Image

from ..vlm.chat import jpeg_data_uri
from ..vlm.replies import read_position
from .inference import ChatModel
from .limits import Limits, UploadError, discard_uploads, file_digest, load_uploads

__all__ = ["SearchHandler", "SearchResult", "highlight_html", "run_search"]

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


def highlight_html(names: list[str], images: list[Image.Image], result: SearchResult) -> str:
    """A row of numbered thumbnails; the picked one gets a coloured border and a badge, the others fade."""
    figures = []
    for i, (name, image) in enumerate(zip(names, images)):
        chosen = i == result.pick
        border = f"6px solid {_PICK_COLOUR}" if chosen else "2px solid #d1d5db"
        opacity = "1" if chosen or result.pick is None else "0.45"
        badge = (
            f'<span style="position:absolute;top:8px;left:8px;background:{_PICK_COLOUR};color:white;'
            "padding:2px 8px;border-radius:999px;font-weight:600;font-size:13px\">model's pick</span>"
            if chosen
            else ""
        )
        figures.append(
            f'<figure class="s2h-image{" s2h-chosen" if chosen else ""}" data-index="{i + 1}" '
            f'style="position:relative;margin:0;width:170px;opacity:{opacity}">'
            f'<img src="{jpeg_data_uri(image, quality=85, max_side=_THUMB)}" alt="Image {i + 1}" '
            f'style="width:100%;aspect-ratio:1;object-fit:contain;background:white;border:{border};'
            f'border-radius:10px;box-sizing:border-box">{badge}'
            f'<figcaption style="text-align:center;font-size:13px"><b>Image {i + 1}</b> '
            f"{html.escape(name)}</figcaption></figure>"
        )
    pick = "none" if result.pick is None else str(result.pick + 1)
    return (
        f'<div class="s2h-results" data-pick="{pick}" data-model="{html.escape(result.model)}" '
        f'style="display:flex;flex-wrap:wrap;gap:12px">{"".join(figures)}</div>'
    )


def _answer_markdown(names: list[str], result: SearchResult) -> str:
    if result.pick is None:
        if result.unreadable in (None, "no answer found"):
            head = f"**The reply names none of the {len(names)} images.**"
        else:  # the probe scores such a reply as unreadable too
            head = (
                f"**No single pick** ({result.unreadable}); the probe would score this reply as unreadable."
            )
    else:
        head = f"**Model's pick: Image {result.pick + 1}** (`{names[result.pick]}`)"
    quoted = "\n".join(f"> {line}" for line in (result.reply or "(empty reply)").splitlines())
    return f"{head}\n\n{quoted}\n\n<sub>{result.model} · {result.seconds:.2f} s</sub>"


class SearchHandler:
    """`handler(files, query)` -> (cleared upload, html, answer, raw reply, base html, base answer, base raw).

    Bad input shows a `gr.Warning` and also puts the message in the answer box (API callers see it there).
    Uploads under `cache_dir` are deleted, except files identical to one in `keep` (the bundled examples).
    """

    def __init__(
        self,
        model: ChatModel | None,
        limits: Limits,
        cache_dir: str,
        base: ChatModel | None = None,
        keep: tuple[str, ...] | list[str] = (),
    ):
        self.model, self.base, self.limits = model, base, limits
        self.cache_dir, self.keep_digests = cache_dir, frozenset(file_digest(path) for path in keep)

    def _refuse(self, message: str) -> tuple:
        gr.Warning(message)
        return (None, "", f"⚠️ {message}", "", "", "", "")

    def __call__(self, files: list[str] | None, query: str | None) -> tuple:
        paths = [str(f) for f in (files or [])]
        try:
            if self.model is None:
                return self._refuse(
                    "no model is loaded; start the app with MODEL_ID set or `s2h space --model ...`"
                )
            query = (query or "").strip()
            if not query:
                return self._refuse("type a request, e.g. “Which image contains a peacock?”")
            if len(query) > self.limits.max_query_chars:
                return self._refuse(
                    f"the request is {len(query)} characters; keep it under {self.limits.max_query_chars}"
                )
            try:
                loaded = load_uploads(paths, self.limits)
            except UploadError as err:
                return self._refuse(str(err))
        finally:
            deleted = discard_uploads(paths, self.cache_dir, self.keep_digests)
            logger.debug("deleted %d uploaded files", deleted)
        names = [name for name, _ in loaded]
        images = [image for _, image in loaded]
        result = run_search(self.model, images, query, self.limits.max_new_tokens)
        logger.info("search over %d images: pick %s in %.2f s", len(images), result.pick, result.seconds)
        outputs = [None, highlight_html(names, images, result), _answer_markdown(names, result), result.reply]
        if self.base is None:
            return (*outputs, "", "", "")
        base = run_search(self.base, images, query, self.limits.max_new_tokens)
        return (*outputs, highlight_html(names, images, base), _answer_markdown(names, base), base.reply)
