"""Goodness of fit of predicted 2020 values against observed ones, per group.

Population is compared on log growth g = ln(P₂₀₂₀ / P₂₀₁₀); urban share on its
change in percentage points; GDP on the log growth of each group's share of
the region's GDP (prices cancel). Every function takes plain arrays over the
compared groups and returns a dict of floats; R² is the coefficient of
determination 1 − SS_res / SS_tot (negative when a prediction is worse than the
observed mean), not a squared correlation.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import spearmanr

#: Changes (log growth, percentage points) smaller than this count as none.
ZERO = 1e-9


def _sign(values: np.ndarray) -> np.ndarray:
    """−1, 0 or 1; changes smaller than :data:`ZERO` count as none.

    A fully urban district has no urban-share change, observed or predicted, but
    its predicted change is a rounding residue of ±1e-16 whose sign would flip
    with any reordering of the arithmetic.
    """
    return np.sign(np.where(np.abs(values) < ZERO, 0.0, values))


def _fit(observed: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """R², RMSE, Spearman, sign agreement and bias of predicted vs observed values."""
    err = predicted - observed
    ss_tot = float(((observed - observed.mean()) ** 2).sum())
    ss_res = float((err**2).sum())
    # A predictor of no differences (natural change: no urban-share change) has
    # no ranking, only rounding residues of ±1e-16 that Spearman would rank.
    if np.ptp(predicted) < ZERO or np.ptp(observed) < ZERO:
        rho = math.nan
    else:
        rho = float(spearmanr(observed, predicted).statistic)
    return {
        "r2": 1.0 - ss_res / ss_tot if ss_tot > 0 else math.nan,
        "rmse": math.sqrt(ss_res / len(err)),
        "spearman": rho,
        "sign": float((_sign(observed) == _sign(predicted)).mean()),
        "bias": float(err.mean()),
    }


def population_metrics(pop_2010: np.ndarray, pop_2020: np.ndarray,
                       predicted_2020: np.ndarray) -> dict[str, float]:
    """Fit of predicted 2020 population on log growth, plus ``mdape``.

    The keys of :func:`_fit` (``r2``, ``rmse``, ``spearman``, ``sign``, ``bias``)
    on log growth 2010→2020, ``mdape`` (median absolute % error of the 2020
    population) and ``n``.

    Args:
        pop_2010: observed 2010 population per group.
        pop_2020: observed 2020 population per group.
        predicted_2020: predicted 2020 population per group.
    """
    observed = np.log(pop_2020 / pop_2010)
    predicted = np.log(predicted_2020 / pop_2010)
    out = _fit(observed, predicted)
    out["mdape"] = float(np.median(np.abs(predicted_2020 / pop_2020 - 1.0)) * 100.0)
    out["n"] = len(observed)
    return out


def urban_metrics(pop_2010: np.ndarray, urban_2010: np.ndarray, pop_2020: np.ndarray,
                  urban_2020: np.ndarray, predicted_pop: np.ndarray,
                  predicted_urban: np.ndarray) -> dict[str, float]:
    """Fit of the predicted change of the urban share, in percentage points."""
    share_2010 = 100.0 * urban_2010 / pop_2010
    observed = 100.0 * urban_2020 / pop_2020 - share_2010
    predicted_share = 100.0 * predicted_urban / predicted_pop
    out = _fit(observed, predicted_share - share_2010)
    out["mdae"] = float(np.median(np.abs(predicted_share - 100.0 * urban_2020 / pop_2020)))
    out["n"] = len(observed)
    return out


def gdp_metrics(gdp_2010: np.ndarray, gdp_2020: np.ndarray,
                predicted_2020: np.ndarray) -> dict[str, float]:
    """Fit of predicted GDP shares: log growth of each group's share of the total.

    Only pass comparable groups (no imputed 2010 GDP), and 2020 GDP at 2010 prices
    (deflated by each province's deflator, as the model's); shares are taken over the
    groups passed.
    """
    s10 = gdp_2010 / gdp_2010.sum()
    s20 = gdp_2020 / gdp_2020.sum()
    p20 = predicted_2020 / predicted_2020.sum()
    out = _fit(np.log(s20 / s10), np.log(p20 / s10))
    out["mdape"] = float(np.median(np.abs(p20 / s20 - 1.0)) * 100.0)
    out["n"] = len(s10)
    return out
