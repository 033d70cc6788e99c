"""Investment exchange between counties and with ROC (DESIGN §5 step 6)."""

from __future__ import annotations

import numpy as np


def attractiveness(gdp: np.ndarray, capital: np.ndarray, governance: np.ndarray,
                   extra: np.ndarray, capital_share: float, elasticity: float
                   ) -> np.ndarray:
    """Eq. 6a: a_j = (g_j r_j)^κ (1 + extra_j), with r_j = α Y_j / K_j."""
    rate_of_return = capital_share * gdp / capital
    return (governance * rate_of_return) ** elasticity * (1.0 + extra)


def flows(savings: np.ndarray, home_bias: float, attract: np.ndarray, roc_attract: float,
          kernel: np.ndarray) -> np.ndarray:
    """Eq. 6b: I_ij, the savings of i invested in j (ROC last column).

    A share h stays home (the diagonal); the rest goes to j with share
    ∝ a_j exp(−ω τ_ij), the home county included.
    """
    a = np.append(attract, roc_attract)
    weights = kernel * a
    shares = weights / weights.sum(axis=1, keepdims=True)
    od = ((1.0 - home_bias) * savings)[:, None] * shares
    n = len(savings)
    od[np.arange(n), np.arange(n)] += home_bias * savings
    return od


def roc_inflow(total: float, attract: np.ndarray, kernel_from_roc: np.ndarray) -> np.ndarray:
    """Eq. 6c: ROC investment arriving in j, ∝ a_j exp(−ω τ_Rj)."""
    w = attract * kernel_from_roc
    return total * w / w.sum()


def accumulate(capital: np.ndarray, received: np.ndarray, depreciation: float) -> np.ndarray:
    """Eq. 6d: K' = (1 − δ) K + I."""
    return (1.0 - depreciation) * capital + received
