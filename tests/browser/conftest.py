"""Playwright fixtures: one headless Chromium per session, and a ready dashboard page per test.

Playwright's own browser download cannot work on these machines: Debian's /usr/bin/chromium is
launched instead (override with $CHROMIUM). Each test gets fresh pages (Dash keeps its state in
the page); they share one browser context so that plotly.js is downloaded once. Every page
records uncaught page errors and console errors; a test that produced any fails at teardown,
with the messages. ``demo`` and ``pipeline`` are the demo file's truth, for the tests that compare
what the page shows with it.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from dashboard.data.demo import demo_bytes, demo_tpf
from tests.conftest import missing

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 900}

# The page is ready when both graphs are drawn and the first readout has arrived.
READY = """() => {
  const curve = document.querySelector('#lightcurve .js-plotly-plot');
  const pixels = document.querySelector('#pixels .js-plotly-plot');
  return !!(curve && curve._fullData && curve._fullData.length >= 1 && curve._fullLayout
            && pixels && pixels._fullData && pixels._fullData.length >= 1
            && document.getElementById('readout-cadence'));
}"""


@pytest.fixture(scope="session")
def browser():
    # .ci/run installs both: under CI a missing Playwright or browser must not pass as skips.
    try:
        import playwright.sync_api as sync_api
    except ModuleNotFoundError:
        missing("Playwright is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).exists():
        missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def browser_context(browser):
    """One context for the session, so its HTTP cache keeps plotly.js between tests. Dash keeps
    a page's state in the page itself, so pages opened from it share nothing else."""
    context = browser.new_context(viewport=VIEWPORT)
    yield context
    context.close()


@pytest.fixture
def open_page(browser_context):
    """``open_page(url)``: a new page on ``url``, returned once the dashboard has drawn.

    ``page.problems`` lists uncaught errors and console errors seen so far.
    """
    pages = []

    def open_(url: str, timeout_ms: float = 30_000):
        page = browser_context.new_page()
        page.problems = []
        page.on("pageerror", lambda exc: page.problems.append(f"pageerror: {exc}"))
        page.on("console", lambda msg: page.problems.append(f"console.error: {msg.text}")
                if msg.type == "error" else None)
        page.set_default_timeout(10_000)
        page.goto(url)
        page.wait_for_function(READY, timeout=timeout_ms)
        pages.append(page)
        return page

    yield open_
    problems = [p for page in pages for p in page.problems]
    for page in pages:
        page.close()
    if problems:
        pytest.fail("page errors or console errors:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def page(open_page, demo_server):
    """A fresh page on the shared demo server, drawn and ready."""
    return open_page(demo_server.url)


@pytest.fixture(scope="module")
def demo():
    """The built-in demo file, opened as the dashboard opens it."""
    return demo_tpf()


@pytest.fixture(scope="module")
def pipeline() -> set:
    """The pipeline aperture's pixels {(row, column)}: bit 2 of the demo file's APERTURE
    extension, read with astropy."""
    with fits.open(io.BytesIO(demo_bytes())) as hdus:
        mask = (hdus["APERTURE"].data & 2) != 0
    return {(int(i), int(j)) for i, j in zip(*np.nonzero(mask), strict=True)}
