"""MastArchive against a MAST stand-in on 127.0.0.1.

The stand-in answers the same HTTP requests astroquery.mast makes (the Portal's columnsconfig
and /api/v0/invoke for Mast.Caom.Filtered[.Position] and Mast.Caom.Products, /api/v0.1/Download/
file, TESScut's /tesscut/api/v0.1/sector and /astrocut) plus the name resolver, with JSON in
MAST's own shape (tests/data/mast/*.json: real column names and types). It filters rows by the
criteria astroquery sends, so our query building, astroquery's parsing and our selection,
ordering, download and cache code all really run. Nothing here reaches the internet.
"""

from __future__ import annotations

import io
import json
import socket
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import numpy as np
import pytest
import requests
from astropy.table import Table

from dashboard.data.archive import MastArchive
from dashboard.data.archive_products import target_pixel_files
from dashboard.data.downloads import DownloadCache
from dashboard.data.errors import DataError
from dashboard.data.targets import parse_target
from dashboard.data.tpf import open_tpf
from tests.synthetic import tpf_bytes

MAST = Path(__file__).parent / "mast"
TESS_TP_URI = "mast:TESS/product/tess2018206045859-s0001-0000000261136679-0120-s_tp.fits"
KEPLER_Q4_URI = ("mast:Kepler/url/missions/kepler/target_pixel_files/0084/008462852/"
                 "kplr008462852-2010078095331_lpd-targ.fits.gz")


def _load(name: str) -> dict:
    return json.loads((MAST / name).read_text())


def _separation_deg(ra1, dec1, ra2, dec2) -> float:
    ra1, dec1, ra2, dec2 = map(np.radians, (ra1, dec1, ra2, dec2))
    cos = np.sin(dec1) * np.sin(dec2) + np.cos(dec1) * np.cos(dec2) * np.cos(ra1 - ra2)
    return float(np.degrees(np.arccos(np.clip(cos, -1, 1))))


