"""Offline, as a user sees it: the archive cannot be reached, the page says so and keeps working.

The dashboard's archive is pointed at a loopback port nobody listens on (what a machine without
internet sees: connections refused) and, for the "meanwhile" case, at a port that accepts
connections but never answers (a stalled network), with a small timeout.
"""

from __future__ import annotations

import socket
import time

import pytest

from .viewer_page import tab

pytestmark = pytest.mark.browser

TIMEOUT_S = 3
FRAME = ("() => Number(document.querySelector('#cadence [role=slider]')"
         ".getAttribute('aria-valuenow'))")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(fresh_server, monkeypatch, url: str):
    monkeypatch.setenv("TPF_DASHBOARD_MAST_URL", url)
    monkeypatch.setenv("TPF_DASHBOARD_MAST_RESOLVER_URL", url + "/resolver")
    monkeypatch.setenv("TPF_DASHBOARD_ARCHIVE_TIMEOUT", str(TIMEOUT_S))
    return fresh_server()


def _step_right(page, frames: int = 1) -> int:
    before = page.evaluate(FRAME)
    page.locator("body").click(position={"x": 5, "y": 5})  # focus the page, not the text box
    for _ in range(frames):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(f"() => ({FRAME})() === {before + frames}", timeout=5_000)
    return before + frames


def test_unreachable_archive_is_reported_within_the_timeout_and_keys_still_step(
        fresh_server, monkeypatch, open_page):
    server = _serve(fresh_server, monkeypatch, f"http://127.0.0.1:{_closed_port()}")
    page = open_page(server.url)
    tab(page, "archive")
    header = page.inner_text("#header")
    page.fill("#target", "EPIC 201572338")
    started = time.monotonic()
    page.click("#search")
    page.wait_for_selector("#archive-error", timeout=(TIMEOUT_S + 5) * 1000)
    elapsed = time.monotonic() - started
    message = page.inner_text("#archive-error")
    assert "archive is unreachable" in message and "MAST" in message
    assert elapsed < TIMEOUT_S + 2, f"the message took {elapsed:.1f} s"
    # The page is still the same file and still usable: arrow keys step the cadence.
    assert page.inner_text("#header") == header
    page.wait_for_function("() => !document.getElementById('search').disabled")
    assert _step_right(page) == 1
    assert _step_right(page, 3) == 4
    page.wait_for_function("() => document.getElementById('cursor').dataset.frame === '4'")


def test_keys_step_while_a_stalled_search_runs_then_it_times_out(
        fresh_server, monkeypatch, open_page):
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        server = _serve(fresh_server, monkeypatch, f"http://127.0.0.1:{silent.getsockname()[1]}")
        page = open_page(server.url)
        tab(page, "archive")
        page.fill("#target", "EPIC 201572338")
        started = time.monotonic()
        page.click("#search")
        page.wait_for_function("() => document.getElementById('search').disabled")
        page.wait_for_function("() => !document.getElementById('cancel-download').disabled")
        assert page.is_visible("#cancel-download")
        assert _step_right(page, 2) == 2  # while the search waits on the archive
        page.wait_for_selector("#archive-error", timeout=(TIMEOUT_S + 5) * 1000)
        elapsed = time.monotonic() - started
        assert f"did not answer within {TIMEOUT_S:g} s" in page.inner_text("#archive-error")
        assert elapsed < TIMEOUT_S + 3, f"the message took {elapsed:.1f} s"
        page.wait_for_function("() => !document.getElementById('search').disabled")
        assert not page.is_visible("#cancel-download")


def test_cancel_stops_a_stalled_search(fresh_server, monkeypatch, open_page):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        monkeypatch.setenv("TPF_DASHBOARD_ARCHIVE_TIMEOUT", "60")
        monkeypatch.setenv("TPF_DASHBOARD_MAST_URL", f"http://127.0.0.1:{silent.getsockname()[1]}")
        server = fresh_server()
        page = open_page(server.url)
        tab(page, "archive")
        page.fill("#target", "TIC 261136679")
        page.click("#search")
        # Cancel is enabled once the job's own progress has come back (the page then knows it).
        page.wait_for_function("() => !document.getElementById('cancel-download').disabled")
        assert "Searching MAST for TIC 261136679" in page.inner_text("#archive-progress-text")
        page.click("#cancel-download")
        page.wait_for_function("() => !document.getElementById('search').disabled",
                               timeout=10_000)
        page.wait_for_function("() => document.getElementById('archive-cancelled')"
                               ".textContent.includes('Cancelled')", timeout=10_000)
        assert "nothing partial was kept" in page.inner_text("#archive-cancelled")
        assert _step_right(page) == 1
