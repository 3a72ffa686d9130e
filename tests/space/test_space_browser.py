"""The Space in a real browser: headless Debian Chromium driven by Playwright, as a person uses it.

Skipped (with the reason) only where /usr/bin/chromium is missing; `.ci/run` installs it (`.ci/install-debian.sh`).
"""

import os
import time

import pytest
from space_helpers import ScriptedModel

from s2h_dataset.space.limits import Limits
from s2h_dataset.space.ui import build_demo, bundled_image

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]

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
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
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


def _wait_calls(model, before: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(model.calls) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(model.calls) == before + 1, "the request never reached the model"


def test_search_and_explore_in_the_browser(browser, served, tiny_model, space_dataset, tmp_path):
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
    # labels say "Image 2", not the hash file name; one answer box names the model, not a local path
    assert chosen.locator("figcaption").inner_text().strip() == "Image 2"
    assert "1f99a" not in page.locator("#s2h-highlight").inner_text()
    answer = page.locator("#s2h-answer").inner_text()
    assert "Model's pick: Image 2" in answer and "The peacock is in the second image." in answer
    assert "1f99a" not in answer
    page.locator("#s2h-base-highlight figure").first.wait_for(state="visible", timeout=30_000)
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

    # a bad file among good ones: named in a warning, dropped from the box, the good ones kept and searched
    notes = tmp_path / "notes.txt"
    notes.write_text("not an image")
    page.locator("#s2h-files input[type=file]").set_input_files([*files[:3], str(notes)])
    _wait_listed(page, "notes.txt")
    calls = len(scripted.calls)
    page.locator("#s2h-submit").click()
    deadline = time.monotonic() + 90  # the warning toast names the bad file (after the running event ends)
    while "notes.txt is not an image" not in page.locator("body").inner_text().replace("“", "").replace(
        "”", ""
    ):
        if time.monotonic() > deadline:
            page.screenshot(path=str(tmp_path / "no-warning.png"), full_page=True)
            raise AssertionError(f"no warning naming notes.txt; see {tmp_path / 'no-warning.png'}")
        time.sleep(0.2)
    _wait_calls(scripted, calls)
    assert (
        scripted.calls[-1]["n_images"] == 7
    )  # the 4 kept from before + 3 new good ones; the bad one left out
    deadline = time.monotonic() + 30
    while "notes.txt" in _listed(page) and time.monotonic() < deadline:
        time.sleep(0.2)
    listed = _listed(page)
    assert "notes.txt" not in listed and all(n in listed for n in ("1f436", "1f99a", "1f697"))
    page.screenshot(path=str(tmp_path / "warning.png"), full_page=True)

    # an example (bundled images, labelled by its request) works twice in a row
    for attempt in (1, 2):
        calls = len(scripted.calls)
        page.get_by_text("Which image contains a peacock?  (dog, peacock, car, banana)").first.click()
        _wait_listed(page, "1f34c.webp")
        deadline = time.monotonic() + 20
        while page.locator("#s2h-query textarea").input_value() != "Which image contains a peacock?":
            assert time.monotonic() < deadline, "the example did not fill the request"
            time.sleep(0.2)
        page.locator("#s2h-submit").click()
        _wait_calls(scripted, calls)
        assert scripted.calls[-1]["n_images"] == 4, f"example run {attempt}"

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
    assert page.locator("#s2h-prompt textarea").input_value()
    assert (
        page.locator("#s2h-chosen textarea").input_value()
        != page.locator("#s2h-rejected textarea").input_value()
    )
    page.screenshot(path=str(tmp_path / "explorer.png"), full_page=True)
    if os.environ.get("S2H_SCREENSHOT_DIR"):  # keep copies to look at
        for name in ("search.png", "warning.png", "explorer.png"):
            (tmp_path / name).replace(os.path.join(os.environ["S2H_SCREENSHOT_DIR"], name))
