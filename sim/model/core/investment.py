"""Investment exchange between counties and with ROC (docs/model.md §5.6).

As for migration, totals need only matrix–vector products; the OD matrix is
built only for recorded flows.
"""

from __future__ import annotations

import numpy as np


def attractiveness(gdp: np.ndarray, capital: np.ndarray, governance: np.ndarray,
                   extra: np.ndarray, capital_share: float, elasticity: float
                   ) -> np.ndarray:
    """Eq. 6a: a_j = (g_j r_j)^κ (1 + extra_j), with r_j = α Y_j / K_j."""
    rate_of_return = capital_share * gdp / capital
    return (governance * rate_of_return) ** elasticity * (1.0 + extra)


def _mobile_per_weight(savings: np.ndarray, home_bias: float, a: np.ndarray,
                       kernel: np.ndarray) -> np.ndarray:
    return (1.0 - home_bias) * savings / (kernel @ a)


def totals(savings: np.ndarray, home_bias: float, attract: np.ndarray, roc_attract: float,
           kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eq. 6b in totals: what each county receives from and sends to the others.

    Received counts the region's savings invested in the county (its own
    retained savings included); sent counts savings going to other counties
    and ROC. A share h of savings stays home; the rest goes to j with share
    ∝ a_j exp(−ω τ_ij), the home county included.

    Returns:
        (received, sent), each (N,).
    """
    n = len(savings)
    a = np.append(attract, roc_attract)
    s = _mobile_per_weight(savings, home_bias, a, kernel)
    kept = s * np.diagonal(kernel) * attract
    received = home_bias * savings + attract * (s @ kernel[:, :n])
    sent = (1.0 - home_bias) * savings - kept
    return received, sent


def flows(savings: np.ndarray, home_bias: float, attract: np.ndarray, roc_attract: float,
          kernel: np.ndarray) -> np.ndarray:
    """Eq. 6b: I_ij, the savings of i invested in j (ROC last column, diagonal retained)."""
    n = len(savings)
    a = np.append(attract, roc_attract)
    od = kernel * a
    od *= _mobile_per_weight(savings, home_bias, a, kernel)[:, None]
    od.reshape(-1)[:: n + 2][:n] += home_bias * savings
    return od


def roc_inflow(total: float, attract: np.ndarray, kernel_from_roc: np.ndarray) -> np.ndarray:
    """Eq. 6c: ROC investment arriving in j, ∝ a_j exp(−ω τ_Rj)."""
    w = attract * kernel_from_roc
    return total * w / w.sum()


def accumulate(capital: np.ndarray, received: np.ndarray, depreciation: float) -> np.ndarray:
    """Eq. 6d: K' = (1 − δ) K + I."""
    return (1.0 - depreciation) * capital + received
