"""The Gradio Blocks of the Space: tab "Global visual search" and tab "Dataset explorer".

`build_demo(...)` only wires components to the handlers in `search.py` and `explorer.py`; `launch(...)`
adds the bounded queue and starts the server. API names: `/search`, `/show_row`, `/random_row`.
"""

from __future__ import annotations

import logging
import random

import gradio as gr

from ..errors import UserError
from ..layout import SPLITS
from ..redact import redact
from .examples import EXAMPLES, bundled_image, example_labels, example_section
from .explorer import CONFIGS, allow_dataset, get_row, random_index
from .inference import ChatModel
from .limits import Limits
from .search import SearchHandler, display_model, waiting_html
from .sessions import SWEEP, SessionUploads
from .uploads import upload_files

__all__ = ["EXAMPLES", "build_demo", "bundled_image", "launch"]

logger = logging.getLogger(__name__)

_INTRO = """# S2H-DPO · global visual search
Upload {lo}–{hi} images and ask about one of them without naming it (“Which image contains a white car?”,
“Caption the image containing a peacock”). Your images show as numbered thumbnails; the model answers, and
the image its reply points at is highlighted. Your images stay in the box for further questions, and are deleted from the server when you
close or reload this page (or after 30 minutes without a question)."""

# explorer: whole images (never cropped or covered: a hidden shape changes what a row asks), the captions
# below them, and no empty band below
CSS = """
.s2h-results figure { transition: opacity .2s; }
#s2h-gallery img { object-fit: contain !important; background: white; }
#s2h-gallery .grid-wrap { min-height: 0 !important; height: auto !important; }
#s2h-gallery .grid-container { padding-top: 36px; }
#s2h-gallery .thumbnail-item { aspect-ratio: auto !important; height: auto !important; display: flex;
  flex-direction: column; }
#s2h-gallery .thumbnail-item img { aspect-ratio: 1; height: auto !important; }
#s2h-gallery .caption-label { position: static !important; max-width: 100% !important; white-space: normal;
  overflow: visible; background: none; text-align: center; padding: 4px 6px; }
"""


def _explorer_outputs(row) -> tuple:
    gallery = list(zip(row.images, row.captions()))
    return row.index, gallery, row.summary_markdown(), row.prompt, row.chosen, row.rejected


def _explorer_refusal(err: UserError) -> tuple:
    message = redact(str(err))
    gr.Warning(message)
    return gr.update(), [], f"⚠️ {message}", "", "", ""


def show_row(source: str, config: str, split: str, index: float | None) -> tuple:
    try:
        return _explorer_outputs(get_row(source, config, split, int(index or 0)))
    except UserError as err:
        return _explorer_refusal(err)


def random_row(source: str, config: str, split: str) -> tuple:
    try:
        index = random_index(source, config, split, random.Random())
        return _explorer_outputs(get_row(source, config, split, index))
    except UserError as err:
        return _explorer_refusal(err)


def _search_tab(
    model: ChatModel | None, base: ChatModel | None, limits: Limits, examples: bool
) -> SessionUploads:
    gr.Markdown(_INTRO.format(lo=limits.min_images, hi=limits.max_images))
    if model is None:
        gr.Markdown(
            "⚠️ **No model loaded.** Set `MODEL_ID` (or run `s2h space --model-name-or-path ...`) to enable search."
        )
    with gr.Row():
        with gr.Column(scale=2):
            files = upload_files(
                label=f"Images ({limits.min_images}–{limits.max_images}; PNG, JPEG, WebP, GIF or BMP)",
                file_count="multiple",
                elem_id="s2h-files",
            )
            query = gr.Textbox(
                label="Request",
                placeholder="Which image contains a peacock?",
                lines=2,
                max_length=limits.max_query_chars,
                elem_id="s2h-query",
            )
            submit = gr.Button("Search", variant="primary", elem_id="s2h-submit")
            notice = gr.Markdown(elem_id="s2h-notice")  # a refused request's message; the answer stays
        # the answer column: on a narrow screen it wraps to right under the search form (examples come after)
        with gr.Column(scale=3, min_width=320):  # the answer, and the base model's beside it (before/after)
            label = display_model(model.name) if model is not None else "model"
            gr.Markdown(f"### After training · {label}", visible=base is not None)
            highlight = gr.HTML(waiting_html("Your images"), label="Images", elem_id="s2h-highlight")
            answer = gr.Markdown(label=f"Answer · {label}", elem_id="s2h-answer")
            with gr.Accordion("Raw reply", open=False, elem_id="s2h-raw-accordion"):
                raw = gr.Textbox(show_label=False, interactive=False, elem_id="s2h-raw", lines=3)
            with gr.Column(visible=base is not None):
                gr.Markdown(f"### Before training · {display_model(base.name) if base is not None else ''}")
                base_highlight = gr.HTML(
                    waiting_html("Your images and the base model's answer"), elem_id="s2h-base-highlight"
                )
                base_answer = gr.Markdown(elem_id="s2h-base-answer")
                with gr.Accordion("Raw reply (base model)", open=False, elem_id="s2h-base-raw-accordion"):
                    base_raw = gr.Textbox(
                        show_label=False, interactive=False, lines=3, elem_id="s2h-base-raw"
                    )
    example_files = (
        sorted({bundled_image(label) for labels, _ in EXAMPLES for label in labels}) if examples else []
    )
    handler = SearchHandler(
        model,
        limits,
        cache_dir=files.GRADIO_CACHE,
        base=base,
        keep=example_files,
        labels=example_labels() if examples else None,
    )
    outputs = [files, highlight, answer, raw, base_highlight, base_answer, base_raw, notice]
    submit.click(handler, inputs=[files, query], outputs=outputs, api_name="search")
    query.submit(handler, inputs=[files, query], outputs=outputs, api_visibility="private")
    # thumbnails as soon as images arrive, a bad file named at once (not only at Search)
    preview = dict(
        fn=handler.preview, inputs=[files], outputs=outputs, api_visibility="private", show_progress="hidden"
    )
    for event in (files.upload, files.delete, files.clear):
        event(**preview)
    if examples:
        example_section(files, query, limits.max_images).then(**preview)
    # what each visitor's box holds, so it is deleted when they leave (`demo.unload` in `build_demo`)
    uploads = SessionUploads(files.GRADIO_CACHE, handler.keep_digests)
    files.change(
        uploads.hold,
        inputs=[files],
        api_visibility="private",
        concurrency_limit=None,
        show_progress="hidden",
    )
    return uploads


