"""The Space's handlers called directly, then the launched app driven through `gradio_client`."""

import os
import re
import shutil
import subprocess
import sys
import time

import pytest
from PIL import Image
from space_helpers import ScriptedModel

from s2h_dataset.errors import UserError
from s2h_dataset.space.explorer import get_row
from s2h_dataset.space.limits import Limits

FOUR = ["dog", "peacock", "car", "banana"]


def _copies(tmp_path, labels):
    """Copies of bundled images inside a fake Gradio upload folder, as uploads would be."""
    from s2h_dataset.space.ui import bundled_image

    paths = []
    for i, label in enumerate(labels):
        folder = tmp_path / "cache" / f"upload{i}"
        folder.mkdir(parents=True)
        paths.append(shutil.copy(bundled_image(label), folder / f"{label}.webp"))
    return paths


def test_handler_highlights_the_parsed_image_and_keeps_uploads(tmp_path):
    import gradio as gr

    from s2h_dataset.space.search import SearchHandler

    model = ScriptedModel("The peacock is in the second image.")
    handler = SearchHandler(model, Limits(max_new_tokens=9), cache_dir=str(tmp_path / "cache"))
    paths = _copies(tmp_path, FOUR)
    kept, html, answer, raw, base_html, _, _, notice = handler(paths, "  Which image contains a peacock? ")
    assert (
        kept == gr.update() and base_html == notice == ""
    )  # the upload box keeps its files for the next question
    assert model.calls == [
        {
            "n_images": 4,
            "sizes": [(256, 256)] * 4,
            "text": "Which image contains a peacock?",
            "modes": ["RGB"] * 4,
            "max_new_tokens": 9,
        }
    ]
    assert 'data-pick="2"' in html and html.count("<figure") == 4
    assert re.search(r'class="s2h-image s2h-chosen" data-index="2"', html)
    assert html.count("data:image/jpeg;base64,") == 4  # inlined: no copy of an upload on disk
    assert "Model's pick: Image 2** (peacock)" in answer  # a meaningful file name is shown, without suffix
    assert raw == "The peacock is in the second image."
    assert all(os.path.exists(p) for p in paths)  # asked again, the same files answer again
    ctimes = [os.stat(p).st_ctime_ns for p in paths]
    time.sleep(0.05)
    assert handler(paths, "Which image contains a dog?")[1].count("<figure") == 4
    # each question renews the uploads it reads: Gradio's sweep ages files by ctime, an active visitor's stay
    assert all(os.stat(p).st_ctime_ns > before for p, before in zip(paths, ctimes))


def test_handler_side_by_side_with_base_model(tmp_path):
    from s2h_dataset.space.search import SearchHandler
    from s2h_dataset.space.ui import bundled_image

    handler = SearchHandler(
        ScriptedModel("Image 4"), Limits(), str(tmp_path), base=ScriptedModel("Image 1", "base")
    )
    out = handler([bundled_image(label) for label in FOUR], "Which image contains a banana?")
    assert 'data-pick="4"' in out[1] and 'data-pick="1"' in out[4] and out[6] == "Image 1"
    assert all(os.path.exists(bundled_image(label)) for label in FOUR)  # outside the cache: never deleted


def test_handler_reply_naming_no_image(tmp_path):
    from s2h_dataset.space.search import SearchHandler
    from s2h_dataset.space.ui import bundled_image

    handler = SearchHandler(ScriptedModel("A peacock with a blue neck."), Limits(), str(tmp_path))
    _, html, answer, *_ = handler(
        [bundled_image(label) for label in FOUR], "Caption the image with a peacock"
    )
    assert 'data-pick="none"' in html and "s2h-chosen" not in html and "names none of the 4" in answer


@pytest.mark.parametrize(
    "labels, query, message",
    [
        (["dog"], "Which one?", "at least 2"),
        (FOUR * 3, "Which one?", "at most 8"),
        (FOUR, "   ", "type a request"),
    ],
)
def test_handler_warns_on_bad_requests(tmp_path, labels, query, message):
    import gradio as gr

    from s2h_dataset.space.search import SearchHandler

    model = ScriptedModel("Image 1")
    handler = SearchHandler(model, Limits(), cache_dir=str(tmp_path / "cache"))
    paths = _copies(tmp_path, labels)
    with pytest.warns(UserWarning, match=message):
        out = handler(paths, query)
    # the message is the notice; the last answer and its images stay as they were
    assert message in out[7] and out[1] == out[2] == gr.update() and model.calls == []
    assert all(os.path.exists(p) for p in paths)  # a refused request keeps the (good) uploads


