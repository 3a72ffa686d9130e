"""Benchmark the Space: submit -> answer through `gradio_client` for 4 and 8 images, and page load in Chromium.

    HF_HUB_OFFLINE=1 python bench/bench_space.py                       # tiny qwen2_vl, 128 new tokens
    HF_HUB_OFFLINE=1 python bench/bench_space.py --family smolvlm --repeats 10 --max-new-tokens 32
    HF_HUB_OFFLINE=1 python bench/bench_space.py --model PATH_OR_HUB_ID  # a real checkpoint

The model is a tiny random VLM (`s2h_dataset.testing.tiny_vlms`) unless --model is given: the figures
measure the app's own overhead (upload, decode, chat template, generate, parse, HTML) plus generation of
--max-new-tokens tokens by a ~1M-parameter model, not a real model's speed. Page load is timed from
`page.goto` to the Search button being visible, in headless Debian Chromium (skipped if it is missing).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import tempfile
import time

from s2h_dataset.testing.browser import CHROMIUM, CHROMIUM_FLAGS

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

LABELS = ["dog", "peacock", "car", "banana", "rocket", "guitar", "cactus", "owl"]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _summary(values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        "median_s": round(statistics.median(ordered), 3),
        "min_s": round(ordered[0], 3),
        "max_s": round(ordered[-1], 3),
        "n": len(ordered),
    }


def bench_api(url: str, repeats: int) -> dict:
    from gradio_client import Client, handle_file

    from s2h_dataset.space.ui import bundled_image

    client = Client(url, verbose=False, download_files=tempfile.mkdtemp())
    results = {}
    for n in (4, 8):
        files = [bundled_image(label) for label in LABELS[:n]]
        client.predict(
            [handle_file(f) for f in files], "Which image contains a peacock?", api_name="/search"
        )  # warm-up
        times, model_times = [], []
        for _ in range(repeats):
            start = time.perf_counter()
            out = client.predict(
                [handle_file(f) for f in files], "Which image contains a peacock?", api_name="/search"
            )
            times.append(time.perf_counter() - start)
            assert out[1].count("<figure") == n, out[2]
            model_times.append(
                float(re.search(r"([0-9.]+) s</sub>", out[2]).group(1))
            )  # the handler's timing
        results[f"{n}_images"] = _summary(times)
        results[f"{n}_images_model_generate_only"] = _summary(model_times)
    return results


def bench_browser(url: str, repeats: int) -> dict:
    if not os.path.exists(CHROMIUM):
        return {"skipped": f"{CHROMIUM} missing (apt-get install chromium chromium-driver)"}
    from playwright.sync_api import sync_playwright

    from s2h_dataset.space.ui import bundled_image

    loads, answers = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for i in range(repeats + 1):  # the first load warms the browser and server caches
            page = browser.new_page()
            start = time.perf_counter()
            page.goto(url)
            page.locator("#s2h-submit").wait_for(state="visible", timeout=60_000)
            loaded = time.perf_counter() - start
            page.locator("#s2h-files input[type=file]").set_input_files(
                [bundled_image(x) for x in LABELS[:4]]
            )
            # the box draws a name as stem + suffix in two elements: wait for the last file's stem
            page.locator("#s2h-files").get_by_text("1f34c", exact=True).first.wait_for(timeout=30_000)
            page.locator("#s2h-query textarea").fill("Which image contains a peacock?")
            start = time.perf_counter()
            page.locator("#s2h-submit").click()
            page.locator("#s2h-highlight figure").first.wait_for(state="visible", timeout=120_000)
            answered = time.perf_counter() - start
            if i == 0:
                first_load = loaded
            else:
                loads.append(loaded)
                answers.append(answered)
            page.close()
        browser.close()
    return {
        "first_page_load_s": round(first_load, 3),
        "page_load": _summary(loads),
        "browser_submit_to_answer_4_images": _summary(answers),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", default="qwen2_vl", help="tiny VLM family when --model is not given")
    parser.add_argument(
        "--model", default=None, help="a real checkpoint (folder or Hub id) instead of a tiny one"
    )
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()

    from s2h_dataset.space import create_app
    from s2h_dataset.space.limits import Limits
    from s2h_dataset.space.ui import launch

    model = args.model
    if model is None:
        from s2h_dataset.testing.tiny_vlms import tiny_vlm_cache

        model = str(tiny_vlm_cache(args.family))
    limits = Limits(max_new_tokens=args.max_new_tokens)
    start = time.perf_counter()
    demo = create_app(model, limits=limits)
    startup = time.perf_counter() - start
    start = time.perf_counter()
    _, url, _ = launch(demo, limits=limits, port=_port(), prevent_thread_lock=True, quiet=True)
    report = {
        "model": args.model or f"tiny {args.family}",
        "max_new_tokens": args.max_new_tokens,
        "load_and_build_s": round(startup, 3),
        "launch_s": round(time.perf_counter() - start, 3),
        "cpu_count": os.cpu_count(),
    }
    try:
        report["api_submit_to_answer"] = bench_api(url, args.repeats)
        if not args.no_browser:
            report["browser"] = bench_browser(url, args.repeats)
    finally:
        demo.close()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
