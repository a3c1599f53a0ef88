"""Files whose primary header announces more extensions (NEXTEND) than they hold.

A file that lacks an extension but whose every HDU present is complete opens, with a notice
that it may be cut short; a file whose data ends early is still refused. The files are
synthetic ones with NEXTEND raised, and real archive files cut exactly where one HDU ends (the
layout is read with astropy in the test) or with NEXTEND raised in their bytes.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from astropy.io import fits

from dashboard.data import DataError, open_tpf
from dashboard.data.store import TPFStore
from tests.synthetic import tpf_bytes

from .tpf_files import hdu_ends, read_fits

KEPLER_10 = "kplr012644769-q12-10cadences_lpd-targ.fits"
SIRIUS = "tess2018349182459-s0006-0000000322899250-0126-s_tp.fits"


def with_nextend(data: bytes, nextend: int) -> bytes:
    """The same bytes with the primary header's NEXTEND card set to ``nextend`` (the card is
    rewritten in place, so every HDU keeps its offset)."""
    start = next(i for i in range(0, len(data), 80) if data[i:i + 8] == b"NEXTEND ")
    card = f"NEXTEND = {nextend:>20} / number of standard extensions".ljust(80).encode()
    return data[:start] + card + data[start + 80:]


def written_nextend(data: bytes) -> int | None:
    return fits.getheader(io.BytesIO(data), 0).get("NEXTEND")


# -- synthetic files -----------------------------------------------------------------------------

def test_announced_extension_missing_opens_with_notice():
    """NEXTEND = 3 with 2 complete extensions: the file opens, its pixels are the ones written,
    and a notice says the file may be cut short, with both counts."""
    syn = tpf_bytes(n_cadences=12, seed=3, nextend=3)
    data = syn.data
    assert written_nextend(data) == 3 and len(hdu_ends(data)) == 3  # primary + 2

    tpf = open_tpf(data, filename="short.fits")

    np.testing.assert_array_equal(tpf.flux, syn.flux)
    np.testing.assert_array_equal(tpf.pipeline_mask, (syn.aperture & 2) != 0)
    assert len(tpf.notices) == 1
    notice = tpf.notices[0]
    assert "short.fits" in notice and "cut short" in notice
    assert "3 extensions" in notice and "only 2" in notice


def test_complete_file_has_no_notice():
    """A file holding every extension its header announces opens without notices."""
    data = tpf_bytes(n_cadences=12, seed=3, nextend=2).data
    assert open_tpf(data).notices == []


def test_missing_aperture_extension_opens_with_default_aperture():
    """NEXTEND = 2 but the file stops cleanly after the pixel table: it opens with the
    documented default aperture (not the file's) and the notice."""
    syn = tpf_bytes(n_cadences=12, seed=4, nextend=2)
    data = syn.data
    cut = hdu_ends(data)[1]  # end of the pixel table, where APERTURE would start
    tpf = open_tpf(data[:cut])
    np.testing.assert_array_equal(tpf.flux, syn.flux)
    assert not tpf.aperture_from_file
    assert "2 extensions" in tpf.notices[0] and "only 1" in tpf.notices[0]


def test_data_ending_early_is_still_refused():
    """NEXTEND = 3, and the file is cut on a block boundary inside the pixel table's data or
    inside APERTURE's data: refused, as before."""
    data = tpf_bytes(n_cadences=200, seed=5, nextend=3).data
    ends = hdu_ends(data)
    cuts = (ends[1] - 2880, ends[2] - 2880)
    assert all(cut % 2880 == 0 and ends[0] < cut and cut not in ends for cut in cuts)
    for cut in cuts:
        with pytest.raises(DataError, match="(?i)truncated.*download it again"):
            open_tpf(data[:cut])


def test_notice_survives_the_store(tmp_path):
    """Another worker reopening the file from the store's arrays gets the same notice."""
    data = tpf_bytes(n_cadences=12, seed=6, nextend=3).data
    fid = TPFStore(tmp_path).add(data, "short.fits")
    notices = TPFStore(tmp_path).get(fid).notices
    assert len(notices) == 1 and "cut short" in notices[0]


# -- real files ----------------------------------------------------------------------------------

def test_real_sirius_without_its_last_extension_opens(shared_file):
    """The TESS Sirius file cut exactly where APERTURE ends (its 'TARGET COSMIC RAY' extension
    gone, NEXTEND still 3) opens with the same pixels and aperture as the whole file."""
    data = shared_file(SIRIUS).read_bytes()
    assert written_nextend(data) == 3
    ends = hdu_ends(data)
    assert len(ends) == 4
    cut = data[:ends[2]]
    _, _, columns, aperture = read_fits(shared_file(SIRIUS))

    tpf = open_tpf(cut, filename=SIRIUS)

    np.testing.assert_array_equal(tpf.flux, columns["FLUX"])
    np.testing.assert_array_equal(tpf.pipeline_mask, (aperture & 2) != 0)
    assert tpf.aperture_from_file
    assert "3 extensions" in tpf.notices[0] and "only 2" in tpf.notices[0]
    assert open_tpf(data, filename=SIRIUS).notices == []


def test_real_kepler_with_raised_nextend_opens(shared_file):
    """The 10-cadence Kepler cut with NEXTEND raised from 2 to 3 in its bytes opens with the
    notice and the pixels astropy reads."""
    data = shared_file(KEPLER_10).read_bytes()
    assert written_nextend(data) == 2 and len(hdu_ends(data)) == 3
    _, _, columns, _ = read_fits(shared_file(KEPLER_10))

    tpf = open_tpf(with_nextend(data, 3), filename=KEPLER_10)

    np.testing.assert_array_equal(tpf.flux, columns["FLUX"])
    assert "3 extensions" in tpf.notices[0] and "only 2" in tpf.notices[0]


def test_real_file_cut_inside_its_last_header_is_refused(shared_file):
    """The Kepler cut ending one block into its two-block APERTURE header (astropy drops a
    header it cannot finish) is refused as truncated, not opened with a notice."""
    data = shared_file(KEPLER_10).read_bytes()
    ends = hdu_ends(data)
    cut = ends[1] + 2880
    assert cut < ends[2] - 2880  # inside the header: APERTURE's data starts a block later
    with pytest.raises(DataError, match="(?i)truncated.*download it again"):
        open_tpf(data[:cut], filename=KEPLER_10)
