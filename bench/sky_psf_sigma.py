"""Fit the sky package's pixel-integrated Gaussian PSF to real stars; print sigma per file.

The width ``dashboard.data.sky.psf.PSF_SIGMA_PX`` uses comes from these fits: for each real TPF
in ../shared/data with an unsaturated target, the median frame is fitted with
``amplitude * psf_image(x, y, sigma) + background`` (grid search over x, y and sigma; amplitude
and background by linear least squares). The core of a real PSF is sharper than its wings, so
it also prints the sigma whose model puts the same share of the star's light inside the pipeline
aperture as the image does (background: the image's 10th percentile), which is the number that
matters for flux fractions. There is no unsaturated, isolated real TESS target here (pi Men and
Sirius saturate), so TESS's sigma comes from the mission's figure instead (see the psf module).

    python bench/sky_psf_sigma.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.data.sky.psf import PSF_SIGMA_PX, psf_image  # noqa: E402
from dashboard.data.tpf import open_tpf  # noqa: E402

# Saturated targets (pi Men in the TESScut file, Sirius) and the crowded Galactic-bulge K2 stamp
# cannot be fitted with one star; these are the isolated, unsaturated ones.
FILES = ("kplr011904151-2010009091648_lpd-targ.fits",
         "kplr012644769-q12-10cadences_lpd-targ.fits")


def fit(image: np.ndarray) -> tuple[float, float, float, float]:
    """(x, y, sigma, rms residual / peak) of the best pixel-integrated Gaussian."""
    good = np.isfinite(image)
    rows, columns = np.indices(image.shape)
    weights = np.clip(image - np.nanmedian(image), 0, None)
    weights[~good] = 0
    x0 = float((weights * columns).sum() / weights.sum())
    y0 = float((weights * rows).sum() / weights.sum())
    best = (np.inf, x0, y0, 1.0)
    for sigma in np.arange(0.5, 2.01, 0.02):
        for dx in np.arange(-0.6, 0.61, 0.05):
            for dy in np.arange(-0.6, 0.61, 0.05):
                model = psf_image(x0 + dx, y0 + dy, image.shape, sigma)[good]
                design = np.column_stack([model, np.ones_like(model)])
                _, residual, *_ = np.linalg.lstsq(design, image[good], rcond=None)
                value = float(residual[0]) if residual.size else np.inf
                if value < best[0]:
                    best = (value, x0 + dx, y0 + dy, float(sigma))
    value, x, y, sigma = best
    return x, y, sigma, float(np.sqrt(value / good.sum()) / np.nanmax(image))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    args = parser.parse_args()
    print(f"PSF_SIGMA_PX in use: {PSF_SIGMA_PX}")
    print(f"{'file':44} {'x':>6} {'y':>6} {'sigma':>6} {'rms/peak':>8} "
          f"{'ap. model':>9} {'ap. image':>9} {'sigma for image share':>21}")
    for name in FILES:
        path = Path(args.data) / name
        if not path.exists():
            print(f"{name:44} missing")
            continue
        tpf = open_tpf(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            image = np.nanmedian(tpf.flux, axis=0).astype(float)
        x, y, sigma, rms = fit(image)
        model = psf_image(x, y, image.shape, sigma)
        background = np.nanpercentile(image, 10)
        light = np.clip(np.nan_to_num(image - background), 0, None)
        in_model = model[tpf.pipeline_mask].sum() / model.sum()
        in_image = light[tpf.pipeline_mask].sum() / light.sum()
        matching = _sigma_for_share(x, y, image.shape, tpf.pipeline_mask, in_image)
        print(f"{name:44} {x:6.2f} {y:6.2f} {sigma:6.2f} {rms:8.3f} {in_model:9.3f} "
              f"{in_image:9.3f} {matching:21.2f}")


def _sigma_for_share(x, y, shape, mask, share) -> float:
    """The sigma whose model puts ``share`` of the light in ``mask`` (bisection)."""
    low, high = 0.3, 3.0
    for _ in range(40):
        middle = 0.5 * (low + high)
        model = psf_image(x, y, shape, middle)
        if model[mask].sum() / model.sum() > share:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


if __name__ == "__main__":
    main()
