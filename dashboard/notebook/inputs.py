"""What ``show``/``interact`` are handed, as the app takes it: the TPF's bytes or path and name,
your light curve, and lightkurve's ``interact()`` keywords as the first view's link.

lightkurve objects are read through what they expose (``hdu``, ``path``, ``time``/``flux``,
``create_threshold_mask``): lightkurve itself is never imported.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from pathlib import Path

import numpy as np

from ..data import DataError
from ..data.lightcurves import lightcurve_from_object, read_lightcurve
from ..data.masks import encode_mask
from ..view.state import COLORMAPS, DEFAULT, SCALES, encode_query

# lightkurve's interact() keywords that have no counterpart here, and what to do instead.
IGNORED = {
    "exported_filename": "export from the Share & export tab",
    "transform_func": "pass the transformed curve as lc=",
    "ylim_func": "zoom the light curve with the mouse",
    "vmin": "the stretch is set in percentiles on the Image tab",
    "vmax": "the stretch is set in percentiles on the Image tab",
}


def tpf_source(tpf) -> tuple[bytes | str, str]:
    """(bytes or path, the name shown) for a path, bytes or a lightkurve TargetPixelFile."""
    if isinstance(tpf, (bytes, bytearray, memoryview)):
        return bytes(tpf), "target pixel file"
    if isinstance(tpf, (str, os.PathLike)):
        return str(tpf), Path(tpf).name
    hdu = getattr(tpf, "hdu", None)
    if hdu is not None and hasattr(hdu, "writeto"):
        # Written out, not read from tpf.path: a slice (tpf[100:200]) is a new HDUList.
        buffer = io.BytesIO()
        hdu.writeto(buffer)
        name = getattr(tpf, "path", None) or getattr(tpf, "targetid", None) or "lightkurve TPF"
        return buffer.getvalue(), Path(str(name)).name
    path = getattr(tpf, "path", None)
    if path:
        return str(path), Path(path).name
    raise DataError("show() takes a TPF as a path, bytes, or a lightkurve TargetPixelFile.")


def custom_lightcurve(lc):
    """Your light curve (a path, Table, DataFrame, tuple or LightCurve) read, or None."""
    if lc is None:
        return None
    if isinstance(lc, (str, os.PathLike)):
        path = Path(lc)
        try:
            return read_lightcurve(path.read_bytes(), path.name)
        except OSError as exc:
            raise DataError(f"Cannot read {path}: {exc.strerror or exc}") from None
    label = getattr(lc, "label", None)
    return lightcurve_from_object(lc, name=label if isinstance(label, str) and label
                                  else "custom")


def interact_query(tpf, aperture_mask="default", scale="log", cmap=None, **lightkurve) -> str:
    """The first view's link query for lightkurve's ``interact()`` keywords (``""``: the
    default view). Keywords without a counterpart are named in one warning, not refused, so a
    call written for lightkurve runs as it is."""
    ignored = [name for name in lightkurve if name in IGNORED and lightkurve[name] is not None]
    unknown = sorted(set(lightkurve) - set(IGNORED))
    if unknown:
        raise TypeError(f"interact() got unexpected keyword(s): {', '.join(unknown)}")
    if ignored:
        warnings.warn("interact() ignores " + "; ".join(
            f"{name} ({IGNORED[name]})" for name in ignored) + ".", stacklevel=3)
    state = DEFAULT.but(aperture=_aperture_code(tpf, aperture_mask))
    if scale is not None:
        if scale not in SCALES:
            raise DataError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}.")
        state = state.but(scale=scale)
    colormap = _colormap(cmap)
    if colormap:
        state = state.but(cmap=colormap)
    return encode_query(state)


def _aperture_code(tpf, aperture_mask) -> str | None:
    """lightkurve's aperture_mask as a mask code; None: the file's own (pipeline) aperture."""
    if aperture_mask is None or (isinstance(aperture_mask, str)
                                 and aperture_mask in ("default", "pipeline")):
        return None
    if isinstance(aperture_mask, str) and aperture_mask == "threshold":
        if not hasattr(tpf, "create_threshold_mask"):
            raise DataError("aperture_mask='threshold' needs a lightkurve TargetPixelFile "
                            "(its create_threshold_mask()); give a boolean mask instead.")
        aperture_mask = tpf.create_threshold_mask()
    elif isinstance(aperture_mask, str) and aperture_mask == "all":
        aperture_mask = np.ones(_stamp_shape(tpf), dtype=bool)
    elif isinstance(aperture_mask, str):
        raise DataError(f"aperture_mask must be 'default', 'pipeline', 'threshold', 'all' or a "
                        f"boolean array, not {aperture_mask!r}.")
    mask = np.asarray(aperture_mask)
    if mask.dtype != bool or mask.ndim != 2:
        raise DataError("aperture_mask must be a 2-D boolean array (rows, columns) of the "
                        f"stamp; got {mask.dtype} of shape {mask.shape}.")
    if not mask.any():
        raise DataError("aperture_mask selects no pixel; the light curve would be empty.")
    return encode_mask(mask)


def _stamp_shape(tpf) -> tuple[int, int]:
    shape = getattr(tpf, "shape", None)
    if shape is None or len(shape) != 3:
        raise DataError("aperture_mask='all' needs a TPF with a shape (a lightkurve "
                        "TargetPixelFile); give a boolean mask instead.")
    return int(shape[1]), int(shape[2])


def _colormap(cmap) -> str | None:
    """A bokeh palette name as lightkurve takes it ('Viridis256', 'Greys256') as ours."""
    if cmap is None:
        return None
    name = re.sub(r"\d+$", "", str(cmap)).lower()
    name = {"greys": "gray", "grey": "gray"}.get(name, name)
    if name not in COLORMAPS:
        warnings.warn(f"cmap {cmap!r} is not one of {', '.join(COLORMAPS)}; viridis is used.",
                      stacklevel=4)
        return None
    return name if name != DEFAULT.cmap else None
