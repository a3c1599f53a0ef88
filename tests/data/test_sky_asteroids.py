"""Known asteroids from SkyBoT (astroquery.imcce) against the local stand-in, and naming the
object a blip's fitted track follows.

Reference numbers are computed here with astropy alone: the cadence's UTC from TIME - TIMECORR,
positions from SkyBoT's sexagesimal strings through a WCS built from the same keywords, motion
from SkyBoT's rates over one cadence.
"""

from __future__ import annotations

import time

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.time import Time

from dashboard.data.errors import DataError
from dashboard.data.sky import (
    KnownObject,
    SkyBoT,
    cadence_jd_utc,
    known_objects,
    nearest_known_object,
    track_separation,
)
from dashboard.data.tpf import open_tpf
from tests.data.sky_server import SKYBOT_PATH, DictCache, sky_server  # noqa: F401
from tests.data.sky_stamps import KEPLER10, kepler10_stamp, pi_men_stamp, reference_wcs

TIMECORR = 0.00421  # days: what a Kepler pipeline file might carry (about 6 minutes)
FRAME = 5


@pytest.fixture
def kepler10():
    return open_tpf(kepler10_stamp(timecorr=TIMECORR), "kepler10-synthetic.fits")


def _expected_jd_utc(tpf, frame):
    return Time(tpf.time[frame] - TIMECORR + 2454833.0, format="jd", scale="tdb").utc.jd


def test_skybot_is_asked_from_kepler_for_the_cadence_at_the_spacecraft(sky_server, kepler10):
    found = known_objects(kepler10, FRAME, SkyBoT(url=sky_server.skybot_url, timeout=5))
    ((path, asked),) = sky_server.requests
    assert path == SKYBOT_PATH
    assert asked["-loc"] == "C55" and asked["-mime"] == "votable"
    assert float(asked["-ep"]) == pytest.approx(_expected_jd_utc(kepler10, FRAME), abs=1e-8)
    assert found.jd_utc == pytest.approx(_expected_jd_utc(kepler10, FRAME), abs=1e-8)
    centre = [float(v) for v in reference_wcs(KEPLER10).pixel_to_world_values(3.0, 4.0)]
    assert (float(asked["-ra"]), float(asked["-dec"])) == pytest.approx(centre, abs=1e-9)
    assert 20 / 3600 < float(asked["-rd"]) < 40 / 3600  # the 9 x 7 x 4" stamp and 3 px margin


def test_the_object_on_the_stamp_is_placed_and_given_its_motion_per_cadence(sky_server,
                                                                           kepler10):
    found = known_objects(kepler10, FRAME, SkyBoT(url=sky_server.skybot_url, timeout=5))
    (known,) = found.objects  # 2016 PB87 is 104 arcsec away: off the stamp
    assert (known.name, known.number, known.kind, known.v_mag) == (
        "2003 QT112", 204311, "MB>Outer", pytest.approx(19.8))
    wcs = reference_wcs(KEPLER10)
    position = SkyCoord("19 02 43.9870 +50 14 26.575", unit=(u.hourangle, u.deg))
    x, y = (float(v) for v in wcs.world_to_pixel_values(position.ra.deg, position.dec.deg))
    assert (known.x, known.y) == pytest.approx((x, y), abs=1e-6)
    hours = kepler10.cadence_days * 24
    later = (position.ra.deg + 21.4730 * hours / 3600 / np.cos(position.dec.radian),
             position.dec.deg - 8.1216 * hours / 3600)
    x1, y1 = (float(v) for v in wcs.world_to_pixel_values(*later))
    assert (known.dx, known.dy) == pytest.approx((x1 - x, y1 - y), abs=1e-6)
    assert np.hypot(known.dx, known.dy) * 3.98 == pytest.approx(
        np.hypot(21.4730, 8.1216) * hours, rel=0.01)  # arcsec per cadence at 3.98"/px
    assert (known.frame, found.observatory) == (FRAME, "C55")
    assert found.utc == Time(found.jd_utc, format="jd").strftime("%Y-%m-%d %H:%M:%S")


def test_tess_files_ask_as_tess(sky_server):
    tpf = open_tpf(pi_men_stamp(), "pimen.fits")
    found = known_objects(tpf, 0, SkyBoT(url=sky_server.skybot_url, timeout=5))
    assert sky_server.requests[0][1]["-loc"] == "C57"
    assert found.objects == []  # the answer's objects are near Kepler-10, far from pi Men


