"""Regional balance indicators (docs/model.md §7), pure functions over arrays.

All take GDP and population per county along the last axis, so a (years × N)
array gives one value per year. Inequality is of GDP per capita across
counties, weighted by population.
"""

from __future__ import annotations

import numpy as np


def _shares(gdp: np.ndarray, population: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    gdp = np.asarray(gdp, dtype=float)
    population = np.asarray(population, dtype=float)
    return (gdp / gdp.sum(axis=-1, keepdims=True),
            population / population.sum(axis=-1, keepdims=True))


def theil(gdp: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Theil T index: Σ_i s_i ln(s_i / p_i), s GDP shares, p population shares."""
    s, p = _shares(gdp, population)
    terms = np.where(s > 0, s * np.log(np.where(s > 0, s, 1.0) / p), 0.0)
    return terms.sum(axis=-1)


def theil_decomposition(gdp: np.ndarray, population: np.ndarray, groups: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Split Theil T into within-group and between-group parts.

    T = Σ_g s_g T_g + Σ_g s_g ln(s_g / p_g), with s_g, p_g the group's GDP and
    population shares and T_g the Theil index inside group g.

    Returns:
        (within, between); they add up to :func:`theil`.
    """
    gdp = np.asarray(gdp, dtype=float)
    population = np.asarray(population, dtype=float)
    total_gdp = gdp.sum(axis=-1)
    total_pop = population.sum(axis=-1)
    within = np.zeros(np.shape(total_gdp))
    between = np.zeros(np.shape(total_gdp))
    for g in np.unique(groups):
        member = groups == g
        g_gdp, g_pop = gdp[..., member], population[..., member]
        s_g = g_gdp.sum(axis=-1) / total_gdp
        p_g = g_pop.sum(axis=-1) / total_pop
        within = within + s_g * theil(g_gdp, g_pop)
        between = between + np.where(s_g > 0, s_g * np.log(np.where(s_g > 0, s_g, 1) / p_g), 0)
    return within, between


def gini(gdp: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Population-weighted Gini coefficient of GDP per capita.

    With counties sorted by GDP per capita, G = 1 − Σ_i p_i (L_i + L_{i−1}),
    L the cumulative GDP share (the area formula for the Lorenz curve).
    """
    gdp = np.asarray(gdp, dtype=float)
    population = np.asarray(population, dtype=float)
    order = np.argsort(gdp / population, axis=-1)
    g = np.take_along_axis(gdp, order, axis=-1)
    p = np.take_along_axis(population, order, axis=-1)
    s, p = _shares(g, p)
    lorenz = np.cumsum(s, axis=-1)
    previous = lorenz - s
    return 1.0 - (p * (lorenz + previous)).sum(axis=-1)


def coefficient_of_variation(gdp: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Population-weighted coefficient of variation of GDP per capita."""
    gdp = np.asarray(gdp, dtype=float)
    population = np.asarray(population, dtype=float)
    x = gdp / population
    w = population / population.sum(axis=-1, keepdims=True)
    mean = (w * x).sum(axis=-1)
    var = (w * (x - mean[..., None]) ** 2).sum(axis=-1)
    return np.sqrt(var) / mean


def group_gap(gdp: np.ndarray, population: np.ndarray, member: np.ndarray) -> np.ndarray:
    """Log ratio of GDP per capita inside a group to that outside it."""
    gdp = np.asarray(gdp, dtype=float)
    population = np.asarray(population, dtype=float)
    inside = gdp[..., member].sum(axis=-1) / population[..., member].sum(axis=-1)
    outside = gdp[..., ~member].sum(axis=-1) / population[..., ~member].sum(axis=-1)
    return np.log(inside / outside)


def region_summary(gdp: np.ndarray, population: np.ndarray, urban: np.ndarray,
                   groups: np.ndarray, core: np.ndarray, pilot: np.ndarray, *,
                   group_name: str = "groups") -> dict[str, np.ndarray]:
    """The region-year indicators of (years × N) county arrays, one value per year.

    Args:
        gdp: bn yuan per county.
        population: persons per county.
        urban: urban persons per county.
        groups: (N,) labels that split Theil into within and between parts.
        core: (N,) True for the core districts.
        pilot: (N,) True for the pilot counties.
        group_name: names the within/between Theil columns (e.g. ``province``).

    Returns:
        population, gdp_bn_yuan, gdp_per_capita_yuan (yuan), urbanisation_rate,
        theil, theil_within_<group_name>, theil_between_<group_name>, gini, cv,
        core_share and pilot_gap (NaN unless there are pilots and non-pilots).
    """
    gdp = np.asarray(gdp, dtype=float)
    population = np.asarray(population, dtype=float)
    total_pop, total_gdp = population.sum(axis=-1), gdp.sum(axis=-1)
    within, between = theil_decomposition(gdp, population, groups)
    return {
        "population": total_pop,
        "gdp_bn_yuan": total_gdp,
        "gdp_per_capita_yuan": total_gdp * 1e9 / total_pop,
        "urbanisation_rate": np.asarray(urban, dtype=float).sum(axis=-1) / total_pop,
        "theil": within + between,
        f"theil_within_{group_name}": within,
        f"theil_between_{group_name}": between,
        "gini": gini(gdp, population),
        "cv": coefficient_of_variation(gdp, population),
        "core_share": population[..., core].sum(axis=-1) / total_pop,
        "pilot_gap": (group_gap(gdp, population, pilot) if pilot.any() and not pilot.all()
                      else np.full(np.shape(total_gdp), np.nan)),
    }
