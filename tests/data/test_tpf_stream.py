"""Opening a file on disk in pieces (data/tpf_stream.py via TPFStore.add_file): the same file
the whole-file reader gives, for real mission files and synthetic ones, with the pixels equal
to astropy's own reading; refused files leave nothing behind; memory stays small."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits

from dashboard.data import DataError, tpf_stream
from dashboard.data.store import TPFStore, file_id
from dashboard.data.tpf import TargetPixelFile, open_tpf
from tests.synthetic import tpf_bytes

ROOT = Path(__file__).resolve().parents[2]
REAL = ["kplr011904151-2010009091648_lpd-targ.fits", "kplr012644769-q12-10cadences_lpd-targ.fits",
        "tess-s0001-4-2_84.291190_-80.469170_6x6_astrocut.fits",
        "tess2018349182459-s0006-0000000322899250-0126-s_tp.fits"]


def _same(a: TargetPixelFile, b: TargetPixelFile) -> None:
    for f in fields(TargetPixelFile):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            assert x is not None and y is not None, f.name
            assert x.dtype == y.dtype and x.shape == y.shape, f.name
            np.testing.assert_array_equal(x, y, err_msg=f.name)
        else:
            assert x == y, f.name


def _astropy_flux(path: Path) -> np.ndarray:
    with fits.open(path) as hdul:
        table = next(h for h in hdul
                     if isinstance(h, fits.BinTableHDU) and "FLUX" in h.columns.names)
        return np.asarray(table.data["FLUX"], dtype=np.float32)


@pytest.mark.parametrize("name", REAL)
def test_real_files_read_in_pieces_equal_the_whole_file_reading(tmp_path, shared_file, name):
    path = shared_file(name)
    store = TPFStore(tmp_path)
    fid = store.add_file(path, name)
    assert fid == file_id(path.read_bytes())  # the same id as the same bytes uploaded
    streamed = store.get(fid)
    _same(streamed, open_tpf(path))
    np.testing.assert_array_equal(streamed.flux, _astropy_flux(path))
    assert isinstance(streamed.flux.base, np.memmap)  # mapped, not copied


def test_the_piece_reader_is_used_and_matches_astropy_across_pieces(tmp_path, monkeypatch):
    """A synthetic file read a few rows per piece: every piece boundary lands mid-file."""
    monkeypatch.setattr(tpf_stream, "PIECE_BYTES", 3000)  # a handful of rows per piece
    syn = tpf_bytes(n_cadences=97, shape=(7, 5), mission="TESS", seed=3)
    path = tmp_path / "syn.fits"
    path.write_bytes(syn.data)
    calls = []
    real = tpf_stream.read_columns
    monkeypatch.setattr(tpf_stream, "read_columns", lambda *a: calls.append(1) or real(*a))
    store = TPFStore(tmp_path / "cache")
    tpf = store.get(store.add_file(path, "syn.fits"))
    assert calls == [1]
    np.testing.assert_array_equal(tpf.flux, syn.flux)
    np.testing.assert_array_equal(tpf.flux_bkg, syn.flux_bkg)
    np.testing.assert_array_equal(tpf.time, syn.time)
    np.testing.assert_array_equal(tpf.cadenceno, syn.cadenceno)
    _same(tpf, open_tpf(syn.data, filename="syn.fits"))
    # Kept like an upload: another process reopens it from the store alone.
    path.unlink()
    _same(TPFStore(tmp_path / "cache").get(file_id(syn.data)), tpf)


def test_a_gzip_file_is_read_whole_and_gives_the_same_file(tmp_path):
    syn = tpf_bytes(n_cadences=30, seed=4)
    path = tmp_path / "syn.fits.gz"
    path.write_bytes(gzip.compress(syn.data))
    store = TPFStore(tmp_path / "cache")
    tpf = store.get(store.add_file(path, "syn.fits.gz"))
    np.testing.assert_array_equal(tpf.flux, syn.flux)


def test_a_refused_file_leaves_nothing_behind(tmp_path, shared_file):
    lc = shared_file("tess2018206045859-s0001-0000000358108509-0120-s_lc.fits")
    store = TPFStore(tmp_path / "cache")
    with pytest.raises(DataError, match="light-curve file"):
        store.add_file(lc, lc.name)
    assert list((tmp_path / "cache" / "tpf").iterdir()) == []


def test_a_table_without_time_written_in_pieces_is_refused_and_cleaned_up(tmp_path):
    columns = [fits.Column("FLUX", "4E", dim="(2,2)", array=np.ones((5, 2, 2), np.float32))]
    path = tmp_path / "notime.fits"
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU.from_columns(columns, name="PIXELS")]) \
        .writeto(path)
    store = TPFStore(tmp_path / "cache")
    with pytest.raises(DataError):
        store.add_file(path, path.name)
    assert [p.name for p in (tmp_path / "cache" / "tpf").iterdir()] == []


def test_a_missing_path_is_one_sentence(tmp_path):
    with pytest.raises(DataError, match="No such file"):
        TPFStore(tmp_path).add_file(tmp_path / "nope.fits", "nope.fits")


def write_big(path: Path, n: int, shape: tuple[int, int]) -> np.ndarray:
    """A TESS-like file whose frame i holds i + pixel/1000 (easy to check any frame)."""
    rows, cols = shape
    pixel = (np.arange(rows * cols, dtype=np.float32) / 1000).reshape(rows, cols)
    flux = np.arange(n, dtype=np.float32)[:, None, None] + pixel
    table = fits.BinTableHDU.from_columns([
        fits.Column("TIME", "D", array=1500.0 + np.arange(n) * 20 / 86400),
        fits.Column("CADENCENO", "J", array=np.arange(n) + 7),
        fits.Column("FLUX", f"{rows * cols}E", dim=f"({cols},{rows})", array=flux),
        fits.Column("QUALITY", "J", array=np.zeros(n, np.int32)),
    ], name="PIXELS")
    primary = fits.PrimaryHDU()
    primary.header["TELESCOP"] = "TESS"
    primary.header["TICID"] = 1
    aperture = np.ones(shape, np.int32)
    aperture[rows // 2, cols // 2] = 3
    fits.HDUList([primary, table, fits.ImageHDU(aperture, name="APERTURE")]).writeto(path)
    return flux


PEAK = textwrap.dedent("""
    import json, sys
    from dashboard.data.store import TPFStore
    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    before = status("VmRSS:")
    store = TPFStore(sys.argv[2])
    tpf = store.get(store.add_file(sys.argv[1], "big.fits"))
    print(json.dumps({"before": before, "peak": status("VmHWM:"), "frames": tpf.n_cadences,
                      "last": float(tpf.flux[-1, 0, 0])}))
""")


def test_a_120000_cadence_file_opens_with_memory_for_a_piece_not_the_file(tmp_path):
    """120,000 x 13 x 13 (an 81 MB cube): opened in a fresh process whose peak memory grows
    by far less than the file (the whole-file reader held ~3x it)."""
    path = tmp_path / "big.fits"
    write_big(path, 120_000, (13, 13))
    size = path.stat().st_size
    done = subprocess.run([sys.executable, "-c", "import dashboard.data.store\n" + PEAK,
                           str(path), str(tmp_path / "cache")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["frames"] == 120_000 and result["last"] == 119_999.0
    grown = result["peak"] - result["before"]
    assert grown < 0.3 * size, f"peak grew {grown / 2**20:.0f} MiB, file {size / 2**20:.0f} MiB"
