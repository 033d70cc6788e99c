"""Investment: exchange between counties and with ROC, inflows, capital (docs/model.md §5.6).

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


def fiscal_inflow(gdp: np.ndarray, fiscal_gap: np.ndarray, share: float) -> np.ndarray:
    """Eq. 6c: investment financed from outside the region, F_j = f · gap_j · Y_j.

    gap_j is the county's fiscal gap (budget expenditure minus revenue, over GDP; 2020
    data or its fit on GDP per capita, docs/economy.md), which transfers from the
    central government close; f is the share of it spent on investment.
    """
    return share * fiscal_gap * gdp


def perpetual_inventory(capital: np.ndarray, investment: np.ndarray,
                        depreciation: float) -> np.ndarray:
    """K_t = (1 − δ) K_(t−1) + I_t over the columns of ``investment`` (N, T); returns K_T."""
    for t in range(investment.shape[1]):
        capital = (1.0 - depreciation) * capital + investment[:, t]
    return capital


def accumulate(capital: np.ndarray, received: np.ndarray, depreciation: float) -> np.ndarray:
    """Eq. 6d: K' = (1 − δ) K + I."""
    return (1.0 - depreciation) * capital + received
