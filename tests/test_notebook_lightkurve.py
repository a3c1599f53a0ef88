"""lightkurve's own objects handed to the dashboard (lightkurve is in the test extra: a missing
one fails under CI): ``show(lk.read(path))`` and its slices, ``lc=`` a LightCurve from
``tpf.to_lightcurve()``, flattened and binned; ``interact(tpf, aperture_mask=...)``'s first view
exported and read back with ``lightkurve.read``, equal to lightkurve's own photometry; the blip
report's Python API on a lightkurve TargetPixelFile.

References come from lightkurve and astropy, not from the code under test.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from astropy.io import fits

import dashboard
from dashboard.data.demo import TRUTH, demo_bytes
from dashboard.data.export import lightcurve_fits
from dashboard.view.exports import curve_export
from dashboard.view.state import decode_query

from .conftest import missing
from .test_notebook import _custom_trace, _decode, _frame_src, kernel  # noqa: F401

K2 = "ktwo221312395-c91_lpd-targ.fits.gz"


@pytest.fixture(scope="module")
def lk():
    try:
        with warnings.catch_warnings():  # lightkurve warns about optional packages on import
            warnings.simplefilter("ignore")
            import lightkurve
    except ModuleNotFoundError:
        missing("lightkurve is not installed (pip install -e '.[test]')")
    return lightkurve


@pytest.fixture(scope="module")
def k2_path(shared_data):
    path = shared_data / K2
    if not path.exists():
        missing(f"{K2} is not in {shared_data}")
    return path


@pytest.fixture(scope="module")
def k2_rows(k2_path):
    """The file's own TIME and CADENCENO columns, read with astropy."""
    with fits.open(k2_path) as hdus:
        table = hdus[1].data
        return np.asarray(table["TIME"], dtype=float), np.asarray(table["CADENCENO"], dtype=int)


@pytest.fixture
def served(tmp_path):
    running = []

    def show(*args, **kwargs):
        running.append(dashboard.show(*args, block=False, port=0, cache_dir=tmp_path / "cache",
                                      **kwargs))
        return running[-1]
    yield show
    for view in running:
        view.stop()


def test_show_opens_lk_read_and_its_slices(lk, k2_path, k2_rows, served):
    """lk.read(path) shows the whole file (lightkurve's quality mask only hides rows from its
    own arrays); a slice shows just its cadences."""
    _, cadenceno = k2_rows
    tpf = lk.read(str(k2_path))
    assert type(tpf).__name__ == "KeplerTargetPixelFile"
    running = served(tpf)
    opened = running.app.store.get(running.app.default_file)
    np.testing.assert_array_equal(opened.cadenceno, cadenceno)
    assert opened.mission == "K2" and opened.shape == tpf.shape[1:]

    part = tpf[100:300]
    running = served(part)
    opened = running.app.store.get(running.app.default_file)
    np.testing.assert_array_equal(opened.cadenceno, np.asarray(part.cadenceno))
    assert opened.n_cadences == 200


@pytest.mark.parametrize("kind", ["to_lightcurve", "flatten", "bin"])
def test_lc_a_lightkurve_curve_is_drawn_at_its_cadences(lk, k2_path, k2_rows, served, kind):
    """Each point of the curve is drawn at the frame of its own cadence: by cadence number for
    to_lightcurve() and flatten(); a binned curve (fewer points, its cadenceno averaged) by time,
    to the frame within half a cadence of the bin's time."""
    time, cadenceno = k2_rows
    tpf = lk.read(str(k2_path))
    lc = tpf.to_lightcurve(aperture_mask="threshold")
    if kind == "flatten":
        lc = lc.flatten()
    elif kind == "bin":
        lc = lc.bin(time_bin_size=0.1)
        assert len(lc) < len(tpf) / 4
    trace, layout = _custom_trace(served(tpf, lc=lc).url)
    frames = np.asarray(trace["customdata"])
    drawn = frames >= 0
    keep = np.isfinite(lc.time.value)  # a bin of no valid cadence is NaN: drawn as a gap
    if kind == "bin":
        finite = np.flatnonzero(np.isfinite(time))
        half = np.median(np.diff(time[finite])) / 2
        nearest = finite[np.abs(time[finite][None, :]
                                - lc.time.value[keep][:, None]).argmin(axis=1)]
        within = np.abs(time[nearest] - lc.time.value[keep]) <= half
        expected = nearest[within]
        flux = lc.flux.value[keep][within]
    else:
        by_number = {c: i for i, c in enumerate(cadenceno)}
        expected = np.array([by_number[c] for c in np.asarray(lc.cadenceno)[keep]])
        flux = lc.flux.value[keep]
    np.testing.assert_array_equal(frames[drawn], expected)
    np.testing.assert_allclose(_decode(trace["y"])[drawn], flux, rtol=1e-6, equal_nan=True)
    # The flattened curve (~1) has its own axis beside the aperture's e-/s.
    assert (trace["yaxis"] == "y2") == (kind == "flatten")
    how = "time (within half a cadence)" if kind == "bin" else "cadence number"
    assert f"matched a cadence by {how}" in str(layout)


