"""Data layer: FITS reading, light curves, quality flags, demo data. No Dash imports here."""

from .errors import DataError
from .quality import KEPLER, TESS, QualityFlags, flags_for
from .tpf import BJD_REFERENCE, TargetPixelFile, default_aperture, open_tpf

__all__ = [
    "BJD_REFERENCE",
    "DataError",
    "KEPLER",
    "QualityFlags",
    "TESS",
    "TargetPixelFile",
    "default_aperture",
    "flags_for",
    "open_tpf",
]
