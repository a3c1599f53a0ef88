"""Synthetic TPFs with a sky: tests.synthetic's files plus WCS keywords written with astropy.

The WCS goes where pipeline files keep it, as keywords of the FLUX column in the pixel table
(``1CTYPn ... 22PCn``, n the FLUX column's number), with the target's header keywords
(RA_OBJ, DEC_OBJ, PMRA, PMDEC, KEPMAG/TESSMAG). The Kepler stamp copies the real Kepler-10 Q4
file's numbers, the TESS one a 21 arcsec/pixel stamp on pi Men (TIC 261136679).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

from tests.synthetic import tpf_bytes


@dataclass
class Sky:
    crpix: tuple[float, float]  # 1-based, FITS axis 1 = stamp column
    crval: tuple[float, float]
    cdelt: tuple[float, float]
    pc: tuple[tuple[float, float], tuple[float, float]]


KEPLER10 = Sky(crpix=(4.981362202202945, 4.238467368587749), crval=(285.6793905, 50.2413),
               cdelt=(-0.001107331214635, 0.001107331214635),
               pc=((0.8046738854688329, -0.5983173609981531),
                   (-0.595181312975823, -0.800190858846791)))
PI_MEN = Sky(crpix=(6.0, 6.0), crval=(84.291188, -80.469119),
             cdelt=(-0.0058333, 0.0058333), pc=((0.98, 0.2), (-0.2, 0.98)))


def kepler10_stamp(timecorr: float | None = None, **kwargs) -> bytes:
    """Kepler, 9 x 7 pixels at Kepler-10's WCS, Q4 times (BKJD 352.4 - 373.2)."""
    options = dict(mission="Kepler", shape=(9, 7), n_cadences=30, time_start=352.37,
                   cadence_days=0.0204336, column=655, row=242, target_id=11904151)
    options.update(kwargs)
    header = {"RA_OBJ": 285.679391, "DEC_OBJ": 50.2413, "PMRA": 0.0, "PMDEC": 0.0,
              "KEPMAG": 10.961, "OBJECT": "KIC 11904151"}
    return with_sky(tpf_bytes(**options).data, KEPLER10, header, timecorr)


def pi_men_stamp(**kwargs) -> bytes:
    """TESS, 11 x 11 pixels centred on pi Men, Sector 1 times (BTJD 1325.3 - 1353.2)."""
    options = dict(mission="TESS", shape=(11, 11), n_cadences=30, time_start=1325.3,
                   cadence_days=0.96, column=1000, row=500, target_id=261136679)
    options.update(kwargs)
    header = {"RA_OBJ": 84.291188, "DEC_OBJ": -80.469119, "PMRA": 311.2, "PMDEC": 1048.8,
              "TESSMAG": 5.105}
    return with_sky(tpf_bytes(**options).data, PI_MEN, header)


def with_sky(data: bytes, sky: Sky, primary: dict, timecorr: float | None = None) -> bytes:
    with fits.open(io.BytesIO(data)) as hdul:
        hdul = fits.HDUList([hdu.copy() for hdu in hdul])
    table = hdul[1]
    n = [c.upper() for c in table.columns.names].index("FLUX") + 1
    header = table.header
    for axis in (1, 2):
        header[f"{axis}CTYP{n}"] = "RA---TAN" if axis == 1 else "DEC--TAN"
        header[f"{axis}CUNI{n}"] = "deg"
        header[f"{axis}CRPX{n}"] = sky.crpix[axis - 1]
        header[f"{axis}CRVL{n}"] = sky.crval[axis - 1]
        header[f"{axis}CDLT{n}"] = sky.cdelt[axis - 1]
        for other in (1, 2):
            header[f"{axis}{other}PC{n}"] = sky.pc[axis - 1][other - 1]
    if timecorr is not None:
        table.data["TIMECORR"][:] = timecorr
    for key, value in primary.items():
        hdul[0].header[key] = value
    buffer = io.BytesIO()
    hdul.writeto(buffer)
    return buffer.getvalue()


def reference_wcs(sky: Sky) -> WCS:
    """The same WCS built directly with astropy (0-based pixels: x = column, y = row)."""
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crpix = list(sky.crpix)
    wcs.wcs.crval = list(sky.crval)
    wcs.wcs.cdelt = list(sky.cdelt)
    wcs.wcs.pc = np.array(sky.pc)
    return wcs
