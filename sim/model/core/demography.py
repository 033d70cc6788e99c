"""Where migrants settle, and urbanisation (docs/model.md §5.5, §5.8).

Births, deaths and ageing are in :mod:`sim.model.core.cohorts`.
"""

from __future__ import annotations

import numpy as np

from sim.model.core.land import TINY, room


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
    # A county whose rural residents earn nothing (all farm, no farm output) has the
    # largest gap the cap allows, not a division by zero.
    gap = np.log(np.maximum(urban_income / np.maximum(rural_income, 1.0), 1.0))
    share = np.minimum((base_rate + gap_rate * gap) * (1.0 + boost)
                       * room(land, urban, land_per_urban), 0.5)
    return share * rural
