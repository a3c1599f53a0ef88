"""The frame batches the browser paints from, fetched over HTTP as the page fetches them.

The page's ``frame-source`` store names the URL of a view's batches; ``/frames/<file id>``
answers with binary batches (dashboard/figures/frame_batch.py). The pixels and readouts that
come back are compared with values read here straight from the demo's FITS bytes with astropy.
"""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import requests
from astropy.io import fits
from astropy.time import Time

from dashboard.data.demo import COSMIC_RAY, demo_bytes, demo_tpf
from dashboard.data.masks import encode_mask
from dashboard.figures.frame_batch import decode_batch

from .test_http import call, component, default_file, default_view, find_callback


@pytest.fixture(scope="module")
def demo():
    return demo_tpf()


@pytest.fixture(scope="module")
def table():
    """The demo's pixel table as astropy reads it: the independent reference."""
    with fits.open(io.BytesIO(demo_bytes())) as hdus:
        return {name: np.array(hdus[1].data[name]) for name in
                ("TIME", "CADENCENO", "QUALITY", "FLUX", "FLUX_BKG")}, hdus[1].header["BJDREFI"]


@pytest.fixture(scope="module")
def source(layout) -> dict:
    return component(layout, "frame-source")["props"]["data"]


def fetch(server, source: dict, start: int, count: int | None = None) -> requests.Response:
    count = source["batch"] if count is None else count
    return requests.get(f"{server.url}/{source['url']}&start={start}&count={count}", timeout=30)


def test_the_page_names_its_batches_and_their_colours(source, layout, table):
    columns, _ = table
    # The batches of the file the page shows (its view's file id), by id only.
    fid = default_file(layout)
    assert source["url"].startswith(f"frames/{fid}?") and source["file"] == fid
    assert source["frames"] == len(columns["TIME"])
    assert source["mode"] == "flux"
    # Colours as the stretch controls' defaults give them (1%-95% of the whole cube, log),
    # against numpy's percentiles of every finite FLUX value astropy reads.
    flux = columns["FLUX"].astype(np.float64)
    low, high = np.percentile(flux[np.isfinite(flux)], [1, 95])
    assert (source["zmin"], source["zmax"]) == pytest.approx((low, high), rel=1e-6)
    assert source["colorscale"][0][0] == 0 and source["colorscale"][-1][0] == 1


def component_file(source: dict) -> str:
    return urlsplit(source["url"]).path.split("/")[-1]


@pytest.mark.parametrize("start", [0, COSMIC_RAY["frame"] - 5, 1990])
def test_a_batch_holds_the_files_pixels_and_readouts(demo_server, source, table, start):
    columns, reference = table
    response = fetch(demo_server, source, start)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/octet-stream"
    header, frames = decode_batch(response.content)
    stop = min(start + source["batch"], len(columns["TIME"]))
    assert header["first"] == start and header["count"] == stop - start
    assert np.array_equal(frames, columns["FLUX"][start:stop].astype(np.float32), equal_nan=True)
    utc = Time(columns["TIME"][start:stop] + reference, format="jd", scale="tdb").utc
    for k, frame in enumerate(range(start, stop)):
        readout = header["readouts"][k]
        assert readout[0] == str(columns["CADENCENO"][frame])
        assert readout[1] == f"{columns['TIME'][frame]:.5f} BKJD"
        assert readout[2] == utc[k].strftime("%Y-%m-%d %H:%M:%S")
        assert readout[5] == f"QUALITY = {columns['QUALITY'][frame]}"
    # Bytes per frame: the frame itself (4 bytes a pixel) plus its readout's text.
    per_frame = len(response.content) / header["count"]
    assert frames[0].nbytes <= per_frame < frames[0].nbytes + 400


def source_of(server, dependencies, layout, **state) -> dict:
    """The frame source of the view with these fields, as its callback makes it."""
    view = default_view(layout)
    view = {**view, "state": {**view["state"], **state}}
    update = find_callback(dependencies, "view.data", "frame-source.data")
    response = call(server, update, layout, {"view.data": view})
    assert response.status_code == 200, response.text[:300]
    return response.json()["response"]["frame-source"]["data"]


def test_the_readout_flux_follows_the_aperture_and_background(demo_server, dependencies,
                                                               layout, table):
    columns, _ = table
    mask = np.zeros(columns["FLUX"].shape[1:], dtype=bool)
    mask[7:9, 6:9] = True
    source = source_of(demo_server, dependencies, layout, aperture=encode_mask(mask),
                       background="file")
    frame = COSMIC_RAY["frame"]
    header, _ = decode_batch(fetch(demo_server, source, frame, 1).content)
    # FLUX is already background-subtracted; "subtract FLUX_BKG" takes it off once more.
    want = float(np.sum(columns["FLUX"][frame][mask], dtype=np.float64)
                 - np.sum(columns["FLUX_BKG"][frame][mask], dtype=np.float64))
    assert header["readouts"][0][3] == f"{want:,.1f} e⁻/s"


def reference_difference(flux: np.ndarray, hidden: np.ndarray, frame: int, n: int):
    """The frame minus the per-pixel median of the n nearest usable frames each side (usable:
    not masked, not entirely NaN), written here from the definition."""
    usable = [f for f in range(len(flux)) if not hidden[f] and np.isfinite(flux[f]).any()
              and f != frame]
    before = [f for f in usable if f < frame][-n:]
    after = [f for f in usable if f > frame][:n]
    return flux[frame] - np.median(flux[before + after], axis=0)


def test_difference_batches_carry_their_own_colour_limits(demo_server, dependencies, layout,
                                                          table):
    columns, _ = table
    source = source_of(demo_server, dependencies, layout, image="difference", n=3,
                       quality="default")
    assert source["mode"] == "difference" and parse_qs(urlsplit(source["url"]).query)["n"] == ["3"]
    start = COSMIC_RAY["frame"] - 2
    header, frames = decode_batch(fetch(demo_server, source, start).content)
    flux = columns["FLUX"].astype(np.float64)
    # The default mask is lightkurve's default Kepler bitmask on QUALITY as astropy reads it.
    from lightkurve.utils import KeplerQualityFlags

    hidden = (columns["QUALITY"] & KeplerQualityFlags.DEFAULT_BITMASK) != 0
    for k in range(header["count"]):
        want = reference_difference(flux, hidden, start + k, 3)
        assert np.allclose(frames[k], want, rtol=1e-5, atol=1e-2, equal_nan=True)
        limit = np.percentile(np.abs(want[np.isfinite(want)]), 99.5)
        assert header["levels"][k] == pytest.approx([-limit, limit], rel=1e-4)
    ray = frames[2]  # the cosmic ray's frame: its pixel is the brightest change
    assert np.unravel_index(np.nanargmax(ray), ray.shape) == (COSMIC_RAY["row"],
                                                              COSMIC_RAY["column"])


@pytest.mark.parametrize("path", [
    "frames/0123456789abcdef0123?start=0",          # a well-formed id nobody has
    "frames/passwd?start=0", "frames/%2e%2e?start=0", "frames/%00?start=0",  # not ids
    "frames/{fid}?start=-1", "frames/{fid}?start=x", "frames/{fid}?start=999999",
    "frames/{fid}?start=0&image=unknown", "frames/{fid}?start=0&background=../x",
    "frames/{fid}?start=0&aperture=3x3.A",
])
def test_bad_frame_requests_get_a_message_not_a_500(demo_server, source, path):
    response = requests.get(f"{demo_server.url}/{path.format(fid=component_file(source))}",
                            timeout=30)
    assert response.status_code in (400, 404)
    assert response.json()["message"]
