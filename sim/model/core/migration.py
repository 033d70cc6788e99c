"""Population exchange between counties and with ROC (docs/model.md §5.5).

Choice probabilities are p_ij = K_ij e_j / (K e)_i with K the migration
kernel (distance decay and stay bonus) and e_j = exp(u_j). Totals per county
need only two matrix–vector products; the full origin–destination matrix is
built only when it is needed (stochastic draws, recorded flows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def destination_utility(income: np.ndarray, services: np.ndarray, amenity: np.ndarray,
                        crowding: np.ndarray, size: np.ndarray, bonus: np.ndarray,
                        income_weight: float, services_weight: float, amenity_weight: float,
                        crowding_weight: float, size_weight: float) -> np.ndarray:
    """Eq. 5a: u_j = β_y ln y_j + β_S ln S_j + β_E E_j − β_c crowd_j + β_U ln(U_j/Ū) + bonus_j.

    ``income`` is what a resident of j can earn (eq. 5j); ``size`` the urban
    population, over its mean Ū: a county is an aggregate of many elemental
    destinations (urban jobs and homes), so a county with twice the urban
    population offers twice the choices (β_U = 1). ROC, a single alternative,
    carries no size term; its constant is ``roc_preference``.
    """
    return (income_weight * np.log(income) + services_weight * np.log(services)
            + amenity_weight * amenity - crowding_weight * crowding
            + size_weight * np.log(size * (size.size / size.sum())) + bonus)


def commuting_income(income: np.ndarray, population: np.ndarray,
                     kernel: np.ndarray) -> np.ndarray:
    """Eq. 5j: income within commuting reach, ỹ_i = Σ_j c_ij y_j P_j / Σ_j c_ij P_j.

    Labour income paid in j is shared among the residents who can reach j
    (c_ij = exp(−θ_c τ_ij), c_ii = 1). Output per resident overstates what
    residents of a central business district earn (commuters from neighbouring
    counties share its jobs) and understates it in their dormitory suburbs.
    With θ_c → ∞, ỹ = y.
    """
    return (kernel @ (income * population)) / (kernel @ population)


def crowding(land: np.ndarray, urban: np.ndarray, land_per_urban: float) -> np.ndarray:
    """Eq. 5b: crowd = max(0, λU / C − 1), how far urban land need exceeds the stock."""
    return np.maximum(land_per_urban * urban / land - 1.0, 0.0)


@dataclass(frozen=True, eq=False)
class Choice:
    """Destination choice of one year (eq. 5c).

    Attributes:
        attraction: (N+1,) e_j = exp(u_j − max u), ROC last.
        movers: (N,) μ P_i, the residents who reconsider (stayers included).
        movers_per_weight: (N,) μ P_i / (K e)_i, so that M_ij = it_i · K_ij e_j.
    """

    attraction: np.ndarray
    movers: np.ndarray
    movers_per_weight: np.ndarray


def choose(movers: np.ndarray, utility: np.ndarray, roc_utility: float,
           kernel: np.ndarray) -> Choice:
    """Eq. 5c: multinomial logit over N counties and ROC, for the residents who reconsider.

    p_ij ∝ exp(u_j − γ τ_ij + b·[i = j]); the distance and stay terms are in
    ``kernel`` (N, N+1). ``movers`` (N,) are the residents who reconsider,
    Σ_(s,a) μ r(a) P_i(s, a) (eq. 5l).
    """
    u = np.append(utility, roc_utility)
    e = np.exp(u - u.max())
    return Choice(attraction=e, movers=movers, movers_per_weight=movers / (kernel @ e))


def expected_totals(choice: Choice, kernel: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected movers per county without building the OD matrix.

    Returns:
        (out, in_from_counties, to_roc): leavers (to other counties and ROC),
        arrivals from other counties, and leavers to ROC; each (N,).
    """
    n = len(choice.movers_per_weight)
    e, s = choice.attraction, choice.movers_per_weight
    stayers = s * np.diagonal(kernel) * e[:n]
    arrivals = e[:n] * (s @ kernel)[:n] - stayers
    return choice.movers - stayers, arrivals, s * kernel[:, n] * e[n]