def test_an_empty_field_has_no_objects(sky_server, kepler10):
    sky_server.skybot_body = "skybot_conesearch_empty.vot"
    found = known_objects(kepler10, FRAME, SkyBoT(url=sky_server.skybot_url, timeout=5))
    assert found.objects == [] and found.to_dict()["objects"] == []


def test_the_same_cadence_again_is_answered_by_the_cache_another_one_is_not(sky_server,
                                                                           kepler10):
    cache = DictCache()
    service = SkyBoT(url=sky_server.skybot_url, timeout=5, cache=cache)
    first = known_objects(kepler10, FRAME, service)
    again = known_objects(kepler10, FRAME, SkyBoT(url=sky_server.skybot_url, cache=cache))
    assert sky_server.count(SKYBOT_PATH) == 1
    assert again.from_cache and again.objects == first.objects
    known_objects(kepler10, FRAME + 1, service)
    assert sky_server.count(SKYBOT_PATH) == 2


@pytest.mark.parametrize("failure, message", [
    ("status", r"^SkyBoT \(IMCCE\) had a server error \(HTTP 500\)"),
    ("garbage", r"^SkyBoT \(IMCCE\) sent an answer that could not be read"),
    ("sleep", r"^SkyBoT \(IMCCE\) did not answer within 1 s"),
])
def test_skybot_failures_end_as_one_message_within_the_timeout(sky_server, kepler10, failure,
                                                               message):
    if failure == "status":
        sky_server.status[SKYBOT_PATH] = 500
    elif failure == "garbage":
        sky_server.garbage.add(SKYBOT_PATH)
    else:
        sky_server.sleep[SKYBOT_PATH] = 10.0
    started = time.monotonic()
    with pytest.raises(DataError, match=message):
        known_objects(kepler10, FRAME, SkyBoT(url=sky_server.skybot_url, timeout=1.0))
    assert time.monotonic() - started < 2.0


def test_a_cadence_without_time_has_no_epoch(kepler10):
    kepler10.time[3] = np.nan
    with pytest.raises(DataError, match="Frame 3 has no time"):
        cadence_jd_utc(kepler10, 3)


# -- naming the moving blip -------------------------------------------------------------------
def _known(**changes) -> KnownObject:
    values = dict(name="2003 QT112", number=204311, kind="MB>Outer", ra=285.68, dec=50.24,
                  v_mag=19.8, ra_rate=21.5, dec_rate=-8.1, position_error_arcsec=0.2, x=2.5,
                  y=5.0, dx=0.14, dy=-0.05, frame=100, jd_utc=2455203.6)
    values.update(changes)
    return KnownObject(**values)


def test_a_track_along_a_known_object_names_it():
    known = _known()
    frames = np.arange(96, 111)
    rng = np.random.default_rng(1)
    cols = 2.5 + 0.14 * (frames - 100) + rng.normal(0, 0.3, frames.size)
    rows = 5.0 - 0.05 * (frames - 100) + rng.normal(0, 0.3, frames.size)
    other = _known(name="2016 PB87", number=None, x=6.0, y=1.0, dx=-0.1, dy=0.2)
    assert nearest_known_object((frames, rows, cols), [other, known]) is known
    expected = np.sqrt(np.mean((cols - (2.5 + 0.14 * (frames - 100))) ** 2
                               + (rows - (5.0 - 0.05 * (frames - 100))) ** 2))
    assert track_separation((frames, rows, cols), known) == pytest.approx(expected)
    as_dicts = nearest_known_object({"frames": frames, "rows": rows, "cols": cols},
                                    [other.to_dict(), known.to_dict()])
    assert as_dicts == known


def test_a_track_several_pixels_from_every_known_object_names_none():
    frames = np.arange(96, 111)
    cols = 2.5 + 0.14 * (frames - 100) + 4.0  # four pixels to the side, same motion
    rows = 5.0 - 0.05 * (frames - 100)
    assert nearest_known_object((frames, rows, cols), [_known()]) is None
    assert nearest_known_object((frames, rows, cols), [_known()], max_px=4.5) is not None
    assert nearest_known_object((frames, rows, cols), []) is None


@pytest.mark.live
def test_live_skybot_answers_for_a_k2_cadence_on_the_ecliptic(shared_file):
    """Needs the internet (run with --live): the real SkyBoT, for K2 Campaign 9 (bulge)."""
    tpf = open_tpf(shared_file("ktwo221312395-c91_lpd-targ.fits.gz"))
    found = known_objects(tpf, 100, SkyBoT())
    assert found.observatory == "C55" and isinstance(found.objects, list)
