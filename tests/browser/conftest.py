"""Browser end-to-end fixtures: Debian's Chromium driven by Playwright, the real service.

Run with ``make test-browser`` (it installs Debian's ``chromium`` when missing; a browser is
never downloaded). Every test here is marked ``browser`` and so stays out of ``make test``.

- ``browser``: a headless Chromium for the whole session (``FORECASTER_CHROMIUM`` overrides
  the path). The flags keep it off the network: no background services, no updates, no sync.
- ``service``: ``forecaster serve`` (web + worker + scheduler) in a fresh data directory on a
  free loopback port.
- ``shot(page, name)``: a full-page screenshot into ``screenshots/`` (git-ignored), numbered in
  the order taken, so a person can page through the flow.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.harness import PROJECT_DIR, LiveService

CHROMIUM = os.environ.get("FORECASTER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]
SCREENSHOTS = PROJECT_DIR / "screenshots"


def pytest_collection_modifyitems(config, items):
    # Everything in this folder needs a browser: mark it, so `make test` never collects it.
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: run `make test-browser`, which installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def service(tmp_path) -> Iterator[LiveService]:
    with LiveService(tmp_path / "data") as live:
        yield live


_shot_numbers = itertools.count(1)


@pytest.fixture(scope="session", autouse=True)
def _clean_screenshots():
    SCREENSHOTS.mkdir(exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()


@pytest.fixture
def shot() -> Callable:
    def take(page, name: str) -> Path:
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        path = SCREENSHOTS / f"{next(_shot_numbers):02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
