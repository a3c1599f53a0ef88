"""Sky overlay traces on the heatmap's CCD axes, and the per-pixel RA/Dec hover text.

Every trace list is also handed to plotly.graph_objects, which rejects any property plotly.js
does not know, so a typo cannot ship silently.
"""

from __future__ import annotations

import json
import math

import numpy as np
import plotly.graph_objects as go
import pytest

from dashboard.data.sky import ApertureFlux, CsvCatalogue, KnownObject, catalogue_field
from dashboard.data.tpf import open_tpf
from dashboard.data.wcs import stamp_wcs
from dashboard.figures.sky import (
    HEATMAP_HOVERTEMPLATE,
    asteroid_traces,
    marker_sizes,
    radec_text,
    source_traces,
)
from tests.data.sky_stamps import KEPLER10, kepler10_stamp, reference_wcs

CATALOGUE = """id,ra,dec,mag
KIC 11904151,285.679391,50.2413,10.96
neighbour,285.68040,50.24170,13.5
no-mag,285.67800,50.24000,
"""


@pytest.fixture
def kepler10():
    return open_tpf(kepler10_stamp(), "k10.fits")


@pytest.fixture
def field(kepler10):
    return catalogue_field(kepler10, CsvCatalogue(CATALOGUE, "mine.csv"))


def test_radec_text_names_every_pixels_sky_position(kepler10):
    text = radec_text(stamp_wcs(kepler10), kepler10.shape)
    assert len(text) == 9 and all(len(row) == 7 for row in text)
    wcs = reference_wcs(KEPLER10)
    for row, column in ((0, 0), (4, 3), (8, 6)):
        ra, dec = wcs.pixel_to_world_values(column, row)
        assert text[row][column] == f"RA {float(ra):.5f}° Dec {float(dec):+.5f}°"
    assert "%{text}" in HEATMAP_HOVERTEMPLATE and "%{z" in HEATMAP_HOVERTEMPLATE
    go.Heatmap(z=np.zeros(kepler10.shape), text=text, hovertemplate=HEATMAP_HOVERTEMPLATE)


def test_sources_are_drawn_at_ccd_positions_with_the_target_marked(kepler10, field):
    flux = ApertureFlux.for_field(field, kepler10.mission, kepler10.shape)
    fractions = flux.fractions(kepler10.pipeline_mask)
    traces = source_traces(field, column=kepler10.column, row=kepler10.row, fractions=fractions)
    go.Figure(data=traces)  # valid plotly properties
    json.dumps(traces, allow_nan=False)  # plain JSON for the page
    neighbours, target = traces
    others = [i for i in range(len(field)) if i != field.target]
    np.testing.assert_allclose(neighbours["x"], kepler10.column + field.x[others])
    np.testing.assert_allclose(neighbours["y"], kepler10.row + field.y[others])
    assert target["x"] == [pytest.approx(655 + field.x[field.target])]
    assert target["marker"]["symbol"] == "star"
    text = neighbours["text"][[field.sources[i].id for i in others].index("neighbour")]
    index = [s.id for s in field.sources].index("neighbour")
    assert "<b>neighbour</b>" in text and "mag 13.50" in text
    assert f"{field.separation_px[index]:.2f} px ({field.separation_arcsec[index]:.1f}″)" in text
    assert f"{100 * fractions[index]:.1f} % of its light in the aperture" in text
    assert "RA 285.68040° Dec +50.24170°" in text


def test_brighter_sources_get_bigger_markers():
    sizes = marker_sizes(np.array([10.0, 12.0, 14.0, np.nan, 30.0, -5.0]), reference=10.0)
    assert sizes[0] > sizes[1] > sizes[2]
    assert sizes[1] - sizes[2] == pytest.approx(4.4)  # 2.2 px per magnitude
    assert sizes[3] == sizes[4] == 5.0 and sizes[5] == 22.0  # unknown and extremes clipped


def test_a_field_from_the_page_store_draws_the_same(kepler10, field):
    stored = json.loads(json.dumps(field.to_dict()))
    assert source_traces(stored, column=655, row=242) == source_traces(field, column=655,
                                                                       row=242)


def test_asteroids_get_a_marker_and_an_arrow_along_their_motion():
    slow = KnownObject(name="2003 QT112", number=204311, kind="MB>Outer", ra=285.68,
                       dec=50.24, v_mag=19.8, ra_rate=21.5, dec_rate=-8.1,
                       position_error_arcsec=0.2, x=2.5, y=5.0, dx=0.3, dy=-0.4, frame=7,
                       jd_utc=2455203.6)
    traces = asteroid_traces([slow], column=655, row=242)
    go.Figure(data=traces)
    line, heading, markers = traces
    assert markers["x"] == [657.5] and markers["y"] == [247.0]
    steps = math.ceil(2.0 / 0.5)  # as many cadences as it takes to move 2 px at 0.5 px each
    assert line["x"] == [657.5, pytest.approx(657.5 + 0.3 * steps), None]
    assert line["y"] == [247.0, pytest.approx(247.0 - 0.4 * steps), None]
    assert heading["marker"]["angle"] == [pytest.approx(math.degrees(math.atan2(0.3, -0.4)))]
    text = markers["text"][0]
    assert "(204311) 2003 QT112" in text and "0.500 px per cadence" in text
    assert "next 4 cadences" in text
    fixed = asteroid_traces({"objects": [slow.to_dict()]}, column=655, row=242, cadences=1)
    assert fixed[0]["x"] == [657.5, pytest.approx(657.8), None]
    assert asteroid_traces([], column=0, row=0) == []
