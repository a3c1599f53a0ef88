"""Every error case of the custom light-curve reader: bad text, size caps (gzip bombs included),
FITS files without a usable table, and junk that must never escape as another exception.
"""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from astropy.io import fits

from dashboard.data import DataError
from dashboard.data.lightcurves import read_lightcurve
from tests.synthetic import tpf_bytes

from .lightcurve_samples import FLUX, TIME, fits_bytes, lc_like_fits


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
