"""Indicators computed from county tables: inequality (docs/model.md §7) and convergence.

The region-year table already carries these indicators for the whole region;
:func:`region_indicators` recomputes them from any county-year table, so they
can be had for a subset of counties (one province, the pilots and their
neighbours) or another grouping than provinces. Both use the functions of
:mod:`sim.model.indicators`, so there is one implementation of each formula.

Convergence follows Barro & Sala-i-Martin (1992): σ-convergence is a falling
dispersion of log GDP per capita across counties; β-convergence is a negative
slope β in the cross-county regression of average yearly growth on the
initial log level, g_i = a + β ln y_i0, with implied speed λ = −ln(1 + βT)/T
and half-life ln 2 / λ.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.base.errors import InputError
from sim.model import indicators
from sim.model.region import CORE_CODES
from sim.outputs.reader import run_columns


def county_blocks(county_year: pd.DataFrame, columns: Sequence[str]
                  ) -> tuple[pd.DataFrame, dict[str, np.ndarray], np.ndarray]:
    """Reshape a county table into (run-year × county) arrays.

    Returns:
        (keys, arrays, codes): one row of ``keys`` (run columns and year) per
        array row; ``arrays[c]`` of shape (blocks, counties) for each column;
        the county codes of the array columns.

    Raises:
        InputError: the run-years do not all hold the same counties.
    """
    if county_year.empty:
        raise InputError("the county table is empty")
    keys = [*run_columns(county_year), "year"]
    t = county_year.sort_values([*keys, "code"], kind="stable")
    sizes = t.groupby(keys, sort=False, dropna=False).size()
    n = int(sizes.iloc[0])
    codes = t["code"].to_numpy()
    if (sizes != n).any() or not (codes.reshape(-1, n) == codes[:n]).all():
        raise InputError("every run and year must hold the same counties (a county table "
                         "of one region)")
    arrays = {c: t[c].to_numpy().reshape(-1, n) for c in columns}
    return sizes.reset_index()[keys], arrays, codes[:n]


def region_indicators(county_year: pd.DataFrame, groups: str = "province") -> pd.DataFrame:
    """Population-weighted inequality and structure of the counties in a table.

    Args:
        county_year: county rows (any subset of counties, one or many runs).
        groups: county column that splits Theil into within- and between-group
            parts (``province`` as in the region-year table, or e.g. ``is_pilot``).

    Returns:
        One row per run and year: population, gdp_bn_yuan, gdp_per_capita_yuan,
        urbanisation_rate, theil, theil_within_<groups>, theil_between_<groups>,
        gini, cv, core_share and pilot_gap (NaN unless there are pilots and
        non-pilots).
    """
    if groups not in county_year.columns:
        raise InputError(f"unknown grouping column '{groups}'; use a county column such "
                         "as province or is_pilot")
    keys, a, codes = county_blocks(
        county_year, ["gdp_bn_yuan", "population", "urban_population", groups, "is_pilot"])
    summary = indicators.region_summary(
        a["gdp_bn_yuan"], a["population"], a["urban_population"], a[groups][0],
        np.isin(codes, CORE_CODES), a["is_pilot"][0].astype(bool), group_name=groups)
    out = keys.copy()
    for name, values in summary.items():
        out[name] = values
    return out


def sigma_convergence(county_year: pd.DataFrame, variable: str = "gdp_per_capita_yuan", *,
                      weighted: bool = False) -> pd.DataFrame:
    """σ: the standard deviation of log ``variable`` across counties, per run and year.

    Args:
        county_year: county rows.
        variable: a positive county column.
        weighted: weight counties by population (default: each county counts once,
            the usual σ-convergence measure).

    Returns:
        Run columns, ``year`` and ``sigma``.
    """
    keys, a, _ = county_blocks(county_year, [variable, "population"])
    x = _log_positive(a[variable], variable)
    w = a["population"].astype(float) if weighted else np.ones_like(x)
    w = w / w.sum(axis=1, keepdims=True)
    mean = (w * x).sum(axis=1, keepdims=True)
    out = keys.copy()
    out["sigma"] = np.sqrt((w * (x - mean) ** 2).sum(axis=1))
    return out


def beta_convergence(county_year: pd.DataFrame, variable: str = "gdp_per_capita_yuan", *,
                     start: int | None = None, end: int | None = None) -> pd.DataFrame:
    """β: OLS slope of average yearly log growth on the initial log level, per run.

    Args:
        county_year: county rows.
        variable: a positive county column.
        start: the first year of growth (default: the first recorded).
        end: the last year of growth (default: the last recorded).

    Returns:
        Run columns, ``start_year``, ``end_year``, ``beta`` (per year), ``intercept``,
        ``r2``, ``speed`` (λ per year; NaN unless −1/T < β < 0),
        ``half_life_years`` and ``n`` (counties).
    """
    years = sorted(county_year["year"].unique())
    start = int(years[0] if start is None else start)
    end = int(years[-1] if end is None else end)
    if start not in years or end not in years or end <= start:
        raise InputError(f"beta convergence needs two recorded years start < end; got "
                         f"{start}–{end}, recorded {years[0]}–{years[-1]}")
    rows = county_year[county_year["year"].isin([start, end])]
    keys, a, _ = county_blocks(rows, [variable])
    x = _log_positive(a[variable], variable)
    first = (keys["year"] == start).to_numpy()
    span = end - start
    x0, x1 = x[first], x[~first]
    growth = (x1 - x0) / span
    xc = x0 - x0.mean(axis=1, keepdims=True)
    gc = growth - growth.mean(axis=1, keepdims=True)
    beta = (xc * gc).sum(axis=1) / (xc ** 2).sum(axis=1)
    intercept = growth.mean(axis=1) - beta * x0.mean(axis=1)
    resid = gc - beta[:, None] * xc
    r2 = 1.0 - (resid ** 2).sum(axis=1) / (gc ** 2).sum(axis=1)
    inside = 1.0 + beta * span
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where((beta < 0) & (inside > 0), -np.log(inside) / span, np.nan)
        half_life = np.log(2.0) / speed
    out = keys[first].drop(columns="year").reset_index(drop=True)
    out["start_year"], out["end_year"] = start, end
    out["beta"], out["intercept"], out["r2"] = beta, intercept, r2
    out["speed"], out["half_life_years"] = speed, half_life
    out["n"] = x0.shape[1]
    return out


def _log_positive(values: np.ndarray, name: str) -> np.ndarray:
    values = values.astype(float)
    if not (values > 0).all():
        raise InputError(f"'{name}' must be positive in every county to take its log")
    return np.log(values)
