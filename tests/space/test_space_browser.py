"""The Space in a real browser: headless Debian Chromium driven by Playwright, as a person uses it.

Skipped (with the reason) only where /usr/bin/chromium is missing; `.ci/run` installs it (`.ci/install-debian.sh`).
"""

import os
import time

import pytest
from PIL import Image
from space_helpers import ScriptedModel

from s2h_dataset.space.limits import Limits
from s2h_dataset.testing.browser import CHROMIUM, CHROMIUM_FLAGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} missing: apt-get install chromium chromium-driver"
    ),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="the `playwright` package is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def _listed(page) -> str:
    """The upload box's rendered text (names are drawn as stem + suffix in two elements: joined here)."""
    return page.locator("#s2h-files").inner_text().replace("\n.", ".")


def _wait_listed(page, name: str, timeout: float = 20) -> None:
    """Wait until the upload box lists `name` (its rendered text: hidden copies elsewhere do not count)."""
    deadline = time.monotonic() + timeout
    while name not in _listed(page) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert name in _listed(page), f"{name} never listed in the upload box"


def _wait_text(page, selector: str, text: str, screenshot, timeout: float = 60) -> None:
    """Wait until `selector`'s text holds `text` (curly quotes ignored); a screenshot if it never does."""
    deadline = time.monotonic() + timeout
    while text not in page.locator(selector).inner_text().replace("“", "").replace("”", ""):
        if time.monotonic() > deadline:
            page.screenshot(path=str(screenshot), full_page=True)
            raise AssertionError(f"{selector} never showed {text!r}; see {screenshot}")
        time.sleep(0.2)


