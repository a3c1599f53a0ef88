"""Gaia DR3 (VizieR) and the TIC (MAST) through astroquery, against a local stand-in server.

The stand-in (tests/data/sky_server.py) answers the requests astroquery really makes, with
bodies in VizieR's VOTable and MAST's JSON shapes, so astroquery's own parsers run. Checked:
what is asked (catalogue, position, radius, magnitude cut), what is parsed, that a second query
is answered by the cache, and that every failure ends as one DataError within the timeout.
"""

from __future__ import annotations

import json
import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord

from dashboard.data.errors import DataError
from dashboard.data.sky import GaiaDR3, TessInputCatalog, catalogue_field
from dashboard.data.sky.services import setting_timeout
from dashboard.data.tpf import open_tpf
from tests.data.sky_server import DATA, VIZIER_PATH, DictCache, sky_server  # noqa: F401
from tests.data.sky_stamps import KEPLER10, kepler10_stamp, pi_men_stamp, reference_wcs

TIC_ROWS = "Mast.Catalogs.Filtered.Tic.Position.Rows"


@pytest.fixture
def kepler10():
    return open_tpf(kepler10_stamp(), "kepler10-synthetic.fits")


@pytest.fixture
def pi_men():
    return open_tpf(pi_men_stamp(), "pimen-synthetic.fits")


def test_gaia_query_asks_vizier_for_dr3_around_the_stamp_brighter_than_the_target_plus_range(
        sky_server, kepler10):
    gaia = GaiaDR3(url=sky_server.url, timeout=5)
    sky = catalogue_field(kepler10, gaia, mag_range=6.0)
    ((path, asked),) = sky_server.requests
    assert path == VIZIER_PATH
    assert asked["-source"] == "I/355/gaiadr3"
    ra, dec = (float(v) for v in asked["-c"].replace("+", " +").split())
    centre = [float(v) for v in reference_wcs(KEPLER10).pixel_to_world_values(3.0, 4.0)]
    # the 9 x 7 stamp's centre, as FK5 J2000 (what astroquery sends VizieR): 20 mas from ICRS
    assert (ra, dec) == pytest.approx(centre, abs=1e-5)
    assert 0.005 < float(asked["-c.rd"]) < 0.03  # degrees: the stamp, a margin, proper motion
    assert asked["Gmag"] == "<18.46"  # KEPMAG 10.961 + 6 + 1.5 for the G - Kp difference
    assert asked["-sort"] == "Gmag" and asked["-out.max"] == "5000"
    assert "RA_ICRS" in asked["-out"] and "pmDE" in asked["-out"]
    # Parsed: six rows; one is off the stamp; the faintest is beyond target + 6 mag in G.
    assert sky.catalogue == "Gaia DR3" and not sky.from_cache
    ids = [s.id for s in sky.sources]
    assert ids[sky.target] == "Gaia DR3 2132000000000000011"
    assert "Gaia DR3 2132000000000000037" not in ids  # 46 arcsec away: outside the stamp
    assert "Gaia DR3 2132000000000000061" not in ids and sky.dropped_faint == 1
    assert sky.mag_limit == pytest.approx(10.91834 + 6)
    two_parameter = sky.sources[ids.index("Gaia DR3 2132000000000000053")]
    assert two_parameter.pmra is None and two_parameter.magnitudes == {"G": 15.94417}
    target = sky.sources[sky.target]
    assert target.magnitudes == {"G": 10.91834, "BP": 11.24312, "RP": 10.43187}
    assert (target.ref_epoch, target.pmra, target.pmdec) == (2016.0, -6.5, 1.2)


def test_a_second_gaia_query_is_answered_by_the_cache(sky_server, kepler10):
    cache = DictCache()  # stores JSON text: anything not plain JSON would fail here
    first = catalogue_field(kepler10, GaiaDR3(url=sky_server.url, timeout=5, cache=cache))
    second = catalogue_field(kepler10, GaiaDR3(url=sky_server.url, timeout=5, cache=cache))
    assert sky_server.count(VIZIER_PATH) == 1
    assert second.from_cache and not first.from_cache
    assert [s.id for s in second.sources] == [s.id for s in first.sources]
    np.testing.assert_array_equal(second.x, first.x)
    (key,) = cache.values
    assert key == "sky1:gaiadr3:285.68155:+50.24127:48.8:2016.0:18.46:5000"  # (service, position,
    # radius in arcsec, catalogue epoch, magnitude cut, row limit)


