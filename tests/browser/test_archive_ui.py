"""The archive panel as a user drives it, against the MAST stand-in of tests/data/test_archive.py.

A real ``python -m dashboard`` process is pointed at the stand-in through the environment
(``TPF_DASHBOARD_MAST_URL``, ``TPF_DASHBOARD_MAST_RESOLVER_URL``), and a headless Chromium types
the target, reads the results table, picks a row and watches the file open. Searches and
downloads run as Dash background callbacks, so this also exercises the DiskcacheManager path.
"""

from __future__ import annotations

import pytest

from dashboard.data.store import file_id
from tests.data.test_archive import mast  # noqa: F401  (the fake MAST server fixture)
from tests.synthetic import tpf_bytes

from .viewer_page import tab

pytestmark = pytest.mark.browser

KEPLER10_URI = ("mast:Kepler/url/missions/kepler/target_pixel_files/0119/011904151/"
                "kplr011904151-2009350155506_lpd-targ.fits.gz")
KEPLER10_FILE = "kplr011904151-2009350155506_lpd-targ.fits.gz"
ROWS = "#archive-results tr.archive-row"
ENABLED = "() => !document.getElementById('search').disabled"


@pytest.fixture
def archive_server(mast, fresh_server, monkeypatch, tmp_path):
    """A dashboard on the demo whose archive is the stand-in (the Server copies os.environ)."""
    monkeypatch.setenv("TPF_DASHBOARD_MAST_URL", mast.url)
    monkeypatch.setenv("TPF_DASHBOARD_MAST_RESOLVER_URL", mast.url + "/resolver")
    monkeypatch.setenv("TPF_DASHBOARD_ARCHIVE_TIMEOUT", "10")
    server = fresh_server()
    server.cache_dir = tmp_path / "cache"  # where conftest.Server keeps it
    return server


def _search(page, text: str) -> None:
    page.fill("#target", text)
    page.click("#search")


def _status(page) -> str:
    return page.inner_text("#archive-status")


def test_search_lists_files_then_picking_one_downloads_and_opens_it(
        archive_server, mast, open_page):
    synthetic = tpf_bytes(gzip=True, target_id=11904151, n_cadences=30, shape=(4, 5))
    mast.files[KEPLER10_URI] = synthetic.data
    page = open_page(archive_server.url)
    tab(page, "archive")
    assert "Simulated demo" in page.inner_text("#header")

    _search(page, "KIC 11904151")
    page.wait_for_selector(ROWS, timeout=20_000)
    rows = page.locator(ROWS)
    assert rows.count() == 1
    cells = [c.strip() for c in rows.first.locator("td").all_inner_texts()]
    # mission, quarter, exposure, pipeline author, size, MAST's target name
    assert cells[:6] == ["Kepler", "Quarter 3", "30 min", "Kepler", "3.7 MB", "kplr011904151"]
    assert "Found 1 target pixel file of KIC 11904151" in _status(page)
    page.wait_for_function(ENABLED)  # the running state is switched off again

    rows.first.locator("button.archive-open").click()
    page.wait_for_function(
        "f => document.getElementById('header').textContent.includes(f)", arg=KEPLER10_FILE,
        timeout=20_000)
    header = page.inner_text("#header")
    assert "11904151" in header and "Simulated demo" not in header
    assert "30 cadences" in header
    page.wait_for_function("() => document.querySelector('#cadence [role=slider]')"
                           ".getAttribute('aria-valuemax') === '29'")
    page.wait_for_function("() => document.getElementById('archive-status')"
                           ".textContent.includes('downloaded from MAST')")
    downloads = [q for path, q in mast.requests if path == "/api/v0.1/Download/file"]
    assert [q["uri"] for q in downloads] == [KEPLER10_URI]
    # The file is in the download cache (verified, complete) and in the store under its id.
    cached = list((archive_server.cache_dir / "downloads").glob("*.fits.gz"))
    assert len(cached) == 1 and cached[0].read_bytes() == synthetic.data
    assert (archive_server.cache_dir / "tpf" / f"{file_id(synthetic.data)}.fits"
            ).exists()

    # Picking it again opens it from the cache: no second download.
    page.click("#search")
    page.wait_for_function("() => document.getElementById('archive-status')"
                           ".textContent.includes('Found 1')", timeout=20_000)
    page.locator(ROWS).first.locator("button.archive-open").click()
    page.wait_for_function("() => document.getElementById('archive-status')"
                           ".textContent.includes('from the download cache')", timeout=20_000)
    assert len([1 for path, _ in mast.requests if path == "/api/v0.1/Download/file"]) == 1


def test_http_500_shows_the_message_and_leaves_the_view(archive_server, mast, open_page):
    page = open_page(archive_server.url)
    tab(page, "archive")
    header = page.inner_text("#header")
    mast.status["/portal"] = 500
    mast.status["/api"] = 500
    _search(page, "KIC 11904151")
    page.wait_for_selector("#archive-error", timeout=20_000)
    assert "server error (HTTP 500)" in page.inner_text("#archive-error")
    assert page.inner_text("#header") == header
    assert page.locator(ROWS).count() == 0
    page.wait_for_function(ENABLED)


def test_failed_download_shows_the_message_and_keeps_nothing(archive_server, mast, open_page):
    mast.files[KEPLER10_URI] = tpf_bytes(gzip=True, target_id=11904151).data
    mast.interrupt.add(KEPLER10_URI)
    page = open_page(archive_server.url)
    tab(page, "archive")
    header = page.inner_text("#header")
    _search(page, "Kepler-10")  # a name: resolved, then a cone search
    page.wait_for_selector(ROWS, timeout=20_000)
    page.locator(ROWS).first.locator("button.archive-open").click()
    page.wait_for_selector("#archive-error", timeout=20_000)
    assert "interrupted" in page.inner_text("#archive-error")
    assert page.inner_text("#header") == header
    assert not list((archive_server.cache_dir / "downloads").iterdir())


def test_bad_target_is_explained_without_asking_the_archive(archive_server, mast, open_page):
    page = open_page(archive_server.url)
    tab(page, "archive")
    _search(page, "KIC")
    page.wait_for_selector("#archive-error", timeout=20_000)
    assert "not followed by a number" in page.inner_text("#archive-error")
    assert not mast.requests


def test_tesscut_for_a_position_opens_a_cutout(archive_server, mast, open_page):
    page = open_page(archive_server.url)
    tab(page, "archive")
    _search(page, "Pi Men")
    page.wait_for_function("() => !document.getElementById('tesscut-panel').hidden",
                           timeout=20_000)
    assert page.locator(ROWS).count() == 4  # its SPOC and TESS-SPOC files are listed too
    assert "sectors 1, 13" in _status(page)
    page.click("#tesscut")
    page.wait_for_function("() => document.getElementById('header')"
                           ".textContent.includes('astrocut')", timeout=20_000)
    assert "tesscut-s0013_84.29119_-80.46912_10x10" in page.inner_text("#header")
    assert "TESScut cutout of Pi Men, sector 13" in _status(page)
    (cutout,) = [q for path, q in mast.requests if path.endswith("/astrocut")]
    assert (cutout["sector"], cutout["x"]) == ("13", "10")
