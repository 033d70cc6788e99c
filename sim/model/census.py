"""The census by age, sex and registration, on the 2020 county units.

``census_age_migration.csv`` holds the 2010 and 2020 county census tables on the codes
and boundaries of each census year. :func:`units` returns one row per 2020 unit: the
2020 rows with the three development-zone rows added to their parent districts, and
the 2010 rows harmonised to 2020 territory with the crosswalk (``crosswalk.md``):

* a comparison group with one 2020 member (210 of 215: same, renamed and merged units)
  gives that member the exact sum of its 2010 units;
* the 11 members of the five multi-unit groups (splits and boundary changes) share each
  group total in proportion to their own 2020 census value of the same variable (the
  age × sex cell, urban, each migrant stock; hukou by the split 2010 population), in
  whole persons by the largest-remainder method; they are flagged
  ``census_split_estimated``;
* rates and means (birth and death rates, children ever born) become counts before
  they are summed or split, and rates again after.

The result reproduces ``counties.csv`` and ``cmp_groups.csv`` exactly (tests/test_census.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.base import sources

if TYPE_CHECKING:
    from sim.model.economy import EconomyData

#: The census age groups: 0, 1–4, 5–9, …, 80–84, 85+.
AGE_LABELS = ("0", "1_4", "5_9", "10_14", "15_19", "20_24", "25_29", "30_34", "35_39",
              "40_44", "45_49", "50_54", "55_59", "60_64", "65_69", "70_74", "75_79",
              "80_84", "85p")
#: Lower bound of each group (years); the last group is open.
AGE_LOWER = np.array([0, 1, *range(5, 90, 5)], dtype=float)
#: Width of each group (years; 85+ taken as 15 for its midpoint only).
AGE_WIDTH = np.array([1, 4, *([5] * 16), 15], dtype=float)
SEXES = ("m", "f")
#: Census columns of the age × sex cells, in the model's (sex, age) order.
AGE_COLUMNS = tuple(f"{s}_{a}" for s in SEXES for a in AGE_LABELS)
WOMEN_15_49 = tuple(f"f_{a}" for a in AGE_LABELS[4:11])
WOMEN_15_64 = tuple(f"f_{a}" for a in AGE_LABELS[4:14])
MIGRANT_COLUMNS = ("migrants_same_county", "migrants_other_county_same_province",
                   "migrants_other_province")
_COUNTS = (*AGE_COLUMNS, "urban", "hukou_pop", *MIGRANT_COLUMNS)
_FLOATS = ("births", "deaths", "children_ever_born")
#: 2020 yearbook rows of economic development zones → the district they belong to
#: (crosswalk.md, "Method and evidence").
ZONE_PARENTS = {511071: 511002, 511771: 511703, 511971: 511902}


def age_array(table: pd.DataFrame) -> np.ndarray:
    """The (N, 2, 19) persons by unit, sex (m, f) and age group of a :func:`units` table."""
    return table[list(AGE_COLUMNS)].to_numpy(dtype=float).reshape(len(table), 2,
                                                                    len(AGE_LABELS))


def units(year: int) -> pd.DataFrame:
    """The census of ``year`` (2010 or 2020) on the 221 units of 2020, indexed by code.

    Columns: the 38 age × sex cells (``m_0`` … ``f_85p``), ``pop_total``, ``urban``,
    ``hukou_pop`` (2010), the three migrant stocks, ``births`` and ``deaths`` (2010: the
    year before the census), ``women15_64``, ``children_ever_born`` (per woman 15–64),
    and ``census_split_estimated``.
    """
    return (_units_2010() if year == 2010 else _units_2020()).copy()


@cache
def _units_2020() -> pd.DataFrame:
    c = sources.census_age_migration()
    c = c[(c["year"] == 2020) & (c["level"] == "county")].copy()
    c["code"] = c["code"].replace(ZONE_PARENTS)
    c["women15_64"] = c[list(WOMEN_15_64)].sum(axis=1)
    c["ceb_total"] = c["women15_64_mean_live_births"] * c["women15_64"]
    counts = [*AGE_COLUMNS, "urban", *MIGRANT_COLUMNS, "women15_64", "ceb_total"]
    out = c.groupby("code")[counts].sum()
    return _finish(out, split=pd.Series(False, index=out.index), year=2020)


@cache
def _units_2010() -> pd.DataFrame:
    c = sources.census_age_migration()
    c = c[(c["year"] == 2010) & (c["level"] == "county")].set_index("code")
    c["births"] = c["birth_rate_permille"] * c["pop_total"] / 1000.0
    c["deaths"] = c["death_rate_permille"] * c["pop_total"] / 1000.0
    c["ceb_total"] = c["women15_64_mean_live_births"] * c[list(WOMEN_15_64)].sum(axis=1)
    crosswalk = sources.crosswalk().set_index("code_2010")
    unmatched = set(c.index) ^ set(crosswalk.index)
    if unmatched:
        raise ValueError(f"census 2010 codes not in crosswalk.md: {sorted(unmatched)}")
    group_of = crosswalk["cmp_group"]
    totals = c[[*_COUNTS, "births", "deaths", "ceb_total"]].groupby(group_of).sum()
    members = sources.counties().groupby("cmp_group")["code"].apply(sorted)
    weights = _units_2020()
    rows: dict[int, dict] = {}
    split: dict[int, bool] = {}
    for group, codes in members.items():
        total = totals.loc[group]
        if len(codes) == 1:
            rows[codes[0]] = total.to_dict()
            split[codes[0]] = False
            continue
        w = weights.loc[codes]
        cells = {col: _split(total[col], w[col].to_numpy()) for col in
                 (*AGE_COLUMNS, "urban", *MIGRANT_COLUMNS)}
        pop = sum(cells[col] for col in AGE_COLUMNS)
        cells["hukou_pop"] = _split(total["hukou_pop"], pop)
        women = sum(cells[col] for col in WOMEN_15_64)
        cells["births"] = total["births"] * pop / pop.sum()
        cells["deaths"] = total["deaths"] * pop / pop.sum()
        cells["ceb_total"] = total["ceb_total"] * women / women.sum()
        for k, code in enumerate(codes):
            rows[code] = {col: values[k] for col, values in cells.items()}
            split[code] = True
    out = pd.DataFrame.from_dict(rows, orient="index").sort_index()
    for col in _COUNTS:
        out[col] = out[col].round().astype(np.int64)
    out["women15_64"] = out[list(WOMEN_15_64)].sum(axis=1)
    return _finish(out, split=pd.Series(split).sort_index(), year=2010)


def _finish(out: pd.DataFrame, split: pd.Series, year: int) -> pd.DataFrame:
    out.index.name = "code"
    out["pop_total"] = out[list(AGE_COLUMNS)].sum(axis=1)
    out["children_ever_born"] = out.pop("ceb_total") / out["women15_64"]
    if year == 2020:
        for col in ("hukou_pop", "births", "deaths"):
            out[col] = np.nan
    out["census_split_estimated"] = split.reindex(out.index).to_numpy(dtype=bool)
    order = sources.counties()["code"].to_numpy()
    missing = sorted(set(order) - set(out.index))
    if missing:
        raise ValueError(f"census {year} has no row for units {missing}")
    return out.loc[order]


def _split(total: float, weights: np.ndarray) -> np.ndarray:
    """Whole persons summing to ``total``, in proportion to ``weights`` (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    if w.sum() <= 0:
        w = np.ones_like(w)
    share = float(total) * w / w.sum()
    base = np.floor(share)
    rest = round(float(total) - base.sum())
    if rest:
        base[np.argsort(-(share - base), kind="stable")[:rest]] += 1
    return base


@cache
def emigrants_2010() -> pd.Series:
    """People registered in each 2020 unit who lived in the rest of China in 2010 (persons).

    The census counts, per county, residents (P), residents registered in another
    county of the province (C) or another province (O), and the registered (hukou)
    population H wherever living. People registered in county i living elsewhere are
    E_i = H_i − (P_i − C_i − O_i) (negative values, one unit at −68, are 0). Those
    outside their province are, per province, its H − P + O; each county's E is
    scaled by its province's out-of-province share, and by the national ratio of
    people found living in another province (Σ of O over the 31 provinces) to the
    registered surplus (Σ of H − P + O): hukou counts run ahead of residents by 4.6 M
    nationally (people with a pending or double registration). People of Sichuan
    living in Chongqing, and of Chongqing in Sichuan, are counted too (the tables do
    not separate them); they are at most 0.95 M of Chongqing's and 1.13 M of
    Sichuan's residents registered in another province.
    """
    units_2010 = _units_2010()
    natives_here = (units_2010["pop_total"] - units_2010["migrants_other_county_same_province"]
                    - units_2010["migrants_other_province"])
    elsewhere = (units_2010["hukou_pop"] - natives_here).clip(lower=0)
    raw = sources.census_age_migration()
    provinces = raw[(raw["year"] == 2010) & (raw["level"] == "province")].set_index("code")
    surplus = provinces["hukou_pop"] - provinces["pop_total"] + provinces["migrants_other_province"]
    national = provinces["migrants_other_province"].sum() / surplus.sum()
    province_of = sources.counties().set_index("code")["province_en"]
    code = {"Sichuan": 510000, "Chongqing": 500000}
    out = pd.Series(0.0, index=units_2010.index)
    for name, pcode in code.items():
        members = province_of.index[province_of == name]
        share = surplus.loc[pcode] / elsewhere.loc[members].sum()
        out.loc[members] = elsewhere.loc[members] * share * national
    return out


@dataclass(frozen=True, eq=False)
class CensusData:
    """What the data say about the counties at the census year a run starts from.

    Arrays of length N (or (N, 2, 19) by sex and age group). Built by
    :meth:`sim.model.region.Region.census_data`; :func:`sim.model.core.initial.initial_state`
    turns it into the first state.

    Attributes:
        year: the census year (2010 or 2020).
        ages: residents by sex and age group.
        urban: urban residents.
        gdp: GDP of the census year (bn yuan).
        primary_va_share: primary sector's share of value added.
        primary_pop_share: primary sector's share of the employed.
        edu_years: mean years of schooling.
        area_km2: land area.
        province: 0 Sichuan, 1 Chongqing.
        registered_other_county: residents registered in another county of the province.
        registered_other_province: residents registered in another province.
        emigrants_2010: people registered in the county living in the rest of China, 2010.
        ages_2010: residents by sex and age group in 2010 (for the vital rates' levels).
        births_2010: births in the year before the 2010 census.
        deaths_2010: deaths in the year before the 2010 census.
        male_share_at_birth: share of boys among births.
        economy: investment rates, capital weights, fiscal gaps and built-up land
            (:class:`sim.model.economy.EconomyData`).
    """

    year: int
    ages: np.ndarray
    urban: np.ndarray
    gdp: np.ndarray
    primary_va_share: np.ndarray
    primary_pop_share: np.ndarray
    edu_years: np.ndarray
    area_km2: np.ndarray
    province: np.ndarray
    registered_other_county: np.ndarray
    registered_other_province: np.ndarray
    emigrants_2010: np.ndarray
    ages_2010: np.ndarray
    births_2010: np.ndarray
    deaths_2010: np.ndarray
    male_share_at_birth: np.ndarray
    economy: EconomyData

    @property
    def population(self) -> np.ndarray:
        """Residents."""
        return self.ages.sum(axis=(1, 2))
