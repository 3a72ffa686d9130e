"""Headless Debian Chromium for the Space's real-browser tests and `bench/bench_space.py` (Playwright's
`chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)`); `.ci/run` installs the package."""

from __future__ import annotations

__all__ = ["CHROMIUM", "CHROMIUM_FLAGS"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",  # no GPU on the CI machines
    "--disable-background-networking",  # nothing outside the machine is reachable: no update or telemetry calls
    "--disable-component-update",
]