class FakeMast(ThreadingHTTPServer):
    """MAST's Portal, download, resolver and TESScut endpoints, answering from the JSON files."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.requests: list[tuple[str, dict]] = []  # (service or path, parameters)
        self.files: dict[str, bytes] = {}  # dataURI -> bytes served by Download/file
        self.interrupt: set[str] = set()  # dataURIs whose body stops half way
        self.status: dict[str, int] = {}  # path prefix -> HTTP status to answer with


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass

    def _send(self, body: bytes, status: int = 200, kind: str = "application/json",
              length: int | None = None):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def _failing(self) -> bool:
        for prefix, status in self.server.status.items():
            if self.path.startswith(prefix):
                self._send(b"<html>Service Unavailable</html>", status, "text/html")
                return True
        return False

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        if self._failing():
            return
        if self.path.endswith("/columnsconfig"):
            self.server.requests.append(("columnsconfig", {"body": body}))
            return self._send((MAST / "columnsconfig.json").read_bytes())
        if self.path == "/api/v0/invoke":
            request = json.loads(unquote(body.split("=", 1)[1]))
            self.server.requests.append((request["service"], request["params"]))
            return self._send(json.dumps(_invoke(request["service"], request["params"])).encode())
        form = {key: values[0] for key, values in parse_qs(body).items()}
        self.server.requests.append((self.path, form))
        if self.path == "/tesscut/api/v0.1/sector":
            results = [{"sectorName": f"tess-s{s:04d}-4-2", "sector": str(s), "camera": "4",
                        "ccd": "2"} for s in (1, 13)]
            return self._send(json.dumps({"results": results}).encode())
        if self.path == "/tesscut/api/v0.1/astrocut":
            archive = io.BytesIO()
            with zipfile.ZipFile(archive, "w") as zipped:
                name = f"tess-s{int(form['sector']):04d}-4-2_{float(form['ra']):f}_" \
                       f"{float(form['dec']):f}_{form['x']}x{form['y']}_astrocut.fits"
                zipped.writestr(name, tpf_bytes(mission="TESS", seed=3).data)
            return self._send(archive.getvalue(), kind="application/zip")
        self._send(b"{}", 404)

    def do_GET(self):
        url = urlparse(self.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        self.server.requests.append((url.path, query))
        if self._failing():
            return
        if url.path == "/resolver":
            found = [r for r in _load("resolver.json")["resolvedCoordinate"]
                     if r["searchString"] == query["name"].lower()]
            return self._send(json.dumps({"resolvedCoordinate": found}).encode())
        if url.path == "/api/v0.1/Download/file" and query.get("uri") in self.server.files:
            data = self.server.files[query["uri"]]
            if query["uri"] in self.server.interrupt:
                # Announce the whole file, send half, then hang up: a dropped connection.
                self._send(data[: len(data) // 2], kind="application/octet-stream",
                           length=len(data))
                self.close_connection = True
                return
            return self._send(data, kind="application/octet-stream")
        self._send(b"Not found", 404, "text/plain")


def _invoke(service: str, params: dict) -> dict:
    """Mast.Caom.Filtered[.Position] and Mast.Caom.Products, filtered as MAST would."""
    if service == "Mast.Caom.Products":
        table = _load("products.json")
        wanted = set(params["obsid"].split(","))
        table["data"] = [row for row in table["data"] if row["obsID"] in wanted]
        return table
    table = _load("observations.json")
    rows = table["data"]
    for entry in params.get("filters", []):
        values = entry["values"]
        if values and isinstance(values[0], str):
            rows = [row for row in rows if str(row[entry["paramName"]]) in values]
    if service == "Mast.Caom.Filtered.Position":
        ra, dec, radius = (float(x) for x in params["position"].split(","))
        table["fields"].append({"name": "distance", "type": "float"})
        near = []
        for row in rows:
            separation = _separation_deg(ra, dec, row["s_ra"], row["s_dec"])
            if separation <= radius:
                near.append(dict(row, distance=separation * 3600))
        rows = near
    table["data"] = rows
    table["paging"].update(rows=len(rows), rowsFiltered=len(rows), rowsTotal=len(rows))
    return table


@pytest.fixture
def mast():
    server = FakeMast()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def archive(mast, tmp_path):
    return MastArchive(DownloadCache(tmp_path / "downloads", max_bytes=10**9), timeout=5,
                       server=mast.url, resolver_url=mast.url + "/resolver")


def _invoked(mast, service):
    return [params for name, params in mast.requests if name == service]


# -- search -----------------------------------------------------------------------------------
def test_kic_is_searched_by_exact_target_name_and_lists_tpfs_by_quarter(archive, mast):
    found = archive.search(parse_target("KIC 8462852"))
    (query,) = _invoked(mast, "Mast.Caom.Filtered")
    filters = {f["paramName"]: f["values"] for f in query["filters"]}
    assert filters["target_name"] == ["kplr008462852"]
    assert filters["project"] == ["Kepler"]
    assert [(p.period_label, p.exposure_s) for p in found] == [
        ("Quarter 1", 1800.0), ("Quarter 4", 60.0), ("Quarter 4", 1800.0)]  # no light curves
    first = found[0]
    assert (first.mission, first.quarter, first.author, first.target_name) == (
        "Kepler", 1, "Kepler", "kplr008462852")
    assert first.filename == "kplr008462852-2009166043257_lpd-targ.fits.gz"
    assert first.size_bytes == 1598722 and first.obs_id.startswith("kplr008462852_lc")


def test_epic_finds_k2_campaign(archive, mast):
    (product,) = archive.search(parse_target("ktwo201572338"))
    assert (product.mission, product.campaign, product.period_label) == ("K2", 1, "Campaign 1")
    assert product.exposure_s == 1800.0 and product.author == "K2"


def test_tic_lists_spoc_fast_and_tess_spoc_sorted_by_sector_then_exposure(archive, mast):
    found = archive.search(parse_target("TIC 261136679"))
    assert [(p.sector, p.exposure_s, p.author) for p in found] == [
        (1, 120.0, "SPOC"), (13, 120.0, "SPOC"), (27, 20.0, "SPOC"), (27, 600.0, "TESS-SPOC")]
    assert all(p.period_label == f"Sector {p.sector}" for p in found)
    names = _invoked(mast, "Mast.Caom.Filtered")[0]["filters"]
    assert {"paramName": "target_name", "values": ["261136679"]} in names


def test_period_and_exposure_choices_filter_the_list(archive):
    tic = parse_target("TIC 261136679")
    assert [p.sector for p in archive.search(tic, period=27)] == [27, 27]
    assert [p.exposure_s for p in archive.search(tic, exposure="fast")] == [20.0]
    assert [p.sector for p in archive.search(tic, exposure=120)] == [1, 13]
    with pytest.raises(DataError, match="Sector 1 .*2 min"):
        archive.search(tic, period=99)


def test_bare_number_searches_each_candidate_catalogue_at_once(archive, mast):
    found = archive.search(parse_target("8462852"))
    (query,) = _invoked(mast, "Mast.Caom.Filtered")
    filters = {f["paramName"]: f["values"] for f in query["filters"]}
    assert set(filters["target_name"]) == {"kplr008462852", "8462852", "008462852"}
    assert {p.mission for p in found} == {"Kepler"}


def test_name_is_resolved_then_searched_in_a_small_cone(archive, mast):
    found = archive.search(parse_target("Kepler-10"))
    assert [p.target_name for p in found] == ["kplr011904151"]  # the HST image is not a TPF
    (position,) = _invoked(mast, "Mast.Caom.Filtered.Position")
    ra, dec, radius = (float(x) for x in position["position"].split(","))
    assert (ra, dec) == pytest.approx((285.67942, 50.24130)) and radius * 3600 == pytest.approx(2)
    assert found[0].distance_arcsec < 1


def test_coordinates_search_without_the_resolver(archive, mast):
    found = archive.search(parse_target("19:02:43.06 +50:14:28.7"))
    assert [p.target_name for p in found] == ["kplr011904151"]
    assert not [r for r in mast.requests if r[0] == "/resolver"]


def test_unresolvable_name_says_so(archive):
    with pytest.raises(DataError, match="could not resolve the name 'Nowhere Star'"):
        archive.search(parse_target("Nowhere Star"))


def test_unknown_catalogue_number_is_target_not_found(archive):
    with pytest.raises(DataError, match="KIC 1234 was not found"):
        archive.search(parse_target("KIC 1234"))
    with pytest.raises(DataError, match="No Kepler, K2 or TESS observations .* 1234"):
        archive.search(parse_target("1234"))


def test_observations_without_target_pixel_files(archive, mast, monkeypatch):
    products = _load("products.json")
    products["data"] = [r for r in products["data"] if r["productSubGroupDescription"] == "LLC"]
    monkeypatch.setattr(sys.modules[__name__], "_load", lambda name: products
                        if name == "products.json" else json.loads((MAST / name).read_text()))
    with pytest.raises(DataError, match="no target pixel files"):
        archive.search(parse_target("EPIC 201572338"))


def test_mission_that_contradicts_the_id_is_refused(archive):
    with pytest.raises(DataError, match="Kepler target"):
        archive.search(parse_target("KIC 8462852"), mission="TESS")


# -- failures ---------------------------------------------------------------------------------
def test_http_500_is_an_archive_server_error(archive, mast):
    mast.status["/portal"] = 500
    with pytest.raises(DataError, match=r"archive \(MAST\) had a server error \(HTTP 500\)"):
        archive.search(parse_target("TIC 261136679"))


def test_connection_refused_is_archive_unreachable(tmp_path):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    archive = MastArchive(DownloadCache(tmp_path), timeout=3, server=f"http://127.0.0.1:{port}",
                          resolver_url=f"http://127.0.0.1:{port}/resolver")
    started = time.monotonic()
    with pytest.raises(DataError, match="archive is unreachable"):
        archive.search(parse_target("EPIC 201572338"))
    with pytest.raises(DataError, match="archive is unreachable"):
        archive.search(parse_target("Kepler-10"))
    assert time.monotonic() - started < 3


def test_silent_server_times_out_within_the_timeout(tmp_path):
    with socket.socket() as silent:  # accepts connections (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        archive = MastArchive(DownloadCache(tmp_path), timeout=0.5, server=url,
                              resolver_url=url + "/resolver")
        started = time.monotonic()
        with pytest.raises(DataError, match=r"did not answer within 0.5 s"):
            archive.search(parse_target("TIC 261136679"))
        assert time.monotonic() - started < 3


# -- download ---------------------------------------------------------------------------------
def _product(archive, uri):
    target = "TIC 261136679" if "TESS" in uri else "KIC 8462852"
    return next(p for p in archive.search(parse_target(target)) if p.product_uri == uri)


def test_download_writes_the_verified_file_into_the_cache_then_hits_without_network(
        archive, mast, monkeypatch):
    synthetic = tpf_bytes(mission="TESS", target_id=261136679)
    mast.files[TESS_TP_URI] = synthetic.data
    product = _product(archive, TESS_TP_URI)
    seen = []
    path = archive.download(product, progress=lambda done, total: seen.append((done, total)))
    assert path.parent == archive.cache.directory and path.read_bytes() == synthetic.data
    assert seen[-1] == (len(synthetic.data), len(synthetic.data))
    assert not list(archive.cache.directory.glob(".incoming-*"))
    np.testing.assert_array_equal(open_tpf(path).flux, synthetic.flux)

    def no_network(*args, **kwargs):
        raise AssertionError("the network was used for a cached file")
    monkeypatch.setattr(requests.Session, "request", no_network)
    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", no_network)
    assert archive.download(product) == path


def test_gzipped_kepler_download_is_kept_gzipped(archive, mast):
    mast.files[KEPLER_Q4_URI] = tpf_bytes(gzip=True).data
    path = archive.download(_product(archive, KEPLER_Q4_URI))
    assert path.name.endswith(".fits.gz") and open_tpf(path).mission == "Kepler"


def test_interrupted_download_leaves_nothing_in_the_cache(archive, mast):
    mast.files[TESS_TP_URI] = tpf_bytes(mission="TESS").data
    mast.interrupt.add(TESS_TP_URI)
    product = _product(archive, TESS_TP_URI)
    with pytest.raises(DataError, match="interrupted"):
        archive.download(product)
    assert not list(archive.cache.directory.iterdir())


def test_unreadable_download_is_refused_and_removed(archive, mast):
    mast.files[TESS_TP_URI] = b"<html>maintenance</html>" * 200
    with pytest.raises(DataError, match="not usable and was not kept: .*not a FITS file"):
        archive.download(_product(archive, TESS_TP_URI))
    assert not list(archive.cache.directory.iterdir())


def test_download_server_error_keeps_nothing(archive, mast):
    product = _product(archive, TESS_TP_URI)
    mast.status["/api/v0.1/Download"] = 503
    with pytest.raises(DataError, match="HTTP 503"):
        archive.download(product)
    assert not list(archive.cache.directory.iterdir())


# -- TESScut ----------------------------------------------------------------------------------
def test_tesscut_sectors_and_cutout(archive, mast):
    assert archive.tesscut_sectors(84.29119, -80.46912) == [1, 13]
    path = archive.tesscut(84.29119, -80.46912, sector=13, size=7)
    tpf = open_tpf(path)
    assert tpf.mission == "TESS" and path.parent == archive.cache.directory
    (cutout,) = [params for name, params in mast.requests if name.endswith("/astrocut")]
    assert (cutout["sector"], cutout["x"], cutout["y"]) == ("13", "7", "7")
    count = len(mast.requests)
    assert archive.tesscut(84.29119, -80.46912, sector=13, size=7) == path
    assert len(mast.requests) == count  # second time from the cache


@pytest.mark.live
def test_live_mast_search_finds_boyajians_star(tmp_path):
    archive = MastArchive(DownloadCache(tmp_path), timeout=60)
    found = archive.search(parse_target("KIC 8462852"), exposure="long")
    assert any(p.quarter == 4 for p in found)


def test_period_labels_from_mast_rows_including_k2_campaign_halves():
    observations = Table(rows=[("K2", "ktwo1", "o1", "1", 9, 1765.5, "K2"),
                               ("K2", "ktwo2", "o2", "2", None, 1765.5, "K2"),
                               ("TESS", "3", "o3", "3", None, 120.0, "SPOC")],
                         names=("project", "target_name", "obs_id", "obsid", "sequence_number",
                                "t_exptime", "provenance_name"), masked=True)
    observations["sequence_number"].mask = [False, True, True]
    products = Table(rows=[
        ("1", "o1", "ktwo1-c92_lpd-targ.fits.gz", "LPD-TARG", "mast:K2/a", 10, "x"),
        ("2", "o2", "ktwo2-c102_spd-targ.fits.gz", "SPD-TARG", "mast:K2/b", 20, "x"),
        ("3", "o3", "tess2019-s0013-0000000000000003-0146-s_tp.fits", "TP", "mast:TESS/c", 30, "x"),
        ("3", "o3", "tess2019-s0013-0000000000000003-0146-s_lc.fits", "LC", "mast:TESS/d", 40, "x"),
    ], names=("obsID", "obs_id", "productFilename", "productSubGroupDescription", "dataURI",
              "size", "description"))
    found = {p.product_uri: p for p in target_pixel_files(observations, products)}
    assert set(found) == {"mast:K2/a", "mast:K2/b", "mast:TESS/c"}
    assert (found["mast:K2/a"].period_label, found["mast:K2/a"].campaign) == ("Campaign 9b", 9)
    k2_short = found["mast:K2/b"]
    assert (k2_short.period_label, k2_short.exposure_s) == ("Campaign 10b", 60.0)
    assert (found["mast:TESS/c"].sector, found["mast:TESS/c"].exposure_s) == (13, 120.0)
