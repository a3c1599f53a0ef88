"""Reading custom light curves: a matrix of text layouts, FITS variants written here with astropy,
every error case, Python objects, time-system conversions, and the real TESS lc file.

Inputs are generated in the tests from known arrays; values are written with repr() so the exact
float64 must come back.
"""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from astropy.time import Time

from dashboard.data import DataError
from dashboard.data.lightcurves import (
    CustomLightCurve,
    lightcurve_from_arrays,
    lightcurve_from_object,
    read_lightcurve,
    to_mission_time,
)
from tests.synthetic import tpf_bytes

RNG = np.random.default_rng(3)
N = 50
TIME = 2680.0 + 0.0204 * np.arange(N) + RNG.uniform(0, 1e-3, N)  # K2-era BKJD
FLUX = RNG.normal(1.0, 0.01, N)
ERR = RNG.uniform(1e-4, 1e-3, N)


def table_text(names, columns, delimiter=",", header=True, comments=False, newline="\n") -> bytes:
    lines = ["# written by a test", "# second comment"] if comments else []
    if header:
        lines.append(delimiter.join(names))
    lines += [delimiter.join(repr(float(v)) for v in row) for row in zip(*columns, strict=True)]
    return (newline.join(lines) + newline).encode()


# -- text: the parsing matrix -------------------------------------------------------------------

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


# -- every error case ---------------------------------------------------------------------------