def _wait_calls(model, before: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(model.calls) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(model.calls) == before + 1, "the request never reached the model"


@pytest.mark.slow
def test_search_and_explore_in_the_browser(browser, served, tiny_model, space_dataset, tmp_path):
    from s2h_dataset.space.ui import EXAMPLES, build_demo, bundled_image

    # the scripted model makes the pick known; the real tiny model answers beside it (before/after view)
    scripted = ScriptedModel("The peacock is in the second image.")
    url = served(
        build_demo(scripted, base=tiny_model, limits=Limits(max_new_tokens=8), dataset=space_dataset)
    )
    page = browser.new_page(viewport={"width": 1280, "height": 1100})
    start = time.perf_counter()
    page.goto(url)
    page.locator("#s2h-submit").wait_for(state="visible", timeout=30_000)
    load_seconds = time.perf_counter() - start
    print(f"page load (goto -> Search button visible): {load_seconds:.2f} s")

    files = [bundled_image(label) for label in ("dog", "peacock", "car", "banana")]
    page.locator("#s2h-files input[type=file]").set_input_files(files)
    _wait_listed(page, "1f34c.webp")  # the last file is listed
    page.locator("#s2h-query textarea").fill("Which image contains a peacock?")
    page.locator("#s2h-submit").click()

    chosen = page.locator("#s2h-highlight .s2h-chosen")
    chosen.wait_for(state="visible", timeout=60_000)
    assert chosen.get_attribute("data-index") == "2"
    assert page.locator("#s2h-highlight figure").count() == 4
    box = chosen.locator("img").bounding_box()
    assert box and box["width"] > 100  # the thumbnail really renders
    # labels say "Image 2" (and, once answered, what a bundled image shows), never the hash file name; one
    # answer box names the model, not a local path
    assert chosen.locator("figcaption").inner_text().strip() == "Image 2 · peacock"
    assert "1f99a" not in page.locator("#s2h-highlight").inner_text()
    answer = page.locator("#s2h-answer").inner_text()
    assert "Model's pick: Image 2" in answer and "The peacock is in the second image." in answer
    assert "1f99a" not in answer
    page.locator("#s2h-base-highlight figure").first.wait_for(state="visible", timeout=30_000)
    # the base model's answer sits under the trained one's, in the same column (not below the examples)
    main_box = page.locator("#s2h-highlight").bounding_box()
    base_box = page.locator("#s2h-base-highlight").bounding_box()
    assert abs(base_box["x"] - main_box["x"]) < 30 and base_box["y"] > main_box["y"], (main_box, base_box)
    base_title = page.get_by_text("Before training ·").inner_text()
    assert tiny_model.name not in base_title and "/tmp" not in base_title
    # the raw reply is in a collapsed accordion: hidden until opened
    assert not page.locator("#s2h-raw textarea").is_visible()
    page.locator("#s2h-raw-accordion").get_by_text("Raw reply").first.click()
    page.locator("#s2h-raw textarea").wait_for(state="visible", timeout=10_000)
    assert page.locator("#s2h-raw textarea").input_value() == "The peacock is in the second image."
    assert scripted.calls[-1]["n_images"] == 4
    # the uploads are still there after the answer: ask a second question about the same images
    assert "1f34c.webp" in _listed(page)
    calls = len(scripted.calls)
    page.locator("#s2h-query textarea").fill("Which image shows a car?")
    page.locator("#s2h-submit").click()
    _wait_calls(scripted, calls)
    assert scripted.calls[-1]["n_images"] == 4 and scripted.calls[-1]["text"] == "Which image shows a car?"
    page.screenshot(path=str(tmp_path / "search.png"), full_page=True)

    # a bad file among good ones: named in a warning as soon as it is uploaded, dropped from the box, the
    # good ones kept and searched
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    calls = len(scripted.calls)
    page.locator("#s2h-files input[type=file]").set_input_files([*files[:3], str(notes)])
    _wait_text(page, "body", "notes.txt is not an image", tmp_path / "no-warning.png")
    deadline = time.monotonic() + 30
    while "notes.txt" in _listed(page) and time.monotonic() < deadline:
        time.sleep(0.2)
    listed = _listed(page)
    assert "notes.txt" not in listed and all(n in listed for n in ("1f436", "1f99a", "1f697"))
    assert len(scripted.calls) == calls  # named at upload, before any search
    page.locator("#s2h-submit").click()
    _wait_calls(scripted, calls)
    assert (
        scripted.calls[-1]["n_images"] == 7
    )  # the 4 kept from before + 3 new good ones; the bad one left out
    page.screenshot(path=str(tmp_path / "warning.png"), full_page=True)

    # examples are thumbnails labelled "Image 1".."Image N" with their request, never file names
    thumbs = page.locator("#s2h-examples img")
    assert thumbs.count() == sum(len(labels) for labels, _ in EXAMPLES)
    sizes = [thumbs.nth(i).evaluate("e => [e.naturalWidth, e.naturalHeight]") for i in range(thumbs.count())]
    assert all(w > 0 and h > 0 for w, h in sizes), sizes  # decoded images, not broken icons
    assert all(thumbs.nth(i).bounding_box()["width"] >= 40 for i in range(thumbs.count()))
    cards = page.locator("#s2h-examples .s2h-example")
    assert cards.count() == len(EXAMPLES)
    first_card = cards.first.inner_text()
    assert all(f"Image {i}" in first_card for i in (1, 2, 3, 4)) and EXAMPLES[0][1] in first_card
    assert ".webp" not in page.locator("#s2h-examples").inner_text()
    # an example works twice in a row: its images land in the box (named by position only), then search
    for attempt in (1, 2):
        calls = len(scripted.calls)
        cards.first.click()
        _wait_listed(page, "example-4.webp")
        deadline = time.monotonic() + 20
        while page.locator("#s2h-query textarea").input_value() != EXAMPLES[0][1]:
            assert time.monotonic() < deadline, "the example did not fill the request"
            time.sleep(0.2)
        page.locator("#s2h-submit").click()
        _wait_calls(scripted, calls)
        assert scripted.calls[-1]["n_images"] == 4, f"example run {attempt}"
    pick = page.locator("#s2h-highlight .s2h-chosen figcaption")
    deadline = time.monotonic() + 30
    while "peacock" not in (pick.inner_text() if pick.count() else ""):
        assert time.monotonic() < deadline, "the example's answer was never shown"
        time.sleep(0.2)
    assert pick.inner_text().strip() == "Image 2 · peacock"

    # the explorer opened on row 0 of the given dataset, before any click
    page.get_by_role("tab", name="Dataset explorer").click()
    page.locator("#s2h-gallery img").first.wait_for(state="visible", timeout=30_000)
    summary = page.locator("#s2h-summary").inner_text()
    assert "level 3" in summary.replace("**", "") and "Row 0 of" in summary
    images = page.locator("#s2h-gallery img")
    assert images.count() >= 2
    # whole images: scaled to fit, never cropped; and no empty band under them
    assert {images.nth(i).evaluate("e => getComputedStyle(e).objectFit") for i in range(images.count())} == {
        "contain"
    }
    gallery_box = page.locator("#s2h-gallery").bounding_box()
    lowest = max(
        images.nth(i).bounding_box()["y"] + images.nth(i).bounding_box()["height"]
        for i in range(images.count())
    )
    assert gallery_box["y"] + gallery_box["height"] - lowest < 120, (gallery_box, lowest)
    # nothing drawn over the images: captions sit below them, the gallery's label above the first
    captions = page.locator("#s2h-gallery .caption-label")
    assert captions.count() == images.count()
    for i in range(images.count()):
        image, caption = images.nth(i).bounding_box(), captions.nth(i).bounding_box()
        assert caption["y"] >= image["y"] + image["height"] - 1, (i, image, caption)
    label = page.locator("#s2h-gallery label").first.bounding_box()
    assert label["y"] + label["height"] <= images.first.bounding_box()["y"] + 1, label
    assert page.locator("#s2h-prompt textarea").input_value()
    assert (
        page.locator("#s2h-chosen textarea").input_value()
        != page.locator("#s2h-rejected textarea").input_value()
    )
    page.screenshot(path=str(tmp_path / "explorer.png"), full_page=True)
    if os.environ.get("S2H_SCREENSHOT_DIR"):  # keep copies to look at
        for name in ("search.png", "warning.png", "explorer.png"):
            (tmp_path / name).replace(os.path.join(os.environ["S2H_SCREENSHOT_DIR"], name))


def _own_images(folder, tag: str, n: int) -> list[str]:
    """`n` PNGs with bytes new to this run (so no earlier upload shares their content-addressed path)."""
    from s2h_dataset.space.ui import bundled_image

    paths = []
    for i in range(n):
        with Image.open(bundled_image(("dog", "car", "owl", "cat")[i % 4])) as image:
            rgb = image.convert("RGB")
        rgb.putpixel((0, 0), (i, os.getpid() % 256, time.time_ns() % 256))
        path = folder / f"{tag}-{i}.png"
        rgb.save(path)
        paths.append(str(path))
    return paths


def _on_server(name: str) -> list[str]:
    """Paths of the uploads called `name` in Gradio's upload folder."""
    from gradio.utils import get_upload_folder

    root = get_upload_folder()
    return [os.path.join(d, name) for d, _, names in os.walk(root) if name in names]


def _wait_gone(name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while _on_server(name) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _on_server(name), f"{name} still on the server: {_on_server(name)}"


@pytest.mark.slow
def test_uploads_deleted_when_the_session_ends(browser, served, tmp_path):
    from s2h_dataset.space.ui import build_demo

    scripted = ScriptedModel("Image 1")
    url = served(build_demo(scripted, limits=Limits(max_new_tokens=8)))
    tag = f"own-{os.getpid()}-{time.time_ns()}"
    mine = _own_images(tmp_path, tag, 3)

    first = browser.new_page()
    first.goto(url)
    first.locator("#s2h-files input[type=file]").set_input_files(mine)
    _wait_listed(first, f"{tag}-2.png")
    first.locator("#s2h-query textarea").fill("Which image shows a dog?")
    first.locator("#s2h-submit").click()
    _wait_calls(scripted, 0)
    assert all(_on_server(f"{tag}-{i}.png") for i in range(3))  # kept while the session uses them

    # a second visitor sends the same bytes as one of the first's files: one shared file on the server
    second = browser.new_page()
    second.goto(url)
    theirs = _own_images(tmp_path, f"{tag}-b", 2)
    second.locator("#s2h-files input[type=file]").set_input_files([mine[0], *theirs])
    _wait_listed(second, f"{tag}-b-1.png")

    # a file removed from the box is deleted at once; the box's other files stay
    first.locator("#s2h-files").get_by_role("button", name="Remove this file").nth(2).click()
    _wait_gone(f"{tag}-2.png")
    assert _on_server(f"{tag}-1.png")

    # the first visitor closes the tab: their files go, except the one the second visitor also holds
    first.close()
    _wait_gone(f"{tag}-1.png")
    assert _on_server(f"{tag}-0.png") and _on_server(f"{tag}-b-0.png")

    # the second visitor loads an example (their uploads leave the box and go), searches, and leaves
    second.locator("#s2h-examples .s2h-example").first.click()
    _wait_listed(second, "example-4.webp")
    _wait_gone(f"{tag}-b-0.png")
    _wait_gone(f"{tag}-0.png")
    calls = len(scripted.calls)
    second.locator("#s2h-submit").click()
    _wait_calls(scripted, calls)
    assert scripted.calls[-1]["n_images"] == 4
    second.close()

    # the examples' images outlive both sessions: a new visitor's example search works
    third = browser.new_page()
    third.goto(url)
    third.locator("#s2h-examples .s2h-example").first.click()
    _wait_listed(third, "example-4.webp")
    calls = len(scripted.calls)
    third.locator("#s2h-submit").click()
    _wait_calls(scripted, calls)
    assert scripted.calls[-1]["n_images"] == 4
    third.close()


@pytest.mark.slow
def test_thumbnails_before_search_warnings_keep_the_answer_and_a_narrow_screen(browser, served, tmp_path):
    """At 420 px: uploads show as numbered thumbnails before Search, right under the form; the answer comes
    right there too (the examples after it); an empty request warns and keeps the last answer; example
    images have neutral names and are named only once the model has answered."""
    from s2h_dataset.space.ui import EXAMPLES, build_demo, bundled_image

    scripted = ScriptedModel("The peacock is in the second image.")
    url = served(build_demo(scripted, limits=Limits(max_new_tokens=8)))
    page = browser.new_page(viewport={"width": 420, "height": 900})
    page.goto(url)
    page.locator("#s2h-submit").wait_for(state="visible", timeout=30_000)

    files = [bundled_image(label) for label in ("dog", "peacock", "car", "banana")]
    page.locator("#s2h-files input[type=file]").set_input_files(files)
    preview = page.locator('#s2h-highlight .s2h-results[data-pick="pending"] figure')
    deadline = time.monotonic() + 30
    while preview.count() < 4:
        assert time.monotonic() < deadline, "no thumbnails of the uploads before Search"
        time.sleep(0.2)
    assert scripted.calls == [] and preview.nth(3).locator("img").bounding_box()["width"] > 60
    assert preview.nth(1).locator("figcaption").inner_text().strip() == "Image 2"

    page.locator("#s2h-query textarea").fill("Which image contains a peacock?")
    page.locator("#s2h-submit").click()
    chosen = page.locator("#s2h-highlight .s2h-chosen")
    chosen.wait_for(state="visible", timeout=60_000)
    # narrow screen: images and answer right under the Search button, the examples only after them
    submit, highlight = (
        page.locator("#s2h-submit").bounding_box(),
        page.locator("#s2h-highlight").bounding_box(),
    )
    answer, examples = (
        page.locator("#s2h-answer").bounding_box(),
        page.locator("#s2h-examples").bounding_box(),
    )
    assert submit["y"] < highlight["y"] < answer["y"] < examples["y"], (submit, highlight, answer, examples)
    assert highlight["y"] - (submit["y"] + submit["height"]) < 250, (submit, highlight)
    page.screenshot(path=str(tmp_path / "narrow.png"), full_page=True)

    # an empty request: a warning, and the last answer and its images stay
    calls = len(scripted.calls)
    page.locator("#s2h-query textarea").fill("")
    page.locator("#s2h-submit").click()
    _wait_text(page, "#s2h-notice", "type a request", tmp_path / "no-notice.png")
    assert len(scripted.calls) == calls
    assert chosen.count() == 1 and chosen.get_attribute("data-index") == "2"
    assert "Model's pick: Image 2" in page.locator("#s2h-answer").inner_text()

    # an example: neutral names in the box and on the thumbnails, the label only once answered
    page.locator("#s2h-examples .s2h-example").first.click()
    _wait_listed(page, "example-4.webp")
    listed = _listed(page)
    assert not any(label in listed for label in EXAMPLES[0][0]), listed
    pending = page.locator('#s2h-highlight .s2h-results[data-pick="pending"] figcaption')
    deadline = time.monotonic() + 30
    while pending.count() < 4:
        assert time.monotonic() < deadline, "no thumbnails of the example's images"
        time.sleep(0.2)
    assert [pending.nth(i).inner_text().strip() for i in range(4)] == [f"Image {i}" for i in (1, 2, 3, 4)]
    page.locator("#s2h-submit").click()
    pick = page.locator("#s2h-highlight .s2h-chosen figcaption")
    pick.wait_for(state="visible", timeout=60_000)
    assert pick.inner_text().strip() == "Image 2 · peacock"
    page.close()
