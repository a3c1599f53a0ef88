"""Custom light curves from Python objects: tuples, lightkurve-like and pandas-like objects,
astropy Tables with masked values, and plain arrays (big-endian ones included).
"""

from __future__ import annotations

import numpy as np
import pytest
from astropy.table import Table
from astropy.time import Time

from dashboard.data import DataError
from dashboard.data.lightcurves import lightcurve_from_arrays, lightcurve_from_object

from .lightcurve_samples import ERR, FLUX, TIME, N


class FakeQuantity:
    def __init__(self, value, format=None):
        self.value, self.format = np.asarray(value), format


class FakeLightCurve:
    """What lightkurve's LightCurve offers that we use: .time (.value/.format), .flux, columns."""
    def __init__(self, time, flux, flux_err, quality):
        self.time, self.flux = FakeQuantity(time, "btjd"), FakeQuantity(flux)
        self.flux_err = FakeQuantity(flux_err)
        self._columns = {"quality": quality}
        self.colnames = ["time", "flux", "flux_err", "quality"]

    def __getitem__(self, name):
        return self._columns[name]


class FakeIndex(list):
    def __bool__(self):  # as pandas.Index: "The truth value of an Index is ambiguous"
        raise ValueError("ambiguous")


class FakeDataFrame:
    """pandas-like: .columns and item access returning a Series with .to_numpy()."""
    def __init__(self, data):
        self._data, self.columns = data, FakeIndex(data)

    def __getitem__(self, name):
        return type("Series", (), {"to_numpy": lambda _, v=self._data[name]: np.asarray(v)})()


def test_objects():
    lc = lightcurve_from_object((TIME, FLUX, ERR), name="tuple")
    np.testing.assert_array_equal(lc.flux_err, ERR)
    fake = lightcurve_from_object(FakeLightCurve(TIME, FLUX, ERR, np.arange(N) % 2))
    assert fake.time_system == "BTJD" and "format 'btjd'" in fake.time_system_reason
    np.testing.assert_array_equal(fake.quality, np.arange(N) % 2)
    frame = lightcurve_from_object(FakeDataFrame({"BTJD": TIME, "sap_flux": FLUX, "x": ERR}))
    assert frame.columns == {"time": "BTJD", "flux": "sap_flux"} and frame.time_system == "BTJD"
    masked = np.ma.masked_array(FLUX, mask=np.arange(N) == 3)
    table = lightcurve_from_object(Table({"time": Time(57500.0 + TIME / 100, format="mjd"),
                                          "flux": masked}))
    assert table.time_system == "MJD" and np.isnan(table.flux[3])
    np.testing.assert_array_equal(table.time, 57500.0 + TIME / 100)
    assert lightcurve_from_object(lc) is lc
    with pytest.raises(DataError, match="Cannot use a int"):
        lightcurve_from_object(5)
    with pytest.raises(DataError, match="sequence of 4 items"):
        lightcurve_from_object((TIME, FLUX, ERR, ERR))
    with pytest.raises(DataError, match="same length"):
        lightcurve_from_arrays(TIME, FLUX[:-1])
    big_endian = lightcurve_from_arrays(TIME.astype(">f8"), FLUX.astype(">f4"))
    assert big_endian.time.dtype.isnative and big_endian.flux.dtype == np.float64