def test_interact_s_first_view_exports_what_lightkurve_measures(lk, k2_path, k2_rows, kernel,
                                                                  tmp_path, monkeypatch):
    """interact(tpf, aperture_mask='threshold'): the view it opens has lightkurve's threshold
    aperture; that view's FITS export, read with lightkurve.read, has the times, cadences and
    fluxes of lightkurve's own to_lightcurve() with the same mask."""
    monkeypatch.setenv("TPF_DASHBOARD_CACHE", str(tmp_path / "cache"))
    tpf = lk.read(str(k2_path), quality_bitmask="none")
    dashboard.interact(tpf, aperture_mask="threshold", port=0)
    src, _ = _frame_src(kernel.shown)
    app = dashboard.notebook.views()[-1].app
    state, given, notices = decode_query(src.split("?", 1)[1])
    assert given == {"aperture"} and not notices

    export = curve_export(app.store, state.but(file=app.default_file))
    np.testing.assert_array_equal(export.target_mask, tpf.create_threshold_mask())
    path = tmp_path / "export.fits"
    path.write_bytes(lightcurve_fits(export))
    ours = lk.read(str(path), quality_bitmask="none")
    theirs = tpf.to_lightcurve(aperture_mask=tpf.create_threshold_mask())
    theirs = theirs[np.isfinite(k2_rows[0])]  # lightkurve gives a missing TIME as 0.0
    np.testing.assert_array_equal(np.asarray(ours.cadenceno), np.asarray(theirs.cadenceno))
    np.testing.assert_allclose(ours.time.value, theirs.time.value, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.flux.value, theirs.flux.value, rtol=1e-6, equal_nan=True)


def test_interact_takes_lightkurve_s_aperture_names(lk, k2_path, kernel, tmp_path, monkeypatch):
    monkeypatch.setenv("TPF_DASHBOARD_CACHE", str(tmp_path / "cache"))
    tpf = lk.read(str(k2_path))
    dashboard.interact(tpf, aperture_mask="all", port=0)
    state, _, _ = decode_query(_frame_src(kernel.shown)[0].split("?", 1)[1])
    from dashboard.data.masks import decode_mask

    assert decode_mask(state.aperture, tpf.shape[1:]).all()
    kernel.cell["id"] = "cell:b"
    dashboard.interact(tpf, aperture_mask="pipeline", port=0)  # the file's own: no link
    assert "?" not in _frame_src(kernel.shown)[0]


def test_the_blip_report_reads_a_lightkurve_tpf(lk, tmp_path):
    """find_blips and explain on lightkurve's TargetPixelFile of the demo (lk.read does not
    recognise the demo's CREATOR, so its class reads it), whole and sliced."""
    path = tmp_path / "demo.fits"
    path.write_bytes(demo_bytes())
    tpf = lk.KeplerTargetPixelFile(str(path), quality_bitmask="none")
    ray = TRUTH["cosmic_ray"]
    events = dashboard.find_blips(tpf)
    assert any(e.kind == "cosmic_ray" and e.first <= ray["frame"] <= e.last for e in events)
    report = dashboard.explain(tpf, ray["frame"], aperture=tpf.pipeline_mask)
    assert report.top.kind == "cosmic_ray"
    assert [list(p) for p in report.top.pixels] == [[ray["row"], ray["column"]]]

    # A slice is its own file: its frame 0 is the TPF's frame 1200.
    part = tpf[1200:1300]
    assert dashboard.explain(part, ray["frame"] - 1200).top.kind == "cosmic_ray"
    shifted = [e for e in dashboard.find_blips(part) if e.kind == "cosmic_ray"]
    assert shifted and shifted[0].first <= ray["frame"] - 1200 <= shifted[0].last
