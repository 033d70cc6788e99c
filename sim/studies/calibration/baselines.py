"""The three baselines the model must beat (docs/validation/README.md), as pure functions.

* **persistence**: every unit grows at its province's observed 2010→2020 rate
  (population and urban population separately). It is handed the provincial
  totals of 2020, which the model is not: a deliberately strong benchmark.
* **natural change**: 2010 population times (1 + b − d)^years with each unit's
  2010 birth and death rates, no migration; urban share unchanged.
* **gravity**: a static, production-constrained gravity model on the 2010
  network. A share m of every unit's 2010 population is redistributed over all
  units (itself included) with probabilities ∝ W_j^α exp(−β τ_ij), W = 2010 GDP,
  and everything is scaled by a common growth factor e^c:
  P̂_j = e^c [(1 − m) P_j + m Σ_i P_i p_ij]. (m, α, β, c) are fitted by least
  squares on the log growth of the training groups. It predicts population
  only.

All functions take arrays over units; :func:`fit_gravity` compares with groups
through ``unit_group`` (the row of each unit's group).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares


def province_growth(values_2010: np.ndarray, values_2020: np.ndarray,
                    province: np.ndarray) -> dict[object, float]:
    """Observed growth factor X₂₀₂₀ / X₂₀₁₀ of each province's total."""
    return {p: float(values_2020[province == p].sum() / values_2010[province == p].sum())
            for p in np.unique(province)}


def persistence(pop_2010: np.ndarray, urban_2010: np.ndarray, province: np.ndarray,
                pop_growth: dict[object, float], urban_growth: dict[object, float]
                ) -> tuple[np.ndarray, np.ndarray]:
    """Every unit grows at its province's rate.

    Returns:
        (population, urban population) in 2020; urban is capped at population.
    """
    pop = pop_2010 * np.array([pop_growth[p] for p in province])
    urban = urban_2010 * np.array([urban_growth[p] for p in province])
    return pop, np.minimum(urban, pop)


def natural_change(pop_2010: np.ndarray, urban_2010: np.ndarray, birth_rate: np.ndarray,
                   death_rate: np.ndarray, years: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Births and deaths at constant 2010 rates (per person and year), no migration.

    Returns:
        (population, urban population) after ``years``; the urban share is unchanged.
    """
    factor = (1.0 + birth_rate - death_rate) ** years
    return pop_2010 * factor, urban_2010 * factor


def gravity_probabilities(mass: np.ndarray, travel_time: np.ndarray, alpha: float,
                          beta: float) -> np.ndarray:
    """p_ij ∝ W_j^α exp(−β τ_ij), rows summing to 1 (the production constraint)."""
    log_w = alpha * np.log(mass)[None, :] - beta * travel_time
    log_w -= log_w.max(axis=1, keepdims=True)
    w = np.exp(log_w)
    return w / w.sum(axis=1, keepdims=True)


def gravity(pop_2010: np.ndarray, mass: np.ndarray, travel_time: np.ndarray, *,
            move_share: float, alpha: float, beta: float, log_growth: float) -> np.ndarray:
    """2020 population of the gravity model: P̂_j = e^c [(1 − m) P_j + m Σ_i P_i p_ij]."""
    p = gravity_probabilities(mass, travel_time, alpha, beta)
    moved = (1.0 - move_share) * pop_2010 + move_share * (pop_2010 @ p)
    return np.exp(log_growth) * moved


@dataclass(frozen=True)
class GravityFit:
    """Fitted gravity parameters and the least-squares cost of the fit."""

    move_share: float
    alpha: float
    beta: float
    log_growth: float
    rmse: float

    def params(self) -> dict[str, float]:
        """The parameters as keyword arguments of :func:`gravity`."""
        return {"move_share": self.move_share, "alpha": self.alpha, "beta": self.beta,
                "log_growth": self.log_growth}


def _unpack(x: np.ndarray) -> dict[str, float]:
    return {"move_share": float(1.0 / (1.0 + np.exp(-x[0]))), "alpha": float(x[1]),
            "beta": float(np.exp(x[2])), "log_growth": float(x[3])}


#: Starting points (logit m, α, ln β, c) of the gravity fit.
GRAVITY_STARTS = ((-2.0, 1.0, -1.0, 0.0), (0.0, 0.5, 0.0, 0.0), (-3.0, 2.0, 1.0, 0.0))


def fit_gravity(pop_2010: np.ndarray, mass: np.ndarray, travel_time: np.ndarray,
                unit_group: np.ndarray, group_2010: np.ndarray, group_2020: np.ndarray,
                train: np.ndarray) -> GravityFit:
    """Fit (m, α, β, c) by least squares on the training groups' log growth.

    Args:
        pop_2010: 2010 population per unit.
        mass: attraction mass W per unit (2010 GDP).
        travel_time: (units × units) hours, with internal times on the diagonal.
        unit_group: row of each unit's group.
        group_2010: observed 2010 population per group.
        group_2020: observed 2020 population per group.
        train: boolean mask of the groups to fit on.
    """
    n_groups = len(group_2010)
    observed = np.log(group_2020 / group_2010)[train]

    def residuals(x: np.ndarray) -> np.ndarray:
        pred = gravity(pop_2010, mass, travel_time, **_unpack(x))
        grouped = np.bincount(unit_group, weights=pred, minlength=n_groups)
        return np.log(grouped / group_2010)[train] - observed

    best = None
    for start in GRAVITY_STARTS:
        res = least_squares(residuals, np.array(start), method="trf", x_scale=1.0,
                            xtol=1e-10, ftol=1e-12, gtol=1e-10, max_nfev=2000)
        if best is None or res.cost < best.cost:
            best = res
    params = _unpack(best.x)
    rmse = float(np.sqrt(2.0 * best.cost / len(observed)))
    return GravityFit(rmse=rmse, **params)
