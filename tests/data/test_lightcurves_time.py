"""Custom light curves converted to a mission's time system: the exact constants of BKJD, BTJD,
BJD, MJD and JD, and round trips through every system from the Kepler to the TESS era.
"""

from __future__ import annotations

import numpy as np
import pytest
from astropy.time import Time

from dashboard.data.lightcurves import CustomLightCurve, lightcurve_from_arrays, to_mission_time


def lc_in(system: str, time) -> CustomLightCurve:
    return lightcurve_from_arrays(np.asarray(time, float), np.ones(len(time)), time_system=system)


def test_conversions_use_the_exact_constants():
    assert to_mission_time(lc_in("BTJD", [0.0]), "BKJD", 2454833.0)[0] == 2167.0
    assert to_mission_time(lc_in("BKJD", [0.0]), "BTJD", 2457000.0)[0] == -2167.0
    assert to_mission_time(lc_in("MJD", [54832.5]), "BKJD", 2454833.0)[0] == 0.0
    assert to_mission_time(lc_in("MJD", [56999.5]), "BTJD", 2457000.0)[0] == 0.0
    assert to_mission_time(lc_in("BJD", [2457001.25]), "BTJD", 2457000.0)[0] == 1.25
    assert to_mission_time(lc_in("JD", [2454834.5]), "BKJD", 2454833.0)[0] == 1.5
    same = lc_in("BKJD", [1.0, 2.0])
    converted = to_mission_time(same, "BKJD", 2454833.0)
    assert converted is not same.time and converted.tolist() == [1.0, 2.0]
    assert to_mission_time(lc_in("unknown", [7.0]), "BTJD", 2457000.0)[0] == 7.0


def astropy_references(bjd: np.ndarray) -> dict[str, np.ndarray]:
    """The same instants in each system, by astropy: JD and MJD from Time itself, the mission
    systems as TimeDelta from their zero points (BKJD 0 = BJD 2454833, BTJD 0 = BJD 2457000)."""
    instants = Time(bjd, format="jd", scale="tdb")
    return {"BJD": instants.jd, "MJD": instants.mjd,
            "BKJD": (instants - Time(2454833.0, format="jd", scale="tdb")).jd,
            "BTJD": (instants - Time(2457000.0, format="jd", scale="tdb")).jd}


@pytest.mark.parametrize("system", ["BKJD", "BTJD", "BJD", "MJD"])
def test_round_trip_through_every_mission_system(system):
    """Times in ``system`` converted to BKJD and BTJD, and back to ``system`` again, equal
    astropy's values of the same instants both ways, from the Kepler to the TESS era."""
    bjd = 2457000.0 + np.linspace(-2000, 2000, 41)
    expected = astropy_references(bjd)
    references = {"BKJD": 2454833.0, "BTJD": 2457000.0, "BJD": 0.0, "MJD": 2400000.5}
    for target in ("BKJD", "BTJD"):
        there = to_mission_time(lc_in(system, expected[system]), target, references[target])
        np.testing.assert_allclose(there, expected[target], rtol=0, atol=1e-9)
        back = to_mission_time(lc_in(target, there), system, references[system])
        np.testing.assert_allclose(back, expected[system], rtol=0, atol=1e-9)