def expected_od(choice: Choice, kernel: np.ndarray) -> np.ndarray:
    """Eq. 5e: M_ij = μ P_i p_ij, (N, N+1) with ROC last and a zero diagonal."""
    od = kernel * choice.attraction
    od *= choice.movers_per_weight[:, None]
    n = od.shape[0]
    od.reshape(-1)[:: n + 2][:n] = 0.0  # the diagonal of the (N, N+1) block
    return od


def newcomers(total: float, choice: Choice) -> np.ndarray:
    """Eq. 5d: newcomers from ROC, Z split ∝ e_j = exp(u_j) (size and attractiveness).

    Newcomers are people registered outside Sichuan and Chongqing; where they settle
    depends on the destinations' utility (its size term included), not on the
    distance to an airport.
    """
    w = choice.attraction[:-1]
    return total * w / w.sum()


def stay_and_roc_shares(choice: Choice, kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(p_ii, p_iR): shares of a county's movers who stay and who leave for ROC."""
    n = len(choice.movers_per_weight)
    weight = choice.movers_per_weight / np.maximum(choice.movers, 1e-300)
    e = choice.attraction
    return weight * np.diagonal(kernel) * e[:n], weight * kernel[:, n] * e[n]


def arrivals_by_group(choice: Choice, kernel: np.ndarray, kernel_to: np.ndarray,
                      movers: np.ndarray) -> np.ndarray:
    """Eq. 5m: expected arrivals from other counties by group (sex × age), (N, G).

    Movers of every group choose alike, so the arrivals of group g at j are
    e_j Σ_(i≠j) K_ij x_ig / (K e)_i, x the movers by group (N, G): one matrix product
    with ``kernel_to``, the county block of K transposed and contiguous.
    """
    n = movers.shape[0]
    y = movers * (choice.movers_per_weight / np.maximum(choice.movers, 1e-300))[:, None]
    e = choice.attraction[:n, None]
    return e * (kernel_to @ y - np.diagonal(kernel)[:, None] * y)


def arrivals_from_same_province(choice: Choice | None, kernel: np.ndarray,
                                od: np.ndarray | None, weight: np.ndarray,
                                rows: tuple) -> np.ndarray:
    """Σ_(i≠j, same province as j) M_ij w_i: arrivals from the destination's province.

    ``weight`` (N,) is the share of each origin's movers counted (e.g. those
    registered in the origin's province). Expected flows (``choice``) or drawn ones
    (``od``); ``rows`` are the counties of each province.
    """
    n = kernel.shape[0]
    out = np.zeros(n)
    if od is not None:
        for r in rows:
            out[r] = od[r, :n][:, r].T @ weight[r]
        return out
    y = choice.movers_per_weight * weight
    e = choice.attraction[:n]
    for r in rows:
        k = kernel[r, :n][:, r]
        out[r] = e[r] * (k.T @ y[r] - np.diagonal(k) * y[r])
    return out


def draw_flows(rng: np.random.Generator, expected_od: np.ndarray, limit: np.ndarray
               ) -> np.ndarray:
    """Eq. 5f: stochastic flows, Poisson around the expected values.

    Each origin–destination count is an independent Poisson draw (a multinomial draw
    would differ only by a negligible covariance at these sizes). A county never
    loses more residents than ``limit`` (N,) allows (the most its smallest-stocked
    sex and age group can give, see :func:`sim.model.core.step.advance`); in that
    practically impossible case its outflows are scaled down.
    """
    od = rng.poisson(expected_od).astype(float)
    out = od.sum(axis=1)
    over = out > limit
    if over.any():
        od[over] *= (limit[over] / out[over])[:, None]
    return od
