"""Static files (dashboard/static_files.py): fingerprinted URLs are kept by browsers for a year
and sent compressed, the bytes decompressing to the file itself; dynamic answers are not
marked cacheable."""

from __future__ import annotations

import gzip
import re

import brotli
import pytest

from dashboard.app import ASSETS, create_app
from dashboard.static_files import choose_encoding, is_immutable


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app({"cache_dir": str(tmp_path_factory.mktemp("static-cache"))})
    return app.server.test_client()


def _script(client, name: str) -> str:
    page = client.get("/").get_data(as_text=True)
    return next(src for src in re.findall(r'src="([^"]+)"', page) if name in src)


@pytest.mark.parametrize("encoding, decode", [("br", brotli.decompress),
                                              ("gzip", gzip.decompress)])
def test_an_asset_is_sent_compressed_and_kept_for_a_year(client, encoding, decode):
    url = _script(client, "plotly-partial.min.js")
    for _ in range(2):  # the second answer comes from the compressed copy kept
        answer = client.get(url, headers={"Accept-Encoding": encoding})
        assert answer.status_code == 200
        assert answer.headers["Content-Encoding"] == encoding
        assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert decode(answer.data) == (ASSETS / "plotly-partial.min.js").read_bytes()
        assert int(answer.headers["Content-Length"]) == len(answer.data)


def test_dash_suites_are_kept_and_the_layout_is_not(client):
    url = _script(client, "dash_renderer")
    assert "immutable" in client.get(url).headers["Cache-Control"]
    assert "immutable" not in client.get("/_dash-layout").headers.get("Cache-Control", "")
    assert "immutable" not in client.get("/").headers.get("Cache-Control", "")


def test_which_urls_are_immutable_and_which_encoding_is_chosen():
    assert is_immutable("/assets/view.js", {"m": "1"}, "/assets/")
    assert not is_immutable("/assets/view.js", {}, "/assets/")
    assert is_immutable("/_dash-component-suites/dash/dcc/async-graph.v4_4_1m17.js", {},
                        "/assets/")
    assert not is_immutable("/_dash-component-suites/dash/dcc/async-graph.js", {}, "/assets/")
    assert choose_encoding("gzip, deflate, br, zstd", ["br", "gzip"]) == "br"
    assert choose_encoding("gzip;q=1, br;q=0", ["br", "gzip"]) == "gzip"
    assert choose_encoding("identity", ["br", "gzip"]) is None


def test_the_page_preloads_its_layout_and_callbacks_under_its_prefix(tmp_path):
    app = create_app({"cache_dir": str(tmp_path)})
    client = app.server.test_client()
    head = client.get("/").get_data(as_text=True).split("</head>")[0]
    for name in ("_dash-layout", "_dash-dependencies"):
        assert f'<link rel="preload" href="/{name}" as="fetch" crossorigin>' in head
    # A notebook gives the app its proxy's prefix after it is built (dashboard/notebook).
    dict.__setitem__(app.config, "requests_pathname_prefix", "/proxy/8050/")
    head = client.get("/").get_data(as_text=True).split("</head>")[0]
    assert '<link rel="preload" href="/proxy/8050/_dash-layout" as="fetch" crossorigin>' in head
    assert 'href="/_dash-layout"' not in head
