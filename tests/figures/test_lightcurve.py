"""The light-curve figure: every frame in order on trace 0, flagged cadences on trace 1."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from dashboard.data import KEPLER
from dashboard.figures.lightcurve import lightcurve_figure

NUMPY_DTYPE = {"f4": "<f4", "f8": "<f8", "i4": "<i4"}


def decode(spec: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype=NUMPY_DTYPE[spec["dtype"]])


@pytest.fixture
def curve():
    """40 frames with a gap in time, NaN fluxes, and flagged cadences among them (some of
    which have no time or no flux and so cannot be drawn)."""
    n = 40
    rng = np.random.default_rng(0)
    time = (1000.0 + 0.0204 * np.arange(n)).astype(">f8")  # big-endian, as from FITS
    time[5] = np.nan
    flux = rng.normal(5e4, 30.0, n)
    flux[[8, 9]] = np.nan
    quality = np.zeros(n, dtype=np.int64)
    quality[[2, 5, 9, 12, 13, 30]] = [16, 128, 1, 1048576, 128 | 16, 65536]
    cadenceno = 7000 + np.arange(n) * 2
    labels = {int(v): ", ".join(KEPLER.decode(v)) for v in np.unique(quality[quality != 0])}
    figure = lightcurve_figure(time, flux, cadenceno=cadenceno, quality=quality,
                               quality_labels=labels, time_system="BKJD", revision="r1")
    return figure, time, flux, quality, cadenceno, labels


def test_trace0_holds_every_frame_in_order(curve):
    """A click's pointIndex on trace 0 is the frame: x, y and cadence numbers are all frames
    in file order, NaN where there is no time or flux."""
    figure, time, flux, _, cadenceno, _ = curve
    trace = figure["data"][0]
    assert trace["x"]["dtype"] == "f8"  # neighbouring 2-min TESS cadences need float64
    np.testing.assert_array_equal(decode(trace["x"]), time)
    np.testing.assert_allclose(decode(trace["y"]), flux, rtol=1e-7)  # float32 is enough
    np.testing.assert_array_equal(np.isnan(decode(trace["y"])), np.isnan(flux))
    np.testing.assert_array_equal(decode(trace["customdata"]), cadenceno)
    assert len(decode(trace["x"])) == len(time) == 40
    assert trace["type"] == "scattergl"


def test_trace0_carries_no_per_point_text(curve):
    """Trace 0 has no list of one string per cadence (it slowed the first view by ~0.5 s on
    20,000 cadences): its hover names cadence, time and flux; flags are named by trace 1."""
    figure, _, _, _, _, _ = curve
    trace = figure["data"][0]
    assert "text" not in trace and "%{text}" not in trace["hovertemplate"]
    assert "%{customdata}" in trace["hovertemplate"]
    assert "%{text}" in figure["data"][1]["hovertemplate"]


def test_trace1_holds_exactly_the_drawable_flagged_frames(curve):
    """Trace 1 has every frame with QUALITY != 0 and finite time and flux, and no other."""
    figure, time, flux, quality, cadenceno, labels = curve
    expected = [f for f in range(40)
                if quality[f] != 0 and np.isfinite(time[f]) and np.isfinite(flux[f])]
    assert expected == [2, 12, 13, 30]
    trace = figure["data"][1]
    np.testing.assert_array_equal(decode(trace["x"]), time[expected])
    # float32 on the wire, like trace 0: 7 significant digits.
    np.testing.assert_allclose(decode(trace["y"]), flux[expected], rtol=1e-7)
    assert trace["customdata"] == [[f, int(cadenceno[f])] for f in expected]
    assert all(type(v) is int for pair in trace["customdata"] for v in pair)
    assert trace["text"] == [labels[int(quality[f])] for f in expected]
    assert trace["text"][0] == "Zero crossing"


def test_no_flagged_cadences_gives_empty_trace1():
    """A clean light curve still has trace 1, empty, so trace indices never shift."""
    time = np.arange(5.0)
    figure = lightcurve_figure(time, time * 2, cadenceno=np.arange(5),
                               quality=np.zeros(5, dtype=np.int32), quality_labels={},
                               time_system="BTJD")
    # Trace positions are fixed (aperture, masked, custom, unmatched custom) so patches can
    # address them; the custom traces start hidden.
    assert len(figure["data"]) == 4
    assert len(decode(figure["data"][1]["x"])) == 0
    assert figure["data"][1]["customdata"] == []
    assert figure["data"][2]["visible"] is False and figure["data"][3]["visible"] is False


def test_layout_names_time_system_and_keeps_zoom(curve):
    """The time axis names the mission's time system; uirevision keeps the user's zoom."""
    figure = curve[0]
    assert "BKJD" in figure["layout"]["xaxis"]["title"]["text"]
    assert figure["layout"]["uirevision"] == "r1"
    assert "BKJD" in figure["data"][0]["hovertemplate"]


def test_a_long_curve_keeps_each_runs_extremes_and_nothing_else():
    """Past MAX_POINTS, trace 0 keeps per run of frames its lowest and highest value (a
    one-cadence dip survives), NaN elsewhere, one slot per frame; short curves are untouched."""
    from dashboard.figures.lightcurve import overview_y

    rng = np.random.default_rng(5)
    n = 100_000
    time = 1000 + np.arange(n) / 720
    y = rng.normal(100.0, 1.0, n).astype(np.float32)
    y[31_337] = 50.0  # a one-cadence dip
    y[77_001] = 150.0  # a spike
    out = overview_y(time, y, max_points=1_000)
    kept = np.flatnonzero(np.isfinite(out))
    assert len(out) == n and len(kept) <= 1_000
    np.testing.assert_array_equal(out[kept], y[kept])
    assert {31_337, 77_001} <= set(kept.tolist())
    size = -(-n // 500)
    for run in range(500):  # each run's extremes, computed here from the data
        part = y[run * size:(run + 1) * size]
        assert run * size + int(np.argmin(part)) in kept
        assert run * size + int(np.argmax(part)) in kept
    short = y[:1_000]
    assert overview_y(time[:1_000], short, max_points=1_000) is short


def test_the_zoomed_range_of_a_long_curve_is_drawn_in_full():
    from dashboard.figures.lightcurve import overview_y, zoomed_x_range

    n = 50_000
    time = np.arange(n, dtype=np.float64)
    y = np.sin(time / 100).astype(np.float32)
    out = overview_y(time, y, max_points=2_000, x_range=(10_000.5, 10_800.0))
    assert np.isfinite(out[10_001:10_801]).all()
    assert np.isfinite(out).sum() <= 2_000 + 800
    wide = overview_y(time, y, max_points=2_000, x_range=(0.0, 40_000.0))
    assert np.isfinite(wide[:40_001]).sum() <= 2_000 + 2_000
    assert zoomed_x_range({"xaxis.range[0]": 3, "xaxis.range[1]": 9}) == (3.0, 9.0)
    assert zoomed_x_range({"xaxis.range": [9, 3]}) == (9.0, 3.0)
    assert zoomed_x_range({"xaxis.autorange": True}) is None
    assert zoomed_x_range({"yaxis.range[0]": 1}) is None