def test_tic_query_filters_by_tmag_at_mast_and_drops_duplicates_and_artifacts(sky_server,
                                                                               pi_men):
    tic = TessInputCatalog(url=sky_server.url, timeout=5)
    sky = catalogue_field(pi_men, tic, mag_range=6.0)
    (asked,) = [params for name, params in sky_server.requests if name == TIC_ROWS]
    assert (asked["ra"], asked["dec"]) == pytest.approx((84.291188, -80.469119))  # pixel (5, 5)
    (tmag,) = [f for f in asked["filters"] if f["paramName"] == "Tmag"]
    assert tmag["values"] == [{"min": -5.0, "max": pytest.approx(5.105 + 6 + 1.5, abs=0.005)}]
    ids = [s.id for s in sky.sources]
    assert ids[sky.target] == "261136679"  # found by its TIC number, the file's TICID
    assert "1234567890" not in ids and "1234567891" not in ids  # DUPLICATE, ARTIFACT
    assert "261136655" not in ids and sky.dropped_faint == 1  # Tmag 12.52 > 5.105 + 6
    assert "261136602" not in ids  # 535 arcsec away: not in the cone MAST was asked for
    assert set(ids) == {"261136679", "261136641", "261136710"}
    target = sky.sources[sky.target]
    assert (target.ref_epoch, target.band, target.mag) == (2000.0, "T", 5.105)
    assert target.magnitudes == {"T": 5.105, "G": 5.4951, "V": 5.65, "K": 4.241}
    assert target.pmdec == pytest.approx(1048.84)


def test_a_second_tic_query_is_answered_by_the_cache(sky_server, pi_men):
    cache = DictCache()
    catalogue_field(pi_men, TessInputCatalog(url=sky_server.url, timeout=5, cache=cache))
    again = catalogue_field(pi_men, TessInputCatalog(url=sky_server.url, timeout=5, cache=cache))
    assert sky_server.count(TIC_ROWS) == 1 and again.from_cache


def test_one_service_answers_several_threads_at_once(sky_server):
    sky_server.sleep["/"] = 0.3  # so that the queries overlap
    tic = TessInputCatalog(url=sky_server.url, timeout=5)
    radii = [0.01, 0.02, 0.03, 0.2]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda r: tic.cone(84.291188, -80.469119, r, 11.0), radii))
    rows = json.loads((DATA / "mast_tic_rows.json").read_text())["data"]
    centre = SkyCoord(84.291188 * u.deg, -80.469119 * u.deg)
    for radius, result in zip(radii, results, strict=True):
        expected = {str(row["ID"]) for row in rows
                    if row["Tmag"] <= 11.0 and row["disposition"] is None
                    and centre.separation(SkyCoord(row["ra"] * u.deg,
                                                   row["dec"] * u.deg)).deg <= radius}
        assert {s.id for s in result.sources} == expected
    assert len({len(r.sources) for r in results}) > 1  # the cones really differed


# -- failures ---------------------------------------------------------------------------------
SERVICES = {
    "gaia": (lambda url, timeout: GaiaDR3(url=url, timeout=timeout), "Gaia DR3 (VizieR)",
             VIZIER_PATH),
    "tic": (lambda url, timeout: TessInputCatalog(url=url, timeout=timeout), "TIC (MAST)",
            "/api/v0/invoke"),
}


def _says(name: str, text: str) -> str:
    """A pattern matching a message that starts with ``name + text`` exactly."""
    return "^" + re.escape(name + text)


def _cone(service):
    return service.cone(285.6794, 50.2413, 0.01, 17.0)


