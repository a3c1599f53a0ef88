"""Reading custom light curves from text: a matrix of layouts (delimiters, comments, newlines,
column orders, with and without a header), column names, quoting, decimal commas, gzip, row
cleaning and the time system guessed from the values.

Inputs are generated in the tests from known arrays; values are written with repr() so the exact
float64 must come back. FITS files are in ``test_lightcurves_fits.py``, error cases in
``test_lightcurves_errors.py``, Python objects in ``test_lightcurves_objects.py`` and time-system
conversions in ``test_lightcurves_time.py``.
"""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest

from dashboard.data import DataError
from dashboard.data.lightcurves import read_lightcurve

from .lightcurve_samples import ERR, FLUX, TIME, N, table_text

ORDERS = {
    "time-flux-err": (("time", "flux", "flux_err"), (TIME, FLUX, ERR)),
    "err-time-flux": (("flux_err", "time", "flux"), (ERR, TIME, FLUX)),
    "flux-time": (("flux", "time"), (FLUX, TIME)),
}


@pytest.mark.parametrize("delimiter", [",", "\t", ";", " ", "   ", ", "])
@pytest.mark.parametrize("comments", [False, True])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("order", ORDERS)
def test_text_with_header(delimiter, comments, newline, order):
    names, columns = ORDERS[order]
    data = table_text(names, columns, delimiter, True, comments, newline)
    lc = read_lightcurve(data, "mine.csv")
    np.testing.assert_array_equal(lc.time, TIME)
    np.testing.assert_array_equal(lc.flux, FLUX)
    if "flux_err" in names:
        np.testing.assert_array_equal(lc.flux_err, ERR)
    else:
        assert lc.flux_err is None
    assert lc.columns["time"] == "time" and lc.columns["flux"] == "flux"
    assert lc.time.dtype == np.float64 and lc.time.dtype.isnative
    assert lc.notes == [] and lc.name == "mine.csv"


@pytest.mark.parametrize("delimiter", [",", "\t", ";", " "])
@pytest.mark.parametrize("with_err", [False, True])
@pytest.mark.parametrize("comments", [False, True])
def test_text_without_header_takes_col1_time_col2_flux(delimiter, with_err, comments):
    columns = (TIME, FLUX, ERR) if with_err else (TIME, FLUX)
    lc = read_lightcurve(table_text(None, columns, delimiter, False, comments), "kplr.txt")
    np.testing.assert_array_equal(lc.time, TIME)
    np.testing.assert_array_equal(lc.flux, FLUX)
    assert (lc.flux_err is not None) == with_err
    assert lc.columns["time"] == "col1" and lc.columns["flux"] == "col2"
    assert any("no header row" in note for note in lc.notes)
    assert lc.time_system == "BKJD"  # 'kplr' in the name: a Kepler/K2 context


@pytest.mark.parametrize("time_name, flux_name, err_name", [
    ("TIME", "PDCSAP_FLUX", "PDCSAP_FLUX_ERR"),
    ("BJD", "fcor", "err"),
    ("btjd", "flux_corr", "e_flux"),
    ("Time (BTJD)", "F", "sigma"),
    ("tbjd", "det_flux", "flux_error"),
    ("barycentric time", "kspsap_flux", "kspsap_flux_err"),
    ("T", "FRAW", "FLUX_ERR"),
    ("bkjd", "sap_flux", "sap_flux_err"),
])
def test_column_names_are_recognised_case_insensitively(time_name, flux_name, err_name):
    data = table_text((flux_name, err_name, time_name), (FLUX, ERR, TIME))
    lc = read_lightcurve(data, "x.csv")
    assert lc.columns == {"time": time_name, "flux": flux_name, "flux_err": err_name}
    np.testing.assert_array_equal(lc.time, TIME)
    np.testing.assert_array_equal(lc.flux_err, ERR)