def test_handler_names_a_bad_file_and_keeps_the_good_ones(tmp_path):
    import gradio as gr

    from s2h_dataset.space.search import SearchHandler

    paths = [str(p) for p in _copies(tmp_path, ["dog", "peacock", "car"])]
    notes = tmp_path / "cache" / "upload9" / "notes.txt"
    notes.parent.mkdir()
    notes.write_text("hello")
    model = ScriptedModel("Image 2")
    handler = SearchHandler(model, Limits(), str(tmp_path / "cache"))
    with pytest.warns(UserWarning, match="“notes.txt” is not an image.*searching the other 3"):
        kept, html, *_ = handler([paths[0], str(notes), *paths[1:]], "Which one shows a peacock?")
    assert kept == gr.update(value=paths) and not notes.exists()  # the bad file leaves the box, good stay
    assert html.count("<figure") == 3 and model.calls[-1]["n_images"] == 3
    # with too few good files left, nothing runs, the good ones stay, and the message names both problems
    notes.parent.mkdir(exist_ok=True)  # its emptied upload folder went with it
    notes.write_text("hello")
    with pytest.warns(UserWarning, match="“notes.txt” is not an image.*; upload at least 2 images"):
        kept, html, *_ = handler([paths[0], str(notes)], "Which one?")
    assert kept == gr.update(value=[paths[0]]) and html == gr.update() and os.path.exists(paths[0])


@pytest.mark.parametrize(
    "name, shown",
    [
        ("1f99a.webp", ""),
        ("2602-fe0f.webp", ""),
        ("IMG_2024.jpg", ""),
        ("3f2a9c1e-77b0-4c1a-9a8e-1b2c3d4e5f60.png", ""),
        ("peacock.jpg", "peacock"),
        ("my dog Rex.png", "my dog Rex"),
    ],
)
def test_display_names_only_when_meaningful(name, shown):
    from s2h_dataset.space.search import display_name

    assert display_name(name) == shown


def test_model_name_not_a_local_path(tmp_path):
    from s2h_dataset.space.search import display_model

    run = tmp_path / "s2h-qwen" / "checkpoint-500"
    run.mkdir(parents=True)
    assert display_model(str(run)) == "s2h-qwen/checkpoint-500"
    assert display_model(str(tmp_path / "s2h-qwen")) == "s2h-qwen"
    assert display_model("Qwen/Qwen2.5-VL-7B-Instruct") == "Qwen/Qwen2.5-VL-7B-Instruct"


def test_real_tiny_model_through_the_handler(tmp_path, tiny_model):
    from s2h_dataset.space.search import SearchHandler
    from s2h_dataset.space.ui import bundled_image

    handler = SearchHandler(tiny_model, Limits(max_new_tokens=12), str(tmp_path))
    _, html, answer, raw, *_ = handler(
        [bundled_image(label) for label in FOUR], "Which image contains a peacock?"
    )
    assert raw and raw in answer.replace("\n> ", "\n")  # nonsense, but the reply went model -> parse -> view
    assert html.count("<figure") == 4 and 'data-pick="' in html


def test_explorer_shows_a_built_row(space_dataset):
    from s2h_dataset.space.ui import random_row, show_row

    row = get_row(space_dataset, "level3", "train", 0)
    assert row.level == 3 and row.task in ("caption_search", "which_image", "attribute_search")
    assert len(row.images) == 4 and row.prompt and row.chosen != row.rejected
    assert f"Image {row.target + 1}" in row.summary_markdown() and "(target)" in row.captions()[row.target]
    index, gallery, summary, prompt, chosen, _rejected = show_row(space_dataset, "all", "test", 1)
    assert index == 1 and len(gallery) >= 2 and "level" in summary and prompt and chosen
    assert random_row(space_dataset, "level1", "train")[2].count("level **1**") == 1


