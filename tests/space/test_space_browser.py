"""The Space in a real browser: headless Debian Chromium driven by Playwright, as a person uses it.

Skipped (with the reason) only where /usr/bin/chromium is missing; `.ci/install-chromium.sh` installs it.
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
        not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} missing: run `bash .ci/install-chromium.sh`"
    ),
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="the `playwright` package is not installed")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


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
    page.get_by_text("1f34c.webp").first.wait_for(timeout=20_000)  # the last file is listed
    page.locator("#s2h-query textarea").fill("Which image contains a peacock?")
    page.locator("#s2h-submit").click()

    chosen = page.locator("#s2h-highlight .s2h-chosen")
    chosen.wait_for(state="visible", timeout=60_000)
    assert chosen.get_attribute("data-index") == "2"
    assert page.locator("#s2h-highlight figure").count() == 4
    box = chosen.locator("img").bounding_box()
    assert box and box["width"] > 100  # the thumbnail really renders
    assert "Model's pick: Image 2" in page.locator("#s2h-answer").inner_text()
    assert page.locator("#s2h-raw textarea").input_value() == "The peacock is in the second image."
    page.locator("#s2h-base-highlight figure").first.wait_for(state="visible", timeout=30_000)
    assert page.locator("#s2h-base-raw textarea").input_value()  # the tiny model's (nonsense) reply
    assert scripted.calls[-1]["n_images"] == 4
    page.locator("#s2h-files").get_by_text("Drop File Here").wait_for(timeout=30_000)  # uploads cleared
    page.screenshot(path=str(tmp_path / "search.png"), full_page=True)

    # an example (bundled images) works twice in a row: its cached files are not deleted with the uploads
    for attempt in (1, 2):
        calls = len(scripted.calls)
        page.get_by_text("1f436.webp, 1f99a.webp, 1f697.webp, 1f34c.webp").first.click()
        page.get_by_text("1f34c.webp").first.wait_for(timeout=20_000)
        assert page.locator("#s2h-query textarea").input_value() == "Which image contains a peacock?"
        page.locator("#s2h-submit").click()
        deadline = time.monotonic() + 60
        while len(scripted.calls) == calls and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(scripted.calls) == calls + 1, f"example run {attempt} never reached the model"
        assert scripted.calls[-1]["n_images"] == 4
        # the event is done (the base model answered too) once the upload box is cleared
        page.locator("#s2h-files").get_by_text("Drop File Here").wait_for(timeout=60_000)

    # a bad upload: one image only -> a warning toast
    page.locator("#s2h-files input[type=file]").set_input_files(files[:1])
    page.get_by_text("1f436.webp").first.wait_for(timeout=20_000)
    page.locator("#s2h-submit").click()
    page.get_by_text("upload at least 2 images").first.wait_for(timeout=30_000)
    page.screenshot(path=str(tmp_path / "warning.png"), full_page=True)

    # the explorer shows a row of the dataset `s2h build` wrote
    page.get_by_role("tab", name="Dataset explorer").click()
    page.locator("#s2h-show").click()
    page.locator("#s2h-gallery img").first.wait_for(state="visible", timeout=30_000)
    assert page.locator("#s2h-gallery img").count() >= 2
    summary = page.locator("#s2h-summary").inner_text()
    assert "level 3" in summary.replace("**", "") and "Row 0 of" in summary
    assert page.locator("#s2h-prompt textarea").input_value()
    assert (
        page.locator("#s2h-chosen textarea").input_value()
        != page.locator("#s2h-rejected textarea").input_value()
    )
    page.screenshot(path=str(tmp_path / "explorer.png"), full_page=True)
    if os.environ.get("S2H_SCREENSHOT_DIR"):  # keep copies to look at
        for name in ("search.png", "warning.png", "explorer.png"):
            (tmp_path / name).replace(os.path.join(os.environ["S2H_SCREENSHOT_DIR"], name))
