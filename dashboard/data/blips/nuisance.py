"""The changes every frame has a little of, and the noise left when they are taken out.

A mixin of :class:`~.evidence.Evidence`: the nuisance basis (a flat offset, a tilt, a shift of the
scene to second order, the target's own flux, and the leading patterns of the reference frames),
the per-pixel noise measured once those are fitted out of each reference frame, and the cleaning
of a difference image of the components that are usual for this file.
"""

from __future__ import annotations

import math

import numpy as np

from .imaging import grow, robust_sigma, weighted_fit

USUAL_SIGMA = 3.0  # a nuisance component under this many usual sigmas is taken out
OUTLIER_SIGMA = 5.0  # pixels this far from the nuisance fit are left out of its second pass


class Nuisance:
    """Methods of Evidence that model the usual wobble (needs its arrays; see evidence.py)."""

    def nuisance_basis(self) -> dict[str, np.ndarray]:
        """The changes every frame has a little of: a flat offset, a tilt, a shift of the scene
        (to second order), the target's own flux (when the target is known), and the leading
        patterns of the reference frames that those leave over (see :meth:`refine_noise`)."""
        if "nuisance" not in self._cache:
            self._cache["nuisance"] = self._analytic_basis()
        return self._cache["nuisance"]

    def _analytic_basis(self) -> dict[str, np.ndarray]:
        rows, cols = np.indices(self.shape)
        ones = np.where(self.valid, 1.0, 0.0)
        d_row, d_col = self.gradients()
        d_rr, d_cc, d_rc = self.curvatures()
        basis = {"flat": ones, "tilt_row": ones * (rows - rows.mean()),
                 "tilt_column": ones * (cols - cols.mean()), "shift_row": d_row,
                 "shift_column": d_col, "shift2_row": d_rr, "shift2_column": d_cc,
                 "shift2_cross": d_rc}
        if self.target is not None:
            basis["target"] = self.template()
        return {k: v for k, v in basis.items() if np.any(v)}

    def clean(self, image: np.ndarray, weight: np.ndarray, length: int, everything=False):
        """``image`` less the components of :meth:`nuisance_basis` that are usual (under 3
        times their usual scatter, fitted jointly), and those components' sigmas.

        Every frame differs from the reference a little: the background wobbles, the pointing
        jitters, the target varies. Summed over many pixels that usual wobble can outweigh a
        real blip's chi2 (the demo's flat background residual does), so it is taken out before
        the shares are measured; an unusual one stays in, to be explained. ``everything``
        takes out all of them, to leave what no smooth or global change explains.
        """
        names, basis = zip(*self.nuisance_basis().items(), strict=True)
        fit = weighted_fit(image, weight, list(basis))
        # once more without the pixels the fit leaves far out (a cosmic ray, a neighbour's
        # flare), so they cannot drag the nuisance components
        model = np.tensordot(fit.coefficients, np.array(basis), axes=1)
        outliers = np.abs(image - model) * np.sqrt(weight) > OUTLIER_SIGMA
        if outliers.any():
            fit = weighted_fit(image, np.where(outliers, 0.0, weight), list(basis))
        scale = np.maximum(fit.errors, self.usual(fit, length))
        sigmas = np.abs(fit.coefficients) / np.where(scale > 0, scale, np.inf)
        # the patterns are the reference frames' own usual modes: always taken out
        patterns = np.array([name.startswith("pattern_") for name in names])
        usual = (sigmas < USUAL_SIGMA) | everything | patterns
        cleaned = image - sum((c * b for c, b, u in zip(fit.coefficients, basis, usual,
                                                          strict=True) if u),
                              np.zeros_like(image))
        return cleaned, dict(zip(names, (float(x) for x in sigmas), strict=True))

    def background(self) -> float:
        """Median reference level outside the aperture grown by two pixels (0 if none)."""
        if "background" not in self._cache:
            far = self.valid & ~grow(self.aperture, 2) if self.aperture is not None else None
            level = float(np.median(self.reference[far])) if far is not None and far.sum() >= 4 \
                else 0.0
            self._cache["background"] = level
        return self._cache["background"]

    def template(self) -> np.ndarray:
        """The target's own PSF: the reference image within 3 PSF widths of the target (and in
        the aperture grown by one pixel), background removed, clipped at zero."""
        if "template" not in self._cache:
            rows, cols = np.indices(self.shape)
            r0, c0 = self.target
            near = (rows - r0) ** 2 + (cols - c0) ** 2 <= (3 * max(self.psf_sigma, 1.0)) ** 2
            if self.aperture is not None:
                near &= grow(self.aperture, 1)
            image = np.where(near & self.valid, self.reference - self.background(), 0.0)
            self._cache["template"] = np.clip(image, 0, None)
        return self._cache["template"]

    def gradients(self) -> tuple[np.ndarray, np.ndarray]:
        """d(reference)/d(row), d(reference)/d(column): a shift of the scene, to first order."""
        if "gradients" not in self._cache:
            filled = np.where(np.isfinite(self.reference), self.reference, self.background())
            rows, cols = self.shape
            d_row = np.gradient(filled, axis=0) if rows > 1 else np.zeros(self.shape)
            d_col = np.gradient(filled, axis=1) if cols > 1 else np.zeros(self.shape)
            self._cache["gradients"] = (np.where(self.valid, d_row, 0.0),
                                        np.where(self.valid, d_col, 0.0))
        return self._cache["gradients"]

    def curvatures(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Second derivatives of the reference (row-row, column-column, row-column): the
        second-order part of a shift, which K2's 0.2-pixel roll already needs."""
        if "curvatures" not in self._cache:
            d_row, d_col = self.gradients()
            rows, cols = self.shape
            def derivative(image, axis, n):
                return np.gradient(image, axis=axis) if n > 1 else np.zeros(self.shape)
            self._cache["curvatures"] = tuple(
                np.where(self.valid, d, 0.0) for d in (
                    derivative(d_row, 0, rows), derivative(d_col, 1, cols),
                    derivative(d_row, 1, cols)))
        return self._cache["curvatures"]

    def refine_noise(self, error: np.ndarray | None) -> None:
        """Per-pixel noise from the reference frames once each has its nuisance fit taken out,
        so a pixel on a star's flank is not called noisy merely because the pointing jitters
        (that jitter is judged as a component, by :meth:`usual`).

        A sampled PSF's finite-difference derivatives model a shift only roughly, so the
        leading principal components of what the analytic fit leaves over (up to 3, from the
        reference frames alone) join the nuisance basis as ``pattern_1..3``.
        """
        analytic = self._analytic_basis()
        weight = self.frame_weight()
        if error is not None:  # photon noise: systematics then stand out in the patterns
            good = self.valid & np.isfinite(error) & (error > 0)
            weight = np.where(good, 1 / np.where(good, error, 1.0) ** 2, 0.0)
        sw = np.sqrt(weight).ravel()
        flat = self.reference_diffs.reshape(len(self.reference_frames), -1)
        residual = flat - self._model(list(analytic.values()), weight, flat)
        n_patterns = min(3, len(self.reference_frames) // 6)
        basis = dict(analytic)
        if n_patterns and np.any(sw):
            _, values, vt = np.linalg.svd(residual * sw, full_matrices=False)
            for k in range(n_patterns):
                if values[k] > 0:
                    basis[f"pattern_{k + 1}"] = np.where(
                        sw > 0, vt[k] / np.where(sw > 0, sw, 1.0), 0.0).reshape(self.shape)
            residual = flat - self._model(list(basis.values()), weight, flat)
        self._cache["nuisance"] = basis
        n, m = float(self.valid.sum()), len(self.reference_frames)
        dof = math.sqrt(n / max(n - len(basis), 1.0) * m / max(m - n_patterns, 1))
        residual = np.where(self.valid.ravel(), residual, np.nan)
        sigma = np.asarray(robust_sigma(residual, axis=0)).reshape(self.shape) * dof
        if error is not None:
            sigma = np.fmax(sigma, 0.8 * np.where(error > 0, error, np.nan))
        positive = sigma[self.valid & np.isfinite(sigma) & (sigma > 0)]
        floor = max(1e-3 * float(np.median(positive)) if positive.size else 1e-6, 1e-12)
        sigma = np.where(self.valid & np.isfinite(sigma), np.maximum(sigma, floor), np.inf)
        self.sigma = sigma
        self.weight = np.where(self.valid, self.counts / sigma ** 2, 0.0)
        # what the reference frames leave once every nuisance is fitted: the usual residual,
        # against which an event's leftover structure is judged (see hypotheses.noise)
        z = np.where(self.valid.ravel(), residual / sigma.ravel(), 0.0)
        self._cache["reference_residual"] = (np.nansum(z ** 2, axis=1),
                                             np.nanmax(np.abs(z), axis=1))

    @staticmethod
    def _model(basis: list[np.ndarray], weight: np.ndarray, flat: np.ndarray) -> np.ndarray:
        """Each row of ``flat`` (frames x pixels) fitted with ``basis``: the fitted images."""
        fit = weighted_fit(np.zeros(weight.shape), weight, basis)
        design = np.stack([b.ravel() for b in basis], axis=1)
        return (design @ (fit.projection @ flat.T)).T
