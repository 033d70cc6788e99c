"""Productivity growth and knowledge diffusion (docs/model.md §5.9)."""

from __future__ import annotations

import numpy as np


def diffuse(tfp: np.ndarray, weights: np.ndarray, base_growth: float,
            boost: np.ndarray, *, scratch: np.ndarray | None = None, spillover: float,
            multiplier: np.ndarray, row_sums: np.ndarray) -> np.ndarray:
    """Eq. 9: A' = A (1 + g_A + boost) + ψ_i Σ_j w_ij (A_j − A_i)⁺.

    Each county closes part of its productivity gap to better-connected, more
    productive neighbours (w_ij ∝ exp(−θ τ_ij), rows sum to 1). ``scratch``
    is an optional (N, N) work array (see :func:`sim.model.core.step.advance`);
    ``row_sums`` the precomputed Σ_j w_ij (``Kernels.diffusion_row_sums``).
    """
    # (A_j − A_i)⁺ = max(A_i, A_j) − A_i, so the sum needs one pass over the pairs
    # for the maxima and one for the weighted sum (not three); the difference in
    # rounding is of the order of 1e-16 A.
    larger = np.maximum(tfp[None, :], tfp[:, None], out=scratch)
    catch_up = np.einsum("ij,ij->i", weights, larger) - tfp * row_sums
    return tfp * (1.0 + base_growth + boost) + spillover * multiplier * catch_up
