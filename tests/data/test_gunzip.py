"""Unpacking ``.fits.gz`` files within a cap (``dashboard.data.gunzip``, through ``open_tpf``).

Files that fit come out byte for byte as Python's own ``gzip.decompress`` gives them (several
members, zero padding, real archive files); files past the cap, by their headers or by what
follows their FITS data, are refused with a message naming the limit. The gigabyte bombs, timed
and measured in a fresh process, are in ``tests/test_gzip_bomb.py``.
"""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest
from astropy.io import fits

from dashboard.data import DataError, open_tpf
from dashboard.data.gunzip import DEFAULT_MAX_PIXELS_MB, gunzip
from dashboard.settings import Settings
from tests.synthetic import tpf_bytes, write_gzip_bomb

K2_GZ = "ktwo221312395-c91_lpd-targ.fits.gz"


def big_image_header(nbytes: int) -> bytes:
    """A primary header announcing an 8-bit image of ``nbytes`` bytes (written by astropy)."""
    header = fits.Header([("SIMPLE", True), ("BITPIX", 8), ("NAXIS", 1), ("NAXIS1", nbytes)])
    return header.tostring().encode()


def test_unpacked_bytes_equal_gzip_decompress(shared_file):
    """A synthetic file, the same in two gzip members, with zero padding after the member, and
    a real K2 .fits.gz: each unpacks to what the standard library's gzip gives."""
    data = tpf_bytes(n_cadences=30, seed=1).data
    packed = gzip.compress(data)
    half = len(data) // 2
    two_members = gzip.compress(data[:half]) + gzip.compress(data[half:])
    assert gunzip(packed, "a.fits.gz") == data
    assert gunzip(two_members, "a.fits.gz") == data
    assert gunzip(packed + bytes(100), "a.fits.gz") == data
    real = shared_file(K2_GZ).read_bytes()
    assert gunzip(real, K2_GZ) == gzip.decompress(real)


def test_not_gzip_is_returned_unchanged():
    data = tpf_bytes(n_cadences=5).data
    assert gunzip(data, "a.fits") is data


def test_cap_is_the_unpacked_size():
    """A .fits.gz opens with ``max_bytes`` equal to its unpacked size and is refused, naming the
    limit and TPF_DASHBOARD_MAX_PIXELS_MB, one block below it."""
    syn = tpf_bytes(n_cadences=300, seed=2)
    packed = gzip.compress(syn.data)
    tpf = open_tpf(packed, filename="a.fits.gz", max_bytes=len(syn.data))
    np.testing.assert_array_equal(tpf.flux, syn.flux)
    with pytest.raises(DataError, match="TPF_DASHBOARD_MAX_PIXELS_MB") as info:
        open_tpf(packed, filename="a.fits.gz", max_bytes=len(syn.data) - 2880)
    assert str(info.value).startswith("a.fits.gz would unpack to")


def test_cap_from_the_settings():
    """TPF_DASHBOARD_MAX_PIXELS_MB sets the cap (Settings, the one reader of the environment);
    unset it is 2000 MB; junk is refused with a message naming the variable; the cap given to
    open_tpf is the one applied."""
    assert Settings.from_env({}).max_unpacked_bytes == DEFAULT_MAX_PIXELS_MB * 2**20 \
        == 2000 * 2**20
    packed = gzip.compress(tpf_bytes(n_cadences=2000, seed=3).data)  # ~1.2 MB unpacked
    small = Settings.from_env({"TPF_DASHBOARD_MAX_PIXELS_MB": "0.5"}).max_unpacked_bytes
    with pytest.raises(DataError, match=r"0\.5 MB limit"):
        open_tpf(packed, filename="a.fits.gz", max_bytes=small)
    enough = Settings.from_env({"TPF_DASHBOARD_MAX_PIXELS_MB": "2"}).max_unpacked_bytes
    assert open_tpf(packed, filename="a.fits.gz", max_bytes=enough).n_cadences == 2000
    with pytest.raises(DataError, match="TPF_DASHBOARD_MAX_PIXELS_MB must be a number"):
        Settings.from_env({"TPF_DASHBOARD_MAX_PIXELS_MB": "lots"})


def test_header_announcing_more_than_the_cap_is_refused_before_unpacking(tmp_path):
    """A header announcing 64 MiB of data, with a 16 MiB cap: refused with the announced size,
    although only the first piece of the stream has been inflated."""
    path = tmp_path / "big.fits.gz"
    write_gzip_bomb(path, big_image_header(64 * 2**20), 64 * 2**20)
    with pytest.raises(DataError, match=r"would unpack to 64\.0 MB or more.*the 16 MB limit"):
        open_tpf(path, max_bytes=16 * 2**20)


def test_bytes_after_the_fits_data_are_refused(tmp_path):
    """A whole synthetic TPF followed by 32 MiB of zeros (the cap is far above it): refused as
    more than its headers describe, not opened and not unpacked to the end."""
    path = tmp_path / "padded.fits.gz"
    write_gzip_bomb(path, tpf_bytes(n_cadences=10).data, 32 * 2**20, chunk=2**20)
    with pytest.raises(DataError, match="more than its FITS headers describe"):
        open_tpf(path, max_bytes=2**30)


def test_gzip_of_something_else_is_not_fits():
    """A gzip of text is refused as 'not a FITS file' (from its first bytes)."""
    with pytest.raises(DataError, match="not a FITS file"):
        open_tpf(gzip.compress(b"time,flux\n1,2\n" * 10_000), filename="table.csv.gz")


@pytest.mark.parametrize("keyword, value", [("NAXIS1", "many"), ("BITPIX", "7")])
def test_header_with_unreadable_sizes_is_refused(keyword, value):
    """A header whose size keywords cannot be read is refused as not readable FITS."""
    data = bytearray(tpf_bytes(n_cadences=5).data)
    with fits.open(io.BytesIO(bytes(data))) as hdul:
        start = hdul[1].fileinfo()["hdrLoc"]
    cards = range(start, start + 2880, 80)
    at = next(i for i in cards if data[i:i + 8] == keyword.ljust(8).encode())
    data[at + 10:at + 30] = value.rjust(20).encode()
    with pytest.raises(DataError, match="not a readable FITS file"):
        open_tpf(gzip.compress(bytes(data)), filename="bad.fits.gz")