@pytest.mark.parametrize(
    "source, config, index, message",
    [
        ("/no/such/folder", "level3", 0, "is not one of the datasets this Space serves"),
        ("/etc", "level3", 0, "is not one of the datasets this Space serves"),
        ("someone/big-dataset", "level3", 0, "is not one of the datasets this Space serves"),
        ("BUILT", "level9", 0, "unknown config"),
        ("BUILT", "level3", 10_000, "out of range"),
    ],
)
def test_explorer_warnings(space_dataset, source, config, index, message):
    from s2h_dataset.space.ui import show_row

    source = space_dataset if source == "BUILT" else source
    with pytest.warns(UserWarning, match=message):
        out = show_row(source, config, "train", index)
    assert message in out[2] and out[1] == []


def test_explorer_serves_only_listed_datasets(space_dataset, tmp_path, monkeypatch):
    from s2h_dataset.space import explorer

    copy = tmp_path / "unlisted"
    shutil.copytree(space_dataset, copy)  # a real build, but the owner did not list it
    with pytest.raises(
        UserError, match="is not one of the datasets this Space serves; one of the 1 local"
    ) as err:
        explorer.get_row(str(copy), "level3", "train", 0)
    assert space_dataset not in str(err.value)  # a server path is never shown to a visitor
    monkeypatch.setenv(explorer.ALLOW_ENV, f"{space_dataset}, {copy}/")
    assert explorer.get_row(str(copy), "level3", "train", 0).level == 3  # listed (trailing slash and all)
    monkeypatch.setenv(explorer.ALLOW_ENV, "")
    monkeypatch.setattr(explorer, "_STARTED_WITH", set())
    with pytest.raises(UserError, match="S2H_EXPLORER_DATASETS"):  # nothing listed: nothing served
        explorer.get_row(space_dataset, "level3", "train", 0)


def test_explorer_refusal_names_hub_ids_but_no_server_path(tmp_path, monkeypatch):
    from s2h_dataset.space import explorer

    secret = tmp_path / "srv" / "private-build"
    secret.mkdir(parents=True)
    monkeypatch.setattr(explorer, "_STARTED_WITH", set())
    monkeypatch.setenv(explorer.ALLOW_ENV, f"{secret},org/public-s2h")
    with pytest.raises(UserError) as err:
        explorer.open_dataset("/etc", "level3")
    message = str(err.value)
    assert "choose one of: org/public-s2h, or one of the 1 local dataset the Space owner set up" in message
    assert str(tmp_path) not in message and "private-build" not in message


def _empty_files(root) -> set[str]:
    return {
        os.path.join(d, f)
        for d, _, names in os.walk(root)
        for f in names
        if not os.path.getsize(os.path.join(d, f))
    }


def test_launched_app_through_gradio_client(served, tiny_model, space_dataset, tmp_path):
    from gradio.utils import get_upload_folder
    from gradio_client import Client, handle_file

    from s2h_dataset.space.sessions import SWEEP
    from s2h_dataset.space.ui import EXAMPLES, build_demo, bundled_image

    scripted = ScriptedModel("Image 3")
    limits = Limits(max_new_tokens=8)
    demo = build_demo(scripted, base=tiny_model, limits=limits, dataset=space_dataset)
    url = served(demo)
    client = Client(url, verbose=False, download_files=str(tmp_path / "dl"))
    assert {"/search", "/show_row", "/random_row"} <= set(
        client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    )

    files = [handle_file(bundled_image(label)) for label in FOUR]
    out = client.predict(files, "Which image contains a car?", api_name="/search")
    assert 'data-pick="3"' in out[1] and "Image 3" in out[2] and out[3] == "Image 3"
    assert out[6] and out[5] and out[4].count("<figure") == 4  # the real tiny model answered beside it
    assert scripted.calls[-1]["n_images"] == 4

    # the user's own uploads stay for the next question (an API caller has no session: the sweep takes them)
    own = []
    for i, label in enumerate(FOUR[:3]):
        with Image.open(bundled_image(label)) as image:
            own_image = image.convert("RGB")
        own_image.putpixel((0, 0), (i, os.getpid() % 256, int(time.time()) % 256))  # new bytes each run
        own_image.save(tmp_path / f"own-upload-{i}.png")
        own.append(handle_file(str(tmp_path / f"own-upload-{i}.png")))
    # (taken here, and the files made new each run: Gradio's upload route itself leaves a 0-byte file when a
    # file already in its cache, such as a bundled example, is uploaded again; a first upload must leave none)
    empty_before = _empty_files(get_upload_folder())
    client.predict(own, "Which image contains a dog?", api_name="/search")
    assert scripted.calls[-1]["n_images"] == 3
    left = [f for _, _, names in os.walk(get_upload_folder()) for f in names if f.startswith("own-upload-")]
    assert sorted(left) == [f"own-upload-{i}.png" for i in range(3)]
    # Gradio leaves a 0-byte temp file per upload once earlier uploads are kept (seen with Gradio 6.31, not
    # ours to fix here): at most one per file sent, and the cache sweep removes them with the uploads
    assert len(_empty_files(get_upload_folder()) - empty_before) <= len(own)
    assert demo.delete_cache == SWEEP  # the sweep is what removes an API caller's files
    assert client.predict(own, "And which one shows a car?", api_name="/search")[1].count("<figure") == 3

    eight = client.predict(
        [handle_file(bundled_image(label)) for label in EXAMPLES[2][0]], "Which?", api_name="/search"
    )
    assert eight[1].count("<figure") == 8
    refused = client.predict(files[:1], "Which image contains a car?", api_name="/search")
    assert "at least 2" in refused[7]  # the notice; the answer outputs are left as they were

    index, gallery, summary, prompt, chosen, rejected = client.predict(
        space_dataset, "level3", "train", 1, api_name="/show_row"
    )
    assert index == 1 and len(gallery) == 4 and "level **3**" in summary and prompt and chosen and rejected
    assert os.path.exists(gallery[0]["image"])


