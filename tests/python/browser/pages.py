"""Headless Chromium (the Debian package at /usr/bin/chromium, driven by Playwright; no
browser of Playwright's own) for the browser tests and the report's screenshot: a page opened
with every console error, page error and failed request recorded, and the `browser` fixture
(test modules import browser_fixture; a conftest.py here would shadow tests/python/conftest.py)."""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("VIGIE_CHROMIUM", "/usr/bin/chromium"))
# Chromium as root in a container: no sandbox; no GPU; /dev/shm may be small.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


@dataclass
class OpenedPage:
    page: object
    errors: list[str] = field(default_factory=list)


@contextlib.contextmanager
def launched() -> Iterator[object]:
    """Headless Chromium, closed when the block ends."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def opened(browser, url: str, *, width: int = 1280, height: int = 900
           ) -> Iterator[OpenedPage]:
    """The page at `url` in a new tab, loaded, with the console errors, page errors and
    failed requests it produced (and goes on producing while in use) in `.errors`."""
    page = browser.new_page(viewport={"width": width, "height": height})
    result = OpenedPage(page)
    page.on("console", lambda m: result.errors.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: result.errors.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: result.errors.append(
        f"request failed: {r.url} ({r.failure})"))
    try:
        page.goto(url, wait_until="load")
        yield result
    finally:
        page.close()


def screenshot(browser, url: str, path: Path, *, width: int = 1280, height: int = 2200
               ) -> list[str]:
    """A screenshot of the page's top `height` pixels; the errors the page produced."""
    with opened(browser, url, width=width, height=height) as opened_page:
        opened_page.page.wait_for_selector(".plotly-graph-div >> nth=-1 >> svg.main-svg")
        opened_page.page.screenshot(path=str(path), full_page=False)
        return opened_page.errors


def browser_required() -> bool:
    """CI demands the browser tests run: VIGIE_REQUIRE_BROWSER=1, or VIGIE_REQUIRE_POSTGRES=1
    as .ci/run sets."""
    return "1" in (os.environ.get("VIGIE_REQUIRE_BROWSER"),
                   os.environ.get("VIGIE_REQUIRE_POSTGRES"))


@pytest.fixture(scope="module", name="browser")
def browser_fixture() -> Iterator[object]:
    """One headless Chromium per test module (each module that imports this fixture has its
    own, and Playwright's sync API runs one at a time); without one a skip saying why, or a
    failure where the browser is required."""
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package is not installed (pip install -e '.[test]')")
    if missing:
        reason = "; ".join(missing)
        if browser_required():
            pytest.fail("a browser test must run here (VIGIE_REQUIRE_BROWSER or "
                        f"VIGIE_REQUIRE_POSTGRES is 1): {reason}")
        pytest.skip(reason)
    with launched() as browser:
        yield browser
