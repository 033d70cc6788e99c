"""Productivity growth and knowledge diffusion (DESIGN §5 step 9)."""

from __future__ import annotations

import numpy as np


def diffuse(tfp: np.ndarray, weights: np.ndarray, base_growth: float,
            boost: np.ndarray, *, scratch: np.ndarray | None = None, spillover: float,
            multiplier: np.ndarray) -> np.ndarray:
    """Eq. 9: A' = A (1 + g_A + boost) + ψ_i Σ_j w_ij (A_j − A_i)⁺.

    Each county closes part of its productivity gap to better-connected, more
    productive neighbours (w_ij ∝ exp(−θ τ_ij), rows sum to 1). ``scratch``
    is an optional (N, N) work array (see :func:`sim.core.step.advance`).
    """
    gap = np.subtract(tfp[None, :], tfp[:, None], out=scratch)  # A_j − A_i
    np.maximum(gap, 0.0, out=gap)
    catch_up = np.einsum("ij,ij->i", weights, gap)
    return tfp * (1.0 + base_growth + boost) + spillover * multiplier * catch_up
