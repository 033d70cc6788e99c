"""County economic data for the census-year state: prices, investment, capital, fiscal gap, land.

Everything here turns the county table (``counties.csv``) and the provincial macro facts
(``provinces_macro.csv``) into arrays in county order; ``docs/economy.md`` gives the
derivations and checks, ``docs/model.md`` §3 the equations that use them.

* **Deflators**: the GDP deflator of each province, 2019/2010 and 2020/2010, from its
  nominal GDP and real index (:func:`deflator`).
* **Investment rates**: a county's fixed-asset investment (FAI) over GDP, relative to its
  province's aggregate ratio (2010 and 2017, the only years with county FAI), times the
  province's gross fixed capital formation (GFCF) share of GDP. FAI is not GFCF (it
  counts land purchases and second-hand assets; the provinces' FAI is 0.75–0.84 of GDP
  against GFCF of 0.48–0.55), so only the county's *relative* rate is taken from it.
* **Capital**: the province's capital–output ratio (perpetual inventory) spread over its
  counties by their relative investment rates; for a 2020 start, the perpetual inventory
  carried forward over 2010–2019 with the county investment paths (:func:`capital_inputs`).
* **Fiscal gap**: budget expenditure minus revenue over GDP, 2020, where the data have it
  (57 units of Chongqing and Chengdu); elsewhere the log-linear fit of the gap on GDP per
  capita over those units (:func:`fiscal_gap`).
* **Built-up land**: the MODIS built-up area, interpolated to the census year
  (:func:`builtup_area`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from sim.base import sources
from sim.model import census

#: Years with county fixed-asset investment in ``counties.csv``.
FAI_YEARS = (2010, 2017)
#: Years of the perpetual-inventory path for a 2020 start (2010 … 2020).
PATH_YEARS = tuple(range(2010, 2021))
#: MODIS built-up area years in ``counties.csv``.
MODIS_YEARS = (2011, 2021)
#: Fiscal gaps outside this range are clipped (a county spending more than 60 % of its
#: GDP beyond its revenue is outside what the 57 observed units span: 0–0.76, median 0.07).
FISCAL_GAP_RANGE = (0.0, 0.6)


@cache
def _macro() -> pd.DataFrame:
    return sources.provinces_macro().set_index(["province", "quantity", "year"])["value"]


def macro(province: str, quantity: str, year: int) -> float:
    """One value of ``provinces_macro.csv``."""
    return float(_macro().loc[(province, quantity, year)])


def real_index(province: str, start: int, end: int) -> float:
    """Real GDP of ``end`` over that of ``start`` (product of the yearly indices)."""
    return float(np.prod([macro(province, "real_gdp_index_previous_year", y)
                          for y in range(start + 1, end + 1)]))


def deflator(province: str, year: int) -> float:
    """GDP deflator of ``year`` (2019 or 2020) over 2010: nominal ratio over real index."""
    nominal = macro(province, "gdp_nominal", year) / macro(province, "gdp_nominal", 2010)
    return nominal / real_index(province, 2010, year)


def gfcf_share(province: str, year: int) -> float:
    """GFCF over GDP; after 2017 (no provincial data published) the 2017 value."""
    return macro(province, "gfcf_share_of_gdp", min(year, 2017))


def fill_gdp(t: pd.DataFrame, year: int, population: pd.Series) -> tuple[pd.Series, pd.Series]:
    """County GDP of ``year`` (10,000 yuan) with gaps filled, and the gap flags.

    A unit without GDP gets its prefecture's GDP per capita (over the units that have
    it) times its population.
    """
    col = f"gdp_{year}_10k_yuan"
    gdp = t[col].astype(float)
    missing = gdp.isna()
    if missing.any():
        has = ~missing
        per_capita = (t[has].groupby("prefecture_code")[col].sum()
                      / population[has].groupby(t["prefecture_code"][has]).sum())
        gdp = gdp.fillna(t["prefecture_code"].map(per_capita) * population)
    return gdp, missing


@dataclass(frozen=True, eq=False)
class EconomyData:
    """Economic inputs of the census-year state, in county order (see the module doc).

    Attributes:
        capital_weight: a county's capital–output ratio over its province's (GDP-weighted
            mean 1 over the province): the geometric mean of its relative investment
            rates of 2010 and 2017.
        gdp_path: (N, 11) real GDP 2010–2020 in the census year's prices (bn yuan):
            2010, 2019 and 2020 observed, the years between log-linear.
        investment_share_path: (N, 11) investment over GDP 2010–2020: the province's GFCF
            share (2017's after 2017) times the county's relative rate (log-linear
            between 2010 and 2017, 2017's after).
        fiscal_gap: budget expenditure minus revenue over GDP (2020).
        fiscal_gap_observed: whether ``fiscal_gap`` is data (else predicted).
        builtup_km2: MODIS built-up area at the census year (NaN where MODIS has none).
    """

    capital_weight: np.ndarray
    gdp_path: np.ndarray
    investment_share_path: np.ndarray
    fiscal_gap: np.ndarray
    fiscal_gap_observed: np.ndarray
    builtup_km2: np.ndarray


def economy_data(t: pd.DataFrame, census_year: int) -> EconomyData:
    """The economic inputs for the counties of ``t`` (a ``counties.csv`` table).

    Provincial aggregates (relative investment rates, the fiscal-gap fit) are taken over
    every county of the province in ``counties.csv``, whatever the rows of ``t``.
    """
    full = _full(census_year)
    rows = full.loc[t["code"].to_numpy()]
    return EconomyData(
        capital_weight=rows["capital_weight"].to_numpy(),
        gdp_path=rows[[f"gdp_real_{y}" for y in PATH_YEARS]].to_numpy(),
        investment_share_path=rows[[f"inv_share_{y}" for y in PATH_YEARS]].to_numpy(),
        fiscal_gap=rows["fiscal_gap"].to_numpy(),
        fiscal_gap_observed=rows["fiscal_gap_observed"].to_numpy(dtype=bool),
        builtup_km2=rows["builtup_km2"].to_numpy(),
    )


@cache
def _full(census_year: int) -> pd.DataFrame:
    t = sources.counties()
    pop = {y: pd.Series(census.units(y).loc[t["code"], "pop_total"].to_numpy(dtype=float),
                        index=t.index) for y in (2010, 2020)}
    gdp10, _ = fill_gdp(t, 2010, pop[2010])
    out = pd.DataFrame(index=t["code"])
    province = t["province_en"].to_numpy()
    d19 = np.array([deflator(p, 2019) for p in province])
    d20 = np.array([deflator(p, 2020) for p in province])
    real = {2010: gdp10.to_numpy() / 1e5, 2019: t["gdp_2019_10k_yuan"].to_numpy() / 1e5 / d19,
            2020: t["gdp_2020_10k_yuan"].to_numpy() / 1e5 / d20}  # bn yuan, 2010 prices
    price = d20 if census_year == 2020 else np.ones_like(d20)
    for y in PATH_YEARS:
        if y in real:
            path = real[y]
        else:
            path = real[2010] * (real[2019] / real[2010]) ** ((y - 2010) / 9)
        out[f"gdp_real_{y}"] = path * price
    rel = _relative_investment(t, gdp10)
    weight = np.sqrt(rel[2010] * rel[2017])
    for p in np.unique(province):
        m = province == p
        weight[m] /= np.average(weight[m], weights=gdp10[m])
    out["capital_weight"] = weight
    for y in PATH_YEARS:
        w = min((y - 2010) / (2017 - 2010), 1.0)
        relative = rel[2010] ** (1 - w) * rel[2017] ** w
        out[f"inv_share_{y}"] = relative * np.array([gfcf_share(p, y) for p in province])
    gap, observed = fiscal_gap(t, pop[2020])
    out["fiscal_gap"] = gap
    out["fiscal_gap_observed"] = observed
    out["builtup_km2"] = builtup_area(t, census_year)
    return out


def _relative_investment(t: pd.DataFrame, gdp10: pd.Series) -> dict[int, np.ndarray]:
    """Each county's FAI/GDP over its province's aggregate FAI/GDP, 2010 and 2017.

    2017 GDP is interpolated log-linearly between 2010 and 2019 (nominal). A unit without
    a rate in one year takes its rate of the other year (4 units lack 2010 FAI).
    """
    gdp = {2010: gdp10, 2017: gdp10 * (t["gdp_2019_10k_yuan"] / gdp10) ** (7 / 9)}
    out = {}
    for y in FAI_YEARS:
        fai = t[f"fixed_investment_{y}_100m_yuan"] * 1e4  # 10,000 yuan
        ratio = fai / gdp[y]
        has = ratio.notna()
        agg = (fai[has].groupby(t["province_en"][has]).sum()
               / gdp[y][has].groupby(t["province_en"][has]).sum())
        out[y] = (ratio / t["province_en"].map(agg)).to_numpy()
    out[2010] = np.where(np.isnan(out[2010]), out[2017], out[2010])
    out[2017] = np.where(np.isnan(out[2017]), out[2010], out[2017])
    return out


def fiscal_gap_fit(t: pd.DataFrame, population_2020: pd.Series) -> tuple[float, float, int]:
    """OLS of ln(gap) on ln(GDP per capita, 10,000 yuan) over the units with a positive gap.

    Returns:
        (intercept, slope, number of units).
    """
    gap = _observed_gap(t)
    per_capita = t["gdp_2020_10k_yuan"] / population_2020
    use = (gap > 0).to_numpy()
    x = np.log(per_capita.to_numpy()[use])
    y = np.log(gap.to_numpy()[use])
    slope, intercept = np.polyfit(x, y, 1)
    return float(intercept), float(slope), int(use.sum())


def fiscal_gap(t: pd.DataFrame, population_2020: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The 2020 fiscal gap over GDP of each unit, and whether it is observed.

    Observed where ``counties.csv`` has revenue and expenditure; elsewhere
    exp(a + b ln y), y the 2020 GDP per capita (:func:`fiscal_gap_fit`). Clipped to
    :data:`FISCAL_GAP_RANGE`.
    """
    gap = _observed_gap(t)
    intercept, slope, _ = fiscal_gap_fit(t, population_2020)
    per_capita = (t["gdp_2020_10k_yuan"] / population_2020).to_numpy()
    predicted = np.exp(intercept + slope * np.log(per_capita))
    observed = gap.notna().to_numpy()
    value = np.where(observed, gap.to_numpy(), predicted)
    return np.clip(value, *FISCAL_GAP_RANGE), observed


def _observed_gap(t: pd.DataFrame) -> pd.Series:
    return ((t["fiscal_expenditure_2020_10k_yuan"] - t["fiscal_revenue_2020_10k_yuan"])
            / t["gdp_2020_10k_yuan"])


def builtup_area(t: pd.DataFrame, year: int) -> np.ndarray:
    """MODIS built-up area at ``year`` (km²), log-linear through 2011 and 2021.

    A unit with one of the two years grows (or shrinks) from it at the region's rate
    (summed over the units with both); a unit with neither is NaN.
    """
    a, b = (t[f"builtup_modis_{y}_km2"].to_numpy(dtype=float) for y in MODIS_YEARS)
    both = ~np.isnan(a) & ~np.isnan(b) & (a > 0) & (b > 0)
    span = MODIS_YEARS[1] - MODIS_YEARS[0]
    region_rate = np.log(b[both].sum() / a[both].sum()) / span
    rate = np.where(both, np.log(np.where(both, b, 1.0) / np.where(both, a, 1.0)) / span,
                    region_rate)
    anchor_year = np.where(np.isnan(a), MODIS_YEARS[1], MODIS_YEARS[0])
    anchor = np.where(np.isnan(a), b, a)
    return anchor * np.exp(rate * (year - anchor_year))
