"""Stretches folded into the colour scale: positions, colours, and how much of the map each
part of the data range gets."""

from __future__ import annotations

import re

import numpy as np
import pytest
from plotly.colors import sample_colorscale, unlabel_rgb

from dashboard.figures.stretch import SCALES, stretched_colorscale

_VIRIDIS_T = np.linspace(0, 1, 2001)
_VIRIDIS_RGB = np.array([[float(v) for v in re.findall(r"[\d.]+", c)]
                         for c in sample_colorscale("Viridis", _VIRIDIS_T.tolist())])


def colour_parameter(colour: str) -> float:
    """Where along Viridis (0..1) a colour sits, found by nearest RGB match."""
    rgb = np.array([float(v) for v in re.findall(r"[\d.]+", colour)])
    return float(_VIRIDIS_T[np.argmin(((_VIRIDIS_RGB - rgb) ** 2).sum(axis=1))])


@pytest.mark.parametrize("scale", sorted(SCALES))
def test_positions_run_monotonically_from_0_to_1(scale):
    """Plotly needs stops that start at 0, end at 1 and increase strictly."""
    colorscale = stretched_colorscale(scale)
    positions = np.array([p for p, _ in colorscale])
    assert positions[0] == 0.0 and positions[-1] == 1.0
    assert np.all(np.diff(positions) > 0)
    assert all(isinstance(p, float) for p in positions)
    assert all(c.startswith("rgb(") for _, c in colorscale)


@pytest.mark.parametrize("scale", sorted(SCALES))
def test_colours_never_go_backwards(scale):
    """Brighter data always gets a colour further along the map, ending at both ends of it."""
    parameters = [colour_parameter(c) for _, c in stretched_colorscale(scale)]
    assert np.all(np.diff(parameters) >= -1e-3)
    assert parameters[0] == pytest.approx(0, abs=1e-3)
    assert parameters[-1] == pytest.approx(1, abs=1e-3)


def test_linear_gives_the_base_colormap():
    """A linear stretch is Viridis itself, sampled at the stop positions."""
    colorscale = stretched_colorscale("linear")
    positions = [p for p, _ in colorscale]
    np.testing.assert_allclose(positions, np.linspace(0, 1, len(colorscale)))
    assert [c for _, c in colorscale] == sample_colorscale("Viridis", positions)


@pytest.mark.parametrize("name, plotly_name", [("gray", "gray"), ("inferno", "Inferno"),
                                               ("magma", "Magma"), ("cividis", "Cividis"),
                                               ("viridis", "Viridis")])
def test_each_colour_map_is_plotlys_own(name, plotly_name):
    """The view's colour maps are Plotly's colour scales of those names, sampled at the stops."""
    colorscale = stretched_colorscale("linear", colormap=name)
    positions = [p for p, _ in colorscale]
    assert [c for _, c in colorscale] == sample_colorscale(plotly_name, positions)


def test_gray_runs_black_to_white_and_unknown_maps_are_refused():
    colorscale = stretched_colorscale("linear", colormap="gray")
    assert colorscale[0][1] == "rgb(0, 0, 0)"
    assert min(unlabel_rgb(colorscale[-1][1])) > 250  # white, to plotly's sampling
    with pytest.raises(ValueError, match="colour map"):
        stretched_colorscale("linear", colormap="jet")


def test_log_gives_faint_pixels_most_of_the_colour_range():
    """With log, data in the lowest tenth of the range already spans more than half the map."""
    colorscale = stretched_colorscale("log")
    below = [colour_parameter(c) for p, c in colorscale if p <= 0.1]
    assert max(below) > 0.5
    assert sum(p <= 0.1 for p, _ in colorscale) > len(colorscale) / 4  # dense stops near 0


@pytest.mark.parametrize("scale, formula", [
    ("linear", lambda x: x),
    ("sqrt", np.sqrt),
    ("log", lambda x: np.log(1000 * x + 1) / np.log(1001)),  # astropy LogStretch(a=1000)
    ("asinh", lambda x: np.arcsinh(x / 0.1) / np.arcsinh(1 / 0.1)),  # AsinhStretch(a=0.1)
])
def test_stop_colours_follow_the_stretch_formula(scale, formula):
    """Each stop at data position v has the base-map colour at stretch(v)."""
    for position, colour in stretched_colorscale(scale):
        assert colour_parameter(colour) == pytest.approx(formula(position), abs=0.01)


@pytest.mark.parametrize("scale, name, options", [
    ("linear", "LinearStretch", {}), ("log", "LogStretch", {"a": 1000}),
    ("sqrt", "SqrtStretch", {}), ("asinh", "AsinhStretch", {"a": 0.1}),
])
def test_stretches_are_astropys(scale, name, options):
    """The written-out stretches equal astropy.visualization's own on [0, 1]."""
    from astropy import visualization

    x = np.linspace(-0.5, 1.5, 2001)  # outside [0, 1] too: clipped, as astropy clips
    want = getattr(visualization, name)(**options)(x, clip=True)
    np.testing.assert_allclose(SCALES[scale](x), want, rtol=1e-12, atol=1e-12)


def test_the_server_does_not_import_matplotlib_or_astroquerys_clients():
    """Building the app pulls in neither matplotlib (astropy.visualization did: ~14 MiB) nor
    astroquery's MAST, VizieR and SkyBoT clients (~7 MiB, asked for only by searches and sky
    queries): memory of every worker (docs/performance.md, big files)."""
    import subprocess
    import sys

    heavy = ["matplotlib", "astroquery.mast", "astroquery.vizier", "astroquery.imcce"]
    code = ("import sys, dashboard.app; dashboard.app.create_app({'cache_dir': sys.argv[1]}); "
            f"print([m for m in {heavy!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_dir())], capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[]"


def tmp_dir():
    import tempfile

    return tempfile.mkdtemp(prefix="tpf-imports-")


def test_unknown_scale_is_refused():
    """An unknown scale name is a ValueError naming the choices."""
    with pytest.raises(ValueError, match="linear"):
        stretched_colorscale("gamma")