def fits_bytes(*hdus) -> bytes:
    buffer = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), *hdus]).writeto(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("data, message", [
    (b"", "is empty"),
    (b"  \n\r\n ", "is empty"),
    (np.random.default_rng(0).bytes(5000), "binary data"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "binary data"),
    (b"1.0\n2.0\n3.0\n", "only one column"),
    (b"# only comments\n# here\n", "only comments"),
    (b"time,flux\n", "header row but no data"),
    (b"name,colour\nvega,blue\nsirius,white\n", "no numeric columns"),
    (b"time,name\n1,vega\n2,sirius\n", "only one numeric column"),
    (b"alpha,beta\n1,2\n3,4\n", "no column recognisable as time"),
    (b"time,beta\n1,2\n3,4\n", "no column recognisable as flux"),
    (b"time,flux\n1,nan\n2,nan\n", "no finite values"),
    (b"time,flux\nnan,1\nnan,2\n", "no row has a finite time"),
    (b"Dear reader, this is prose.\nIt has words in it, you see.\n", "no numeric columns"),
    (b"a poem\nof lines\nthat do not\nsplit evenly into\nthe same columns at all\n",
     "does not look like a table"),
    (b"SIMPLE  = junk that only starts like FITS", "could not be read"),
    (b"\x1f\x8b\x08\x00broken", "damaged gzip"),
])
def test_bad_text_gives_a_clear_data_error(data, message):
    with pytest.raises(DataError, match=message):
        read_lightcurve(data, "upload.csv")


def test_size_cap_is_checked_before_parsing_and_says_both_sizes():
    with pytest.raises(DataError, match=r"3,000 bytes, over the 1,000 bytes limit"):
        read_lightcurve(b"\x00" * 3000, "big.csv", max_bytes=1000)  # junk: never parsed
    with pytest.raises(DataError, match=r"60.0 MB, over the 50.0 MB limit"):
        read_lightcurve(b" " * (60 * 2**20), "big.csv")
    bomb = gzip.compress(b"1,2\n" * 100_000)
    with pytest.raises(DataError, match="unpacks to more than"):
        read_lightcurve(bomb, "bomb.csv.gz", max_bytes=100_000)


def test_fits_errors():
    image_only = fits_bytes(fits.ImageHDU(np.zeros((3, 3))))
    with pytest.raises(DataError, match="without any table"):
        read_lightcurve(image_only, "image.fits")
    with pytest.raises(DataError, match="is a target pixel file"):
        read_lightcurve(tpf_bytes(n_cadences=5).data, "tpf.fits")
    with pytest.raises(DataError, match="is a target pixel file"):
        read_lightcurve(tpf_bytes(n_cadences=5, mission="TESS", gzip=True).data, "tp.fits.gz")
    no_flux = fits_bytes(fits.BinTableHDU.from_columns([
        fits.Column("TIME", "D", array=TIME), fits.Column("X", "D", array=FLUX)]))
    with pytest.raises(DataError, match="no column recognisable as flux"):
        read_lightcurve(no_flux, "x.fits")
    two_tables = fits_bytes(*[fits.BinTableHDU.from_columns([fits.Column("A", "D", array=TIME)])
                              for _ in range(2)])
    with pytest.raises(DataError, match="2 tables but none with a time and a flux"):
        read_lightcurve(two_tables, "x.fits")
    good = lc_like_fits()
    with pytest.raises(DataError, match="truncated or corrupt|could not be read"):
        read_lightcurve(good[: len(good) // 2 + 100], "cut.fits")


def test_junk_never_escapes_as_another_exception():
    rng = np.random.default_rng(11)
    good = lc_like_fits()
    samples = [rng.bytes(n) for n in (1, 10, 3000)]
    samples += [good[:n] for n in (2880, 5000, 8640)]
    samples += [b"SIMPLE  =" + rng.bytes(3000), b"time,flux\n" + rng.bytes(300)]
    samples += [b"\t;,|\n" * 5, b"#\n#\n1;2\n", b"time flux\n1e999 2\n-inf nan\n"]
    for data in samples:
        try:
            read_lightcurve(data, "junk")
        except DataError as error:
            assert str(error)
        # a few may parse into something; the point is that nothing else is raised


# -- FITS variants ------------------------------------------------------------------------------

def lc_like_fits(mission="TESS") -> bytes:
    """A TESS SPOC lc / Kepler llc layout: LIGHTCURVE with TIME, SAP/PDCSAP fluxes, QUALITY."""
    reference = 2457000 if mission == "TESS" else 2454833
    quality = "QUALITY" if mission == "TESS" else "SAP_QUALITY"
    table = fits.BinTableHDU.from_columns([
        fits.Column("TIME", "D", unit=f"BJD - {reference}, days", array=TIME),
        fits.Column("TIMECORR", "E", unit="d", array=np.zeros(N)),
        fits.Column("CADENCENO", "J", array=1000 + np.arange(N)),
        fits.Column("SAP_FLUX", "E", array=FLUX + 5),
        fits.Column("SAP_FLUX_ERR", "E", array=ERR + 1),
        fits.Column("PDCSAP_FLUX", "E", array=FLUX),
        fits.Column("PDCSAP_FLUX_ERR", "E", array=ERR),
        fits.Column(quality, "J", array=np.arange(N) % 3),
    ], name="LIGHTCURVE")
    table.header["BJDREFI"], table.header["BJDREFF"] = reference, 0.0
    primary = fits.PrimaryHDU()
    primary.header["TELESCOP"] = mission if mission == "TESS" else "Kepler"
    buffer = io.BytesIO()
    fits.HDUList([primary, table, fits.ImageHDU(np.zeros((4, 4), np.int32), name="APERTURE")]
                 ).writeto(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("mission, system", [("TESS", "BTJD"), ("Kepler", "BKJD")])
def test_spoc_lc_and_kepler_llc(mission, system):
    lc = read_lightcurve(lc_like_fits(mission), f"{mission}.fits")
    assert lc.time_system == system and "unit 'BJD - " in lc.time_system_reason
    np.testing.assert_array_equal(lc.time, TIME)
    np.testing.assert_array_equal(lc.flux, FLUX.astype(np.float32).astype(np.float64))
    np.testing.assert_array_equal(lc.flux_err, ERR.astype(np.float32).astype(np.float64))
    np.testing.assert_array_equal(lc.quality, np.arange(N) % 3)
    np.testing.assert_array_equal(lc.cadenceno, 1000 + np.arange(N))
    assert lc.columns["flux"] == "PDCSAP_FLUX" and "TIMECORR" not in lc.candidates["time"][:1]
    for array in (lc.time, lc.flux, lc.flux_err):
        assert array.dtype == np.float64 and array.dtype.isnative  # FITS is big-endian


def test_k2sff_like_first_table_with_bjdrefi_only():
    def aperture(name, flux):
        hdu = fits.BinTableHDU.from_columns([
            fits.Column("T", "D", array=TIME), fits.Column("FRAW", "D", array=flux + 1),
            fits.Column("FCOR", "D", array=flux), fits.Column("ARCLENGTH", "D", array=FLUX),
            fits.Column("MOVING", "I", array=np.zeros(N)),
            fits.Column("CADENCENO", "J", array=2000 + np.arange(N))], name=name)
        hdu.header["BJDREFI"], hdu.header["BJDREFF"], hdu.header["TIMEUNIT"] = 2454833, 0.0, "d"
        return hdu
    data = fits_bytes(aperture("BESTAPER", FLUX), aperture("CIRC_APER0", FLUX * 2))
    lc = read_lightcurve(data, "hlsp_k2sff.fits")
    np.testing.assert_array_equal(lc.flux, FLUX)  # BESTAPER, the first table
    assert lc.columns == {"time": "T", "flux": "FCOR", "cadenceno": "CADENCENO"}
    assert lc.time_system == "BKJD" and "BJDREFI=2454833" in lc.time_system_reason
    second = read_lightcurve(data, "x.fits", columns={"time": "T", "flux": "FRAW"})
    np.testing.assert_array_equal(second.flux, FLUX + 1)


def test_lightkurve_to_fits_layout_with_time_in_btjd():
    btjd = 1400.0 + TIME / 100
    table = fits.BinTableHDU.from_columns([
        fits.Column("TIME", "D", array=btjd), fits.Column("FLUX", "E", array=FLUX),
        fits.Column("FLUX_ERR", "E", array=ERR), fits.Column("QUALITY", "J", array=np.zeros(N)),
        fits.Column("CADENCENO", "J", array=np.arange(N)),
        fits.Column("PDCSAP_FLUX", "E", array=FLUX * 3)], name="LIGHTCURVE")
    table.header["BJDREFI"], table.header["BJDREFF"] = 2457000, 0.0
    lc = read_lightcurve(fits_bytes(table), "lightkurve.fits")
    assert lc.time_system == "BTJD" and lc.columns["flux"] == "FLUX"
    np.testing.assert_array_equal(lc.time, btjd)


def test_astropy_time_column_as_lightkurve_write_stores_it():
    jd = 2457000.0 + 1400.0 + np.arange(N) * (2 / 1440)
    table = Table({"time": Time(jd, format="jd", scale="tdb"), "flux": FLUX, "flux_err": ERR})
    buffer = io.BytesIO()
    table.write(buffer, format="fits")
    lc = read_lightcurve(buffer.getvalue(), "written.fits")
    assert lc.time_system == "BJD" and "astropy Time column" in lc.time_system_reason
    np.testing.assert_allclose(lc.time, jd, rtol=0, atol=1e-9)
    np.testing.assert_allclose(to_mission_time(lc, "BTJD", 2457000.0), jd - 2457000.0,
                               rtol=0, atol=1e-9)


def test_real_tess_lc_file(shared_file):
    name = "tess2018206045859-s0001-0000000358108509-0120-s_lc.fits"
    path = shared_file(name)
    with fits.open(path) as hdul:
        data = hdul["LIGHTCURVE"].data
        time, pdcsap = np.array(data["TIME"], float), np.array(data["PDCSAP_FLUX"], float)
        cadenceno = np.array(data["CADENCENO"], int)
    assert time.size == 20076
    timed = np.isfinite(time)
    lc = read_lightcurve(path.read_bytes(), name)
    assert lc.time_system == "BTJD"
    assert len(lc) == timed.sum()  # rows without a time are dropped, and that is noted
    assert f"{(~timed).sum()} row(s) without a time were dropped." in lc.notes
    np.testing.assert_array_equal(lc.time, time[timed])
    np.testing.assert_array_equal(lc.flux, pdcsap[timed])
    np.testing.assert_array_equal(lc.cadenceno, cadenceno[timed])


# -- Python objects -----------------------------------------------------------------------------

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


# -- time systems -------------------------------------------------------------------------------

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


@pytest.mark.parametrize("system", ["BKJD", "BTJD", "BJD", "MJD"])
def test_round_trip_through_every_mission_system(system):
    offsets = {"BKJD": 2454833.0, "BTJD": 2457000.0, "BJD": 0.0, "MJD": 2400000.5}
    bjd = 2457000.0 + np.linspace(-2000, 2000, 41)  # Kepler to TESS era
    original = bjd - offsets[system]
    for target in ("BKJD", "BTJD"):
        there = to_mission_time(lc_in(system, original), target, offsets[target])
        np.testing.assert_allclose(there, bjd - offsets[target], rtol=0, atol=1e-9)
        back = to_mission_time(lc_in(target, there), system, offsets[system]) \
            if system in ("BKJD", "BTJD") else there + (offsets[target] - offsets[system])
        np.testing.assert_allclose(back, original, rtol=0, atol=1e-9)
