"""Births, deaths and urbanisation (docs/model.md §5.7–5.8)."""

from __future__ import annotations

import numpy as np

from sim.model.core.land import TINY, room


def vital_rates(birth_2010: np.ndarray, death_2010: np.ndarray, year: int,
                birth_trend: float, death_trend: float) -> tuple[np.ndarray, np.ndarray]:
    """Eq. 7a: b(t) = b₂₀₁₀ (1 + trend_b)^(t − 2010), and likewise for deaths."""
    return (birth_2010 * (1.0 + birth_trend) ** (year - 2010),
            death_2010 * (1.0 + death_trend) ** (year - 2010))


def natural_change(population: np.ndarray, birth_rate: np.ndarray, death_rate: np.ndarray,
                   rng: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray]:
    """Eq. 7b: births ~ Poisson(b P), deaths ~ Binomial(P, d); expectations if no rng."""
    if rng is None:
        return birth_rate * population, death_rate * population
    births = rng.poisson(birth_rate * population).astype(float)
    deaths = rng.binomial(np.rint(population).astype(np.int64), death_rate).astype(float)
    return births, np.minimum(deaths, population)


def settle_migrants(urban: np.ndarray, rural: np.ndarray, leaving: np.ndarray,
                    arriving: np.ndarray, urban_bias: float) -> tuple[np.ndarray, np.ndarray]:
    """Eq. 5k: urban and rural residents after migration.

    Leavers are drawn from urban and rural residents in proportion. Arrivals
    (from other counties and ROC) settle in towns with share
    s = u + σ (1 − u), u = U / P: like the residents when σ = 0, all in towns
    when σ = 1. U' = U (1 − O/P) + s I and R' = R (1 − O/P) + (1 − s) I.
    """
    pop = np.maximum(urban + rural, TINY)
    stay = 1.0 - leaving / pop
    settle = urban_bias + (1.0 - urban_bias) * (urban / pop)  # = u + σ (1 − u)
    return urban * stay + settle * arriving, rural * stay + (1.0 - settle) * arriving


def urbanisation(rural: np.ndarray, urban_income: np.ndarray, rural_income: np.ndarray,
                 land: np.ndarray, urban: np.ndarray, land_per_urban: float,
                 base_rate: float, gap_rate: float, boost: np.ndarray) -> np.ndarray:
    """Eq. 8: rural residents becoming urban in a year.

    ΔU = R · min(0.5, (ν₀ + ν ln⁺(y_u / y_r)) (1 + boost) · min(1, C / (λ U))):
    a structural trend ν₀ plus a pull that rises with the urban–rural income
    gap, slowed when urban land is full.
    """
    gap = np.log(np.maximum(urban_income / rural_income, 1.0))
    share = np.minimum((base_rate + gap_rate * gap) * (1.0 + boost)
                       * room(land, urban, land_per_urban), 0.5)
    return share * rural