def _explorer_tab(dataset: str | None):
    allow_dataset(dataset)  # the dataset the app was started with is served, with S2H_EXPLORER_DATASETS
    gr.Markdown("Open a dataset built with `s2h build --out DIR` (its folder) or a Hub id, then pick a row.")
    with gr.Row():
        source = gr.Textbox(
            label="Dataset folder or Hub id", value=dataset or "", scale=3, elem_id="s2h-source"
        )
        config = gr.Dropdown(list(CONFIGS), value="level3", label="Config", scale=1, elem_id="s2h-config")
        split = gr.Radio(list(SPLITS), value="train", label="Split", scale=1)
        index = gr.Number(value=0, precision=0, minimum=0, label="Row", scale=1, elem_id="s2h-index")
    with gr.Row():
        show = gr.Button("Show row", variant="primary", elem_id="s2h-show")
        rand = gr.Button("Random row", elem_id="s2h-random")
    summary = gr.Markdown(elem_id="s2h-summary")
    gallery = gr.Gallery(
        label="Images, in prompt order",
        columns=6,
        height="auto",
        object_fit="contain",
        allow_preview=True,
        elem_id="s2h-gallery",
    )
    prompt = gr.Textbox(label="Prompt", interactive=False, elem_id="s2h-prompt")
    with gr.Row():
        chosen = gr.Textbox(label="Chosen", interactive=False, elem_id="s2h-chosen")
        rejected = gr.Textbox(label="Rejected", interactive=False, elem_id="s2h-rejected")
    outputs = [index, gallery, summary, prompt, chosen, rejected]
    show.click(show_row, inputs=[source, config, split, index], outputs=outputs, api_name="show_row")
    rand.click(random_row, inputs=[source, config, split], outputs=outputs, api_name="random_row")
    return (show_row, [source, config, split, index], outputs) if dataset else None


def build_demo(
    model: ChatModel | None,
    base: ChatModel | None = None,
    limits: Limits | None = None,
    dataset: str | None = None,
    examples: bool = True,
) -> gr.Blocks:
    """The Space's Blocks. `model`/`base` are loaded `VisionChat`s (or anything with `name` + `generate`)."""
    limits = limits or Limits()
    # uploads go when their session ends; the sweep takes explorer images and uploads left unused
    with gr.Blocks(title="S2H-DPO global visual search", analytics_enabled=False, delete_cache=SWEEP) as demo:
        with gr.Tab("Global visual search", id="search"):
            uploads = _search_tab(model, base, limits, examples)
        demo.unload(uploads.release)
        with gr.Tab("Dataset explorer", id="explorer"):
            first = _explorer_tab(dataset)
        if first is not None:  # a dataset was given: its row 0 is on screen when the page opens
            fn, inputs, outputs = first
            demo.load(fn, inputs=inputs, outputs=outputs, api_visibility="private")
    demo.queue(default_concurrency_limit=limits.concurrency, max_size=limits.max_queue)
    return demo


def launch(
    demo: gr.Blocks,
    limits: Limits | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    prevent_thread_lock: bool = False,
    **kwargs,
):
    """Start the server (theme and CSS go to `launch()` in Gradio 6)."""
    limits = limits or Limits()
    return demo.launch(
        server_name=host,
        server_port=port,
        prevent_thread_lock=prevent_thread_lock,
        ssr_mode=False,
        max_file_size=f"{2 * limits.max_file_mb}mb",
        theme=gr.themes.Soft(),
        css=CSS,
        **kwargs,
    )
