"""Market access, output and incomes (docs/model.md §5.2–5.4)."""

from __future__ import annotations

import numpy as np

from sim.model.core.land import TINY, room

BN = 1e9  # yuan per bn yuan


def market_access(gdp: np.ndarray, access: np.ndarray, initial_mean: float) -> np.ndarray:
    """Eq. 2: MA_i = Σ_j Y_j exp(−θ τ_ij), divided by its mean at the census year."""
    return access @ gdp / initial_mean


def land_factor(land: np.ndarray, urban: np.ndarray, land_per_urban: float,
                elasticity: float) -> np.ndarray:
    """Eq. 3b: h = min(1, C / (λ U))^η, the output penalty of scarce urban land."""
    return room(land, urban, land_per_urban) ** elasticity


def output(tfp: np.ndarray, access_norm: np.ndarray, capital: np.ndarray,
           labour: np.ndarray, land: np.ndarray, capital_share: float,
           agglomeration: float) -> np.ndarray:
    """Eq. 3: Y = A · MA^φ · K^α · L^(1−α) · h (bn yuan)."""
    return (tfp * access_norm ** agglomeration * capital ** capital_share
            * labour ** (1.0 - capital_share) * land)


def incomes(gdp: np.ndarray, urban: np.ndarray, rural: np.ndarray,
            primary_va_share: np.ndarray, primary_pop_share: np.ndarray,
            capital_share: float, rural_support: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eq. 4: income per capita, overall and of urban and rural residents (yuan).

    Labour income (1−α)Y is split between the primary sector (share s₁ of value
    added, earned by the e₁·P residents of farming households, all rural) and
    the rest (earned by everyone else: urban residents and the other rural
    residents). Rural income support is added on top.

    Returns:
        (income, urban_income, rural_income), each (N,).
    """
    pop = urban + rural
    labour_income = (1.0 - capital_share) * gdp * BN
    farming = np.minimum(primary_pop_share * pop, rural)
    has_farmers = farming > 0
    primary_income = primary_va_share * labour_income
    # Everyone but the farmers earns the non-primary income; if nobody farms, the
    # primary share has no earners of its own and is shared by everyone too.
    other_income = (labour_income - primary_income * has_farmers) / (pop - farming)
    rural_income = np.where(
        rural > 0,
        (primary_income * has_farmers + (rural - farming) * other_income)
        / np.maximum(rural, TINY),
        other_income) + rural_support
    income = (labour_income + rural_support * rural) / pop
    return income, other_income, rural_income
