"""Population exchange between counties and with ROC (DESIGN §5 step 5)."""

from __future__ import annotations

import numpy as np


def destination_utility(income: np.ndarray, services: np.ndarray, amenity: np.ndarray,
                        crowding: np.ndarray, bonus: np.ndarray, income_weight: float,
                        services_weight: float, amenity_weight: float,
                        crowding_weight: float) -> np.ndarray:
    """Eq. 5a: u_j = β_y ln y_j + β_S ln S_j + β_E E_j − β_c crowd_j + bonus_j."""
    return (income_weight * np.log(income) + services_weight * np.log(services)
            + amenity_weight * amenity - crowding_weight * crowding + bonus)


def crowding(land: np.ndarray, urban: np.ndarray, land_per_urban: float) -> np.ndarray:
    """Eq. 5b: crowd = max(0, λU / C − 1), how far urban land need exceeds the stock."""
    return np.maximum(land_per_urban * urban / land - 1.0, 0.0)


def choice_probabilities(utility: np.ndarray, roc_utility: float,
                         kernel: np.ndarray) -> np.ndarray:
    """Eq. 5c: multinomial logit over N counties and ROC for each origin.

    p_ij ∝ exp(u_j − γ τ_ij + b·[i = j]); the distance and stay terms are in
    ``kernel`` (N, N+1), so this is one broadcast multiply and a row sum.
    """
    u = np.append(utility, roc_utility)
    weights = kernel * np.exp(u - u.max())
    return weights / weights.sum(axis=1, keepdims=True)


def roc_arrival_shares(utility: np.ndarray, kernel_from_roc: np.ndarray) -> np.ndarray:
    """Eq. 5d: where arrivals from ROC settle, ∝ exp(u_j − γ τ_Rj)."""
    w = kernel_from_roc * np.exp(utility - utility.max())
    return w / w.sum()


def expected_flows(population: np.ndarray, rate: float, probabilities: np.ndarray,
                   roc_arrivals: float, roc_shares: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Eq. 5e: M_ij = μ P_i p_ij off the diagonal; ROC arrivals Z·q_j.

    Returns:
        (od, from_roc): (N, N+1) movers with a zero diagonal, and (N,) arrivals.
    """
    od = (rate * population)[:, None] * probabilities
    n = len(population)
    od[np.arange(n), np.arange(n)] = 0.0
    return od, roc_arrivals * roc_shares


def draw_flows(rng: np.random.Generator, expected_od: np.ndarray,
               expected_from_roc: np.ndarray, population: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Eq. 5f: stochastic flows, Poisson around the expected values.

    Each origin–destination count is an independent Poisson draw (a
    multinomial draw would differ only by a negligible covariance at these
    sizes). A county can never lose more residents than it has: in the
    (practically impossible) case that the draws exceed its population, its
    outflows are scaled down.
    """
    od = rng.poisson(expected_od).astype(float)
    from_roc = rng.poisson(expected_from_roc).astype(float)
    out = od.sum(axis=1)
    over = out > population
    if over.any():
        od[over] *= (population[over] / out[over])[:, None]
    return od, from_roc