def test_cli_help():
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    proc = subprocess.run(
        [sys.executable, "-m", "s2h_dataset.cli", "space", "--help"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0 and "--base-model" in proc.stdout and "--port" in proc.stdout


def test_preview_shows_uploads_and_names_a_bad_file_at_upload(tmp_path):
    import gradio as gr

    from s2h_dataset.space.search import SearchHandler

    paths = [str(p) for p in _copies(tmp_path, ["dog", "peacock", "car"])]
    notes = tmp_path / "cache" / "upload9" / "notes.txt"
    notes.parent.mkdir(parents=True)
    notes.write_text("hello")
    model = ScriptedModel("Image 2")
    handler = SearchHandler(model, Limits(), str(tmp_path / "cache"))
    with pytest.warns(UserWarning, match="“notes.txt” is not an image"):
        kept, html, answer, raw, *_, notice = handler.preview([*paths, str(notes)])
    assert kept == gr.update(value=paths) and not notes.exists() and model.calls == []
    assert 'data-pick="pending"' in html and html.count("<figure") == 3 and "s2h-chosen" not in html
    assert answer == raw == "" and "notes.txt" in notice
    kept, html, *_ = handler.preview([])
    assert "s2h-waiting" in html


def test_example_images_are_named_only_once_answered(tmp_path):
    from s2h_dataset.space.examples import example_labels
    from s2h_dataset.space.search import SearchHandler
    from s2h_dataset.space.ui import bundled_image

    copies = []
    for i, label in enumerate(["dog", "peacock", "car", "banana"], 1):
        copy = tmp_path / f"example-{i}.webp"
        shutil.copyfile(bundled_image(label), copy)
        copies.append(str(copy))
    handler = SearchHandler(
        ScriptedModel("Image 2"), Limits(), str(tmp_path / "cache"), labels=example_labels()
    )
    _, preview, *_ = handler.preview(copies)
    assert "peacock" not in preview and "example-2" not in preview and ">Image 2<" in preview
    _, html, answer, *_ = handler(copies, "Which image contains a peacock?")
    assert "Image 2 · peacock" in html and "(peacock)" in answer


def test_space_share_reaches_gradio(monkeypatch):
    """`s2h space --share` is Gradio's `share=True` (the start-up hint it prints can be acted on)."""
    import gradio as gr

    from s2h_dataset.cli import main

    seen = {}
    monkeypatch.setattr(
        gr.Blocks, "launch", lambda self, **kwargs: seen.update(kwargs)
    )  # no server, no tunnel
    monkeypatch.delenv("MODEL_ID", raising=False)
    assert main(["space", "--share", "--port", "7999"]) == 0
    assert seen["share"] is True and seen["server_port"] == 7999
    assert main(["space", "--port", "7999"]) == 0 and seen["share"] is False