@pytest.mark.parametrize("which", SERVICES)
def test_a_server_error_names_the_service_and_the_status(sky_server, which):
    make, name, path = SERVICES[which]
    sky_server.status[path] = 500
    with pytest.raises(DataError, match=_says(name, " had a server error (HTTP 500)")):
        _cone(make(sky_server.url, 5))


@pytest.mark.parametrize("which", SERVICES)
def test_a_garbage_answer_is_an_unreadable_answer(sky_server, which):
    make, name, path = SERVICES[which]
    sky_server.garbage.add(path)
    with pytest.raises(DataError, match=_says(name, " sent an answer that could not be read")):
        _cone(make(sky_server.url, 5))


@pytest.mark.parametrize("which", SERVICES)
def test_a_silent_server_ends_in_a_message_within_the_timeout(sky_server, which):
    make, name, path = SERVICES[which]
    sky_server.sleep[path] = 10.0
    service = make(sky_server.url, 1.0)
    started = time.monotonic()
    with pytest.raises(DataError, match=_says(name, " did not answer within 1 s")):
        _cone(service)
    assert time.monotonic() - started < 2.0


def test_a_query_of_several_slow_requests_still_ends_within_the_one_timeout(sky_server):
    sky_server.sleep["/"] = 0.6  # each of MAST's three requests alone is within the timeout
    started = time.monotonic()
    with pytest.raises(DataError, match=r"^TIC \(MAST\) did not answer within 1 s"):
        _cone(TessInputCatalog(url=sky_server.url, timeout=1.0))
    assert time.monotonic() - started < 1.5
    assert sky_server.count("Mast.Catalogs.All.Tic") == 1  # the second request ran out of time


@pytest.mark.parametrize("which", SERVICES)
def test_a_refused_connection_says_the_service_is_unreachable(which):
    make, name, _ = SERVICES[which]
    with socket.socket() as probe:  # a port nobody listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    with pytest.raises(DataError, match=_says(
            name, f" is unreachable: could not connect to http://127.0.0.1:{port}")):
        _cone(make(f"http://127.0.0.1:{port}", 5))
    assert time.monotonic() - started < 2.0


def test_failures_are_not_cached(sky_server, kepler10):
    cache = DictCache()
    sky_server.status[VIZIER_PATH] = 500
    with pytest.raises(DataError):
        catalogue_field(kepler10, GaiaDR3(url=sky_server.url, timeout=5, cache=cache))
    assert not cache.values
    del sky_server.status[VIZIER_PATH]
    assert len(catalogue_field(kepler10, GaiaDR3(url=sky_server.url, timeout=5, cache=cache)))


def test_timeout_and_urls_come_from_the_settings(sky_server):
    """The environment is read once, into Settings; the services take what it says."""
    from dashboard.services import gaia
    from dashboard.settings import Settings

    settings = Settings.from_env({"TPF_DASHBOARD_CATALOG_TIMEOUT": "7.5",
                                  "TPF_DASHBOARD_VIZIER_URL": sky_server.url + "/"})
    service = gaia(settings)
    assert (service.timeout, service.url) == (7.5, sky_server.url)
    assert len(_cone(service).sources) == 6
    with pytest.raises(DataError, match="TPF_DASHBOARD_CATALOG_TIMEOUT must be a number"):
        Settings.from_env({"TPF_DASHBOARD_CATALOG_TIMEOUT": "soon"})
    assert setting_timeout() == 30.0 and GaiaDR3().timeout == 30.0
    with pytest.raises(DataError, match="more than 0"):
        setting_timeout(0)


@pytest.mark.live
def test_live_gaia_around_kepler10_finds_the_target(kepler10):
    """Needs the internet (run with --live): the real VizieR."""
    sky = catalogue_field(kepler10, GaiaDR3())
    assert sky.target is not None and sky.sources[sky.target].mag == pytest.approx(10.9, abs=0.3)


@pytest.mark.live
def test_live_tic_around_pi_men_finds_it_by_number(pi_men):
    """Needs the internet (run with --live): MAST's real catalogue service."""
    sky = catalogue_field(pi_men, TessInputCatalog())
    assert sky.target is not None and sky.sources[sky.target].id == "261136679"
