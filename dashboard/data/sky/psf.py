"""How much of each source's light falls inside an aperture, and the aperture's contamination.

PSF model: a circular 2-D Gaussian integrated over each pixel (the integral of a Gaussian over a
square pixel is a product of two differences of error functions, so it is exact, not sampled),
centred on the source's stamp position, with a width per mission (:data:`PSF_SIGMA_PX`):

* Kepler and K2: sigma = 0.7 px (2.8 arcsec). Fitted to the real Kepler-10 Q4 median image
  (``bench/sky_psf_sigma.py``): its core is a Gaussian of sigma 0.62 px, and sigma 0.68 px puts
  the same share of its light (97.5 %) inside the pipeline aperture as the image does. The PRF
  varies over the focal plane (broader towards the edge of the field); K2's roll drift smears a
  campaign's average image further, not a single cadence.
* TESS: sigma = 0.95 px (20 arcsec): the Gaussian whose 2x2-pixel box holds 50 % of the light,
  the mission's figure (50 % ensquared energy within a half-width of 15 um = 1 pixel, averaged
  over the field; Ricker et al. 2015). The files here have no unsaturated TESS star to fit.

Real PSFs have sharper cores and broader wings than a Gaussian, so treat fractions as good to a
few per cent; the missions' PRF models would be the next step.

The aperture's contamination ratio is the neighbours' flux inside the aperture divided by the
target's flux inside it, fluxes from magnitudes in the catalogue's band
(10**(-0.4 (m - m_target))). The per-pixel profiles are computed once per field, so a new
aperture costs one small matrix product (``ApertureFlux.fractions``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError
from .field import SkyField

PSF_SIGMA_PX = {"Kepler": 0.7, "K2": 0.7, "TESS": 0.95}  # Gaussian sigma, pixels (see above)
_erf = np.frompyfunc(math.erf, 1, 1)


def pixel_fractions(centres: np.ndarray, n: int, sigma: float) -> np.ndarray:
    """(sources, n) fraction of a unit 1-D Gaussian at each centre that falls in pixels
    0..n-1 (pixel k spans k-0.5 .. k+0.5)."""
    centres = np.asarray(centres, dtype=float)
    edges = np.arange(n + 1, dtype=float) - 0.5
    z = (edges[None, :] - centres[:, None]) / (math.sqrt(2.0) * sigma)
    # erf(z) is +-1 to 2e-17 beyond |z| = 6: only the edges near each source need math.erf
    near = np.abs(z) < 6.0
    erf = np.sign(z)
    erf[near] = _erf(z[near]).astype(float)
    return np.diff(0.5 * (1.0 + erf), axis=1)


def psf_image(x: float, y: float, shape: tuple[int, int], sigma: float) -> np.ndarray:
    """(rows, columns) fraction of a source's light in each stamp pixel."""
    rows, columns = shape
    return pixel_fractions([y], rows, sigma)[0][:, None] * pixel_fractions([x], columns, sigma)[0]


@dataclass
class Contamination:
    """The numbers behind an aperture's contamination ratio."""

    ratio: float | None  # neighbours' flux in the aperture / target's flux in the aperture
    target_fraction: float | None  # share of the target's light inside the aperture
    neighbour_flux: float | None  # neighbours' light inside, in units of the target's total
    contributors: list = field(default_factory=list)  # [(id, share of neighbour light)] top 5
    without_mag: int = 0  # neighbours with light inside but no magnitude: not in the ratio
    reason: str = ""  # why ratio is None

    def to_dict(self) -> dict:
        return {"ratio": self.ratio, "target_fraction": self.target_fraction,
                "neighbour_flux": self.neighbour_flux,
                "contributors": [list(c) for c in self.contributors],
                "without_mag": self.without_mag, "reason": self.reason}


class ApertureFlux:
    """Pixel profiles of every source in a field, ready for any aperture of the stamp."""

    def __init__(self, x, y, shape: tuple[int, int], sigma: float, mags=None,
                 target: int | None = None, ids: list[str] | None = None):
        self.shape = (int(shape[0]), int(shape[1]))
        self.sigma = float(sigma)
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        self._columns = pixel_fractions(x, self.shape[1], self.sigma)  # (n, columns)
        self._rows = pixel_fractions(y, self.shape[0], self.sigma)  # (n, rows)
        self.mags = (np.full(x.size, np.nan) if mags is None
                     else np.asarray(mags, dtype=float))
        self.target = target
        self.ids = list(ids) if ids is not None else [str(i) for i in range(x.size)]

    @classmethod
    def for_field(cls, sky: SkyField, mission: str, shape: tuple[int, int],
                  sigma: float | None = None) -> ApertureFlux:
        sigma = PSF_SIGMA_PX.get(mission, 1.0) if sigma is None else sigma
        return cls(sky.x, sky.y, shape, sigma, sky.mags, sky.target,
                   [s.id for s in sky.sources])

    def fractions(self, mask: np.ndarray) -> np.ndarray:
        """(sources,) share of each source's light that falls inside ``mask`` (rows, columns)."""
        mask = np.asarray(mask, dtype=float)
        if mask.shape != self.shape:
            raise DataError(f"Aperture shape {mask.shape} does not match the stamp {self.shape}.")
        # (mask @ columns.T)[i, n] is the light of source n's column profile in row i
        return np.einsum("ni,in->n", self._rows, mask @ self._columns.T)

    def contamination(self, mask: np.ndarray) -> Contamination:
        fractions = self.fractions(mask)
        if self.target is None:
            return Contamination(None, None, None, reason="the target is not in the catalogue")
        target_fraction = float(fractions[self.target])
        target_mag = self.mags[self.target]
        if not np.isfinite(target_mag):
            return Contamination(None, target_fraction, None,
                                 reason="the target's magnitude is unknown")
        if target_fraction <= 0.0:
            return Contamination(None, target_fraction, None,
                                 reason="the aperture holds none of the target's light")
        neighbours = np.arange(fractions.size) != self.target
        relative = 10.0 ** (-0.4 * (self.mags - target_mag))  # NaN without a magnitude
        light = np.where(neighbours, relative * fractions, 0.0)
        known = np.isfinite(light)
        without = int(np.count_nonzero(neighbours & ~known & (fractions > 1e-3)))
        light = np.where(known, light, 0.0)
        total = float(light.sum())
        order = np.argsort(light)[::-1][:5]
        contributors = [(self.ids[i], float(light[i] / total)) for i in order
                        if total > 0 and light[i] > 0]
        return Contamination(ratio=total / target_fraction, target_fraction=target_fraction,
                             neighbour_flux=total, contributors=contributors,
                             without_mag=without)
