"""Files the TPF reader must refuse, each with a message that says what is wrong: synthetic
tables without cadences or FLUX, empty, junk, cut and damaged bytes, missing paths; then real
archive files that are light curves, images or cut short.
"""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest
from astropy.io import fits

from dashboard.data import DataError, open_tpf
from tests.synthetic import tpf_bytes

from .tpf_files import TESSCUT, hdu_ends

# -- files that are not readable TPFs (synthetic) ------------------------------------------------

def _table_file(columns, name="TARGETTABLES") -> bytes:
    out = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(columns, name=name)]
                 ).writeto(out)
    return out.getvalue()


def test_zero_row_table_is_refused():
    """A TPF with no cadences says so instead of showing an empty page."""
    data = _table_file([
        fits.Column("TIME", "D", array=np.zeros(0)),
        fits.Column("FLUX", "30E", dim="(6,5)", array=np.zeros((0, 5, 6), dtype=np.float32)),
    ])
    with pytest.raises(DataError, match="no cadences"):
        open_tpf(data)


@pytest.mark.parametrize("name", ["TARGETTABLES", "SOMETABLE"])
def test_table_without_flux_is_refused(name):
    """A pixel table missing FLUX is refused with a message naming the missing column."""
    data = _table_file([fits.Column("TIME", "D", array=np.arange(5.0)),
                        fits.Column("QUALITY", "J", array=np.zeros(5, dtype=np.int32))], name)
    with pytest.raises(DataError, match="FLUX"):
        open_tpf(data)


def test_empty_bytes():
    """Zero bytes: the message says the file is empty."""
    with pytest.raises(DataError, match="empty"):
        open_tpf(b"")


def test_random_junk_bytes():
    """Bytes that are not FITS at all are refused as 'not a FITS file'."""
    junk = np.random.default_rng(7).integers(0, 256, 5000, dtype=np.uint8).tobytes()
    with pytest.raises(DataError, match="not a FITS file"):
        open_tpf(junk)


def test_truncated_gzip():
    """A gzip download that stopped early is reported as a damaged gzip to download again."""
    data = gzip.compress(tpf_bytes().data)
    for cut in (10, len(data) // 2, len(data) - 4):
        with pytest.raises(DataError, match="gzip"):
            open_tpf(data[:cut])


def test_corrupted_gzip_stream():
    """A gzip file with damaged bytes inside the compressed stream is a DataError, like one
    that ends early."""
    data = bytearray(gzip.compress(tpf_bytes().data))
    data[30] ^= 0xFF  # inside the deflate stream, just after the 10-byte gzip header
    with pytest.raises(DataError, match="gzip"):
        open_tpf(bytes(data))


def test_missing_path_and_folder(tmp_path):
    """A path that does not exist, or a folder, gives a DataError naming the problem."""
    with pytest.raises(DataError, match="No such file"):
        open_tpf(tmp_path / "nope_lpd-targ.fits")
    with pytest.raises(DataError, match="folder"):
        open_tpf(tmp_path)


def test_data_error_is_a_value_error():
    """Callers that catch ValueError also catch the reader's refusals."""
    assert issubclass(DataError, ValueError)

# -- real files that must be refused -------------------------------------------------------------

def test_real_tess_lightcurve_file_refused(shared_file):
    """A TESS SPOC light-curve file is not a TPF: the message says it is a light-curve file."""
    with pytest.raises(DataError, match="light-curve"):
        open_tpf(shared_file("tess2018206045859-s0001-0000000358108509-0120-s_lc.fits"))


def test_real_k2sff_lightcurve_refused(shared_file):
    """The K2SFF HLSP light curve (BESTAPER first, FRAW/FCOR) is refused as a light curve."""
    with pytest.raises(DataError, match="light-curve"):
        open_tpf(shared_file("hlsp_k2sff_k2_lightcurve_221312395-c91_kepler_v1_llc.fits"))


def test_real_image_only_file_refused_as_images(shared_file):
    """The K2 file holding one cadence as an IMAGE extension is refused with a message saying
    it holds images (not that it is truncated: re-downloading it would not help)."""
    with pytest.raises(DataError) as info:
        open_tpf(shared_file("ktwo201907706-c01-first-cadence.fits.gz"))
    message = str(info.value)
    assert "images" in message
    assert "truncated" not in message


def test_real_image_only_file_refused(shared_file):
    """Whatever the wording, the image-only K2 file is a DataError, not a crash."""
    with pytest.raises(DataError):
        open_tpf(shared_file("ktwo201907706-c01-first-cadence.fits.gz"))


@pytest.mark.parametrize("name", ["kplr012644769-q12-10cadences_lpd-targ.fits",
                                  "tess2018349182459-s0006-0000000322899250-0126-s_tp.fits",
                                  TESSCUT])
def test_real_truncated_bytes_refused(name, shared_file):
    """A real file cut short (mid-block, and on 2880-byte block boundaries) is refused with a
    message telling the user to download it again. A cut exactly where an HDU ends leaves whole
    HDUs, the pixel table among them, and opens with a notice instead (``test_tpf_incomplete.py``),
    so those cuts are left out."""
    data = shared_file(name).read_bytes()
    blocks = len(data) // 2880
    cuts = {100, 2880, 2 * 2880, len(data) // 2, (blocks // 2) * 2880,
            (blocks - 1) * 2880, len(data) - 1} - set(hdu_ends(data)[1:])
    assert {2 * 2880, (blocks // 2) * 2880} <= cuts  # block-aligned cuts are still tried
    for cut in sorted(cuts):
        with pytest.raises(DataError, match="(?i)download it again"):
            open_tpf(data[:cut], filename=name)


def test_real_truncated_gzip_refused(shared_file):
    """A real .fits.gz cut short is refused as a damaged gzip."""
    data = shared_file("ktwo221312395-c91_lpd-targ.fits.gz").read_bytes()
    for cut in (len(data) // 3, len(data) - 1):
        with pytest.raises(DataError, match="gzip"):
            open_tpf(data[:cut])