def test_corrected_flux_is_preferred_and_every_flux_is_a_candidate():
    names = ("TIME", "SAP_FLUX", "SAP_FLUX_ERR", "PDCSAP_FLUX", "PDCSAP_FLUX_ERR", "QUALITY",
             "CADENCENO")
    columns = (TIME, FLUX + 5, ERR + 1, FLUX, ERR, np.zeros(N), 100 + np.arange(N))
    lc = read_lightcurve(table_text(names, columns), "x.csv")
    assert lc.columns["flux"] == "PDCSAP_FLUX" and lc.columns["flux_err"] == "PDCSAP_FLUX_ERR"
    assert lc.candidates["flux"][:2] == ["PDCSAP_FLUX", "SAP_FLUX"]
    assert set(lc.candidates["flux"]) == set(names)  # any numeric column may be picked
    np.testing.assert_array_equal(lc.cadenceno, 100 + np.arange(N))
    assert lc.cadenceno.dtype == np.int64 and lc.quality.dtype == np.int64
    k2sff = read_lightcurve(table_text(("T", "FRAW", "FCOR"), (TIME, FLUX + 1, FLUX)), "x.csv")
    assert k2sff.columns["flux"] == "FCOR" and k2sff.candidates["flux"][:2] == ["FCOR", "FRAW"]


def test_user_choice_of_columns_and_time_system():
    data = table_text(("time", "sap_flux", "pdcsap_flux"), (TIME, FLUX + 5, FLUX))
    lc = read_lightcurve(data, "x.csv", columns={"flux": "sap_flux"}, time_system="btjd")
    np.testing.assert_array_equal(lc.flux, FLUX + 5)
    assert lc.time_system == "BTJD" and "chosen" in lc.time_system_reason
    with pytest.raises(DataError, match="no numeric column 'nope'"):
        read_lightcurve(data, "x.csv", columns={"flux": "nope"})
    with pytest.raises(DataError, match="Unknown time system"):
        read_lightcurve(data, "x.csv", time_system="GPS")


def test_header_in_the_last_comment_line_as_numpy_savetxt_writes_it():
    buffer = io.StringIO()
    np.savetxt(buffer, np.column_stack([FLUX, TIME]), header="flux time", fmt="%.17g")
    lc = read_lightcurve(buffer.getvalue().encode(), "x.txt")
    np.testing.assert_array_equal(lc.time, TIME)
    assert lc.columns == {"time": "time", "flux": "flux"}


def test_quoted_csv_decimal_commas_gzip_and_a_text_column():
    quoted = b'"time","flux","target"\n' + b"".join(
        f'"{float(t)!r}","{float(f)!r}","star"\n'.encode() for t, f in zip(TIME, FLUX, strict=True))
    lc = read_lightcurve(quoted, "q.csv")
    np.testing.assert_array_equal(lc.flux, FLUX)
    assert "target" not in lc.candidates["flux"]  # words are not a numeric column
    european = b"time;flux\n1,5;2,25\n2,5;3,75\n"
    np.testing.assert_array_equal(read_lightcurve(european, "e.csv").flux, [2.25, 3.75])
    packed = gzip.compress(table_text(("time", "flux"), (TIME, FLUX)))
    np.testing.assert_array_equal(read_lightcurve(packed, "x.csv.gz").time, TIME)


def test_rows_are_cleaned_and_each_change_is_noted():
    text = b"time,flux,quality\n3,30,0\n1,10,1\nnan,99,0\n2,20,0\n1,11,4\n,5,0\n4,40,0\n"
    lc = read_lightcurve(text, "x.csv")
    np.testing.assert_array_equal(lc.time, [1, 2, 3, 4])
    np.testing.assert_array_equal(lc.flux, [10, 20, 30, 40])  # the first of the repeated t=1
    np.testing.assert_array_equal(lc.quality, [1, 0, 0, 0])
    notes = " ".join(lc.notes)
    assert "2 row(s) without a time were dropped" in notes
    assert "sorted by time" in notes and "1 row(s) repeating an earlier time" in notes


@pytest.mark.parametrize("values, name, filename, system", [
    (2457000.0 + TIME, "bjd", "x.csv", "BJD"),
    (2400000.0 + TIME, "jd", "x.csv", "BJD"),
    (57500.0 + TIME / 100, "time", "x.csv", "MJD"),
    (1400.0 + TIME / 100, "btjd", "x.csv", "BTJD"),
    (1400.0 + TIME / 100, "time", "tess_sector1.csv", "BTJD"),
    (TIME, "time", "ktwo221312395.csv", "BKJD"),
    (TIME, "bkjd", "x.csv", "BKJD"),
    (500.0 + TIME / 100, "time", "x.csv", "BKJD"),  # before TESS began: only Kepler fits
    (TIME, "time", "x.csv", "unknown"),  # BKJD or BTJD: nothing says which
])
def test_time_system_guessed_and_explained(values, name, filename, system):
    lc = read_lightcurve(table_text((name, "flux"), (values, FLUX)), filename)
    assert lc.time_system == system
    assert f"column '{name}' with values ~" in lc.time_system_reason
