"""``show(tpf, lc=...)``: a server outside Jupyter, Dash's inline mode inside it."""

from __future__ import annotations

import numpy as np
import pytest
import requests
from astropy.io import fits
from astropy.table import Table

import dashboard
from dashboard import notebook
from dashboard.data.demo import demo_bytes, demo_tpf

from .conftest import free_port


def _decode(spec):
    import base64

    return np.frombuffer(base64.b64decode(spec["bdata"]), dtype=spec["dtype"])


def _cleaned_demo_curve():
    """The seed's example: drop flagged cadences and outliers from the pipeline curve."""
    tpf = demo_tpf()
    flux = tpf.pipeline_lightcurve
    keep = (tpf.quality == 0) & (np.abs(flux - np.median(flux)) < 1500)
    return tpf, keep, tpf.time[keep], flux[keep]


def _custom_trace(url):
    layout = requests.get(url + "_dash-layout", timeout=10).json()
    stack = [layout]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            props = node.get("props", {})
            if props.get("id") == "lightcurve":
                return props["figure"]["data"][2], layout
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    raise AssertionError("no light curve in the layout")


def test_show_serves_a_cleaned_curve_with_its_gaps(tmp_path, capsys):
    """Outside Jupyter, show() serves the page with the custom curve drawn, gaps as gaps."""
    tpf, keep, time, flux = _cleaned_demo_curve()
    port = free_port()
    running = dashboard.show(demo_bytes(), lc=(time, flux), port=port, block=False,
                             cache_dir=tmp_path / "cache")
    try:
        assert f"http://127.0.0.1:{port}/" in capsys.readouterr().out
        assert requests.get(running.url + "health", timeout=10).json()["status"] == "ok"
        trace, layout = _custom_trace(running.url)
        assert trace["visible"] is True
        x = _decode(trace["x"])
        frames = np.asarray(trace["customdata"])
        drawn = frames >= 0
        # Every kept cadence is drawn at its own frame...
        np.testing.assert_array_equal(frames[drawn], np.flatnonzero(keep))
        np.testing.assert_array_equal(x[drawn], time)
        # ...and each run of dropped cadences is one break in the line, not a line across it.
        dropped_runs = np.count_nonzero(np.diff(np.flatnonzero(keep)) > 1)
        assert np.isnan(x).sum() == dropped_runs > 0
        assert "matched a cadence" in str(layout)
    finally:
        running.stop()


def test_show_takes_tables_and_a_duck_typed_lightkurve_tpf(tmp_path):
    """An astropy Table as lc, and anything with an ``hdu`` HDUList as the TPF."""
    _, keep, time, flux = _cleaned_demo_curve()

    class FakeLightkurveTPF:
        hdu = fits.HDUList(fits.open(__import__("io").BytesIO(demo_bytes())))
        path = "ktwo-demo_lpd-targ.fits"

    running = dashboard.show(FakeLightkurveTPF(), lc=Table({"time": time, "flux": flux}),
                             port=free_port(), block=False, cache_dir=tmp_path / "cache")
    try:
        trace, _ = _custom_trace(running.url)
        assert np.count_nonzero(np.asarray(trace["customdata"]) >= 0) == keep.sum()
    finally:
        running.stop()


def test_in_jupyter_show_renders_inline(monkeypatch, tmp_path):
    """In a kernel, show() hands the app to Dash's jupyter mode instead of serving itself."""
    calls = {}
    monkeypatch.setattr(notebook, "in_notebook", lambda: True)
    from dash import Dash

    monkeypatch.setattr(Dash, "run", lambda self, **kwargs: calls.update(kwargs))
    assert dashboard.show(cache_dir=tmp_path / "cache") is None
    assert calls["jupyter_mode"] == "inline"
    dashboard.show(mode="jupyterlab", cache_dir=tmp_path / "cache")
    assert calls["jupyter_mode"] == "jupyterlab"


def test_plain_python_is_not_a_notebook():
    assert notebook.in_notebook() is False


def test_show_refuses_what_it_cannot_read(tmp_path):
    from dashboard.data import DataError

    with pytest.raises(DataError):
        dashboard.show(object(), cache_dir=tmp_path / "cache", block=False)
    with pytest.raises(DataError):
        dashboard.show(lc=tmp_path / "missing.csv", cache_dir=tmp_path / "cache", block=False)


