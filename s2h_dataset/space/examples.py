"""The search tab's examples: bundled images shown as labelled thumbnails ("Image 1", "Image 2", ...) with
their request; a click puts the images in the upload box and the request in the text box.

`gr.Examples` draws a `gr.File` sample as its file names (`1f99a.webp, 1f697.webp`), so the examples are a
`gr.Dataset` of one HTML card per example (thumbnails inlined as data URIs) whose click loads the files.
The files it loads are copies in Gradio's cache made once at start-up and marked to stay there
(`keep_in_cache`, as `gr.Examples` does), so the cache sweep and the end of a visitor's session never
delete them, and the app serves them wherever the package is installed. They are named by position only
(`example-1.webp`, `example-2.webp`, ...), so neither the upload box nor the thumbnails say which image
holds what is asked for; `example_labels()` names them once the model has answered.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path

import gradio as gr
from PIL import Image

from ..images import to_rgb
from ..vlm.chat import jpeg_data_uri
from .limits import file_digest

__all__ = ["EXAMPLES", "bundled_image", "example_card", "example_labels", "example_section"]

_IMAGES = Path(__file__).resolve().parent.parent / "data" / "fluent-emoji-3d" / "images"
# bundled Fluent Emoji 3D renders (label -> file) used by the examples and tests
_BUNDLED = {
    "peacock": "1f99a",
    "car": "1f697",
    "dog": "1f436",
    "cat": "1f431",
    "banana": "1f34c",
    "rocket": "1f680",
    "guitar": "1f3b8",
    "pizza": "1f355",
    "owl": "1f989",
    "penguin": "1f427",
    "cactus": "1f335",
    "umbrella": "2602-fe0f",
}

EXAMPLES = [
    (["dog", "peacock", "car", "banana"], "Which image contains a peacock?"),
    (["rocket", "guitar", "cactus", "owl", "pizza"], "Caption the image containing a guitar."),
    (["cat", "umbrella", "pizza", "penguin", "rocket", "dog", "owl", "car"], "Which image shows a penguin?"),
]

_SHOWN, _THUMB = 46, 92  # css pixels of a thumbnail, and its pixels (sharp on high-density screens)


def bundled_image(label: str) -> str:
    """Path of the bundled emoji render for `label` (one of the example labels)."""
    return str(_IMAGES / f"{_BUNDLED[label]}.webp")


def example_card(paths: list[str], text: str) -> str:
    """One example as HTML: numbered thumbnails in prompt order, then the request."""
    figures = []
    for i, path in enumerate(paths):
        with Image.open(path) as image:
            uri = jpeg_data_uri(to_rgb(image), quality=85, max_side=_THUMB)
        figures.append(
            f'<figure class="s2h-example-image" style="margin:0;width:{_SHOWN}px;text-align:center">'
            f'<img src="{uri}" alt="Image {i + 1}" width="{_SHOWN}" height="{_SHOWN}" '
            f'style="width:{_SHOWN}px;height:{_SHOWN}px;object-fit:contain;background:white;'
            'border-radius:6px;border:1px solid #e5e7eb;box-sizing:border-box">'
            f'<figcaption style="font-size:11px;line-height:1.3;white-space:nowrap">Image {i + 1}'
            "</figcaption></figure>"
        )
    return (
        '<div class="s2h-example" style="display:flex;flex-direction:column;gap:6px;text-align:left">'
        f'<div style="display:flex;flex-wrap:wrap;gap:6px">{"".join(figures)}</div>'
        f'<div style="font-size:14px">{html.escape(text)}</div></div>'
    )


def example_labels() -> dict[str, str]:
    """File digest -> label of every bundled example image (the search names them after answering)."""
    return {file_digest(bundled_image(label)): label for labels, _ in EXAMPLES for label in labels}


def _cached_copy(files: gr.File, label: str, position: int) -> str:
    """The bundled `label` image's copy in Gradio's cache, named `example-{position}.webp` (1-based) so the
    upload box gives the answer away neither by the emoji's code nor by its label; made again if something
    removed it; never swept."""
    source = bundled_image(label)
    dest = Path(files.GRADIO_CACHE) / "s2h-examples" / file_digest(source)[:20] / f"example-{position}.webp"
    if not dest.is_file():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
    files.keep_in_cache.add(str(dest))
    return str(dest)


def example_section(files: gr.File, query: gr.Textbox, max_images: int):
    """Examples below the search; a click fills `files` and `query`. Returns the click event (to chain the
    preview of the loaded images with `.then`)."""
    rows = [(labels[:max_images], text) for labels, text in EXAMPLES]
    for labels, _ in rows:
        for position, label in enumerate(labels, 1):
            _cached_copy(files, label, position)  # made at start-up, as `gr.Examples` does
    dataset = gr.Dataset(
        components=[gr.HTML(visible=False)],
        samples=[[example_card([bundled_image(label) for label in labels], text)] for labels, text in rows],
        type="index",
        label="Examples (bundled images): click one to load it",
        samples_per_page=len(rows),
        elem_id="s2h-examples",
    )

    def load(index: int | None):
        if index is None:
            return gr.update(), gr.update()
        labels, text = rows[index]
        return [_cached_copy(files, label, position) for position, label in enumerate(labels, 1)], text

    return dataset.click(
        load,
        inputs=[dataset],
        outputs=[files, query],
        api_visibility="private",
        concurrency_limit=None,
        show_progress="hidden",
    )
