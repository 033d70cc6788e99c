"""The simulated region: its counties, their initial state, and what was imputed.

A :class:`Region` is immutable and cached: the county table plus read-only arrays
in a fixed order (the order of ``counties.csv``), which every other part of the
model uses as its county index. Initial values come from the census year at or
before the start year (2010 or 2020). Where the data lack a value the loader
imputes it and says so in a ``*_imputed`` column of :attr:`Region.table`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np
import pandas as pd

from sim.base import sources
from sim.base.errors import InputError
from sim.model import census, economy
from sim.model.census import CensusData

REGIONS: dict[str, str] = {
    "ccec": "Chengdu–Chongqing Economic Circle (2021 Outline; Kaizhou and Yunyang, "
    "partly inside, are included): 140 units",
    "sichuan_chongqing": "all 221 county-level units of Sichuan and Chongqing",
}
#: The simulated population system: every county of Sichuan and Chongqing. A run's region
#: is what its levers select from and its tables report; migration, births and deaths
#: are simulated for the whole system, so the exchange with the rest of China does not
#: depend on the region (docs/model.md §1).
SYSTEM = "sichuan_chongqing"
CENSUS_YEARS = (2010, 2020)
FIRST_YEAR, LAST_YEAR = 2010, 2035

#: Central districts whose share of population is reported as ``core_share``:
#: Chengdu's five historic central districts and Chongqing's nine central
#: districts (中心城区) as listed in the 2021 CCEC Outline (ccec_scope_sources.md).
CORE_CODES: tuple[int, ...] = (
    510104, 510105, 510106, 510107, 510108,  # 锦江 青羊 金牛 武侯 成华
    500103, 500104, 500105, 500106, 500107, 500108, 500109, 500112, 500113,
)
#: Counties where the region meets the rest of China (ROC): the districts of the
#: two hub airports, Chengdu Shuangliu (双流区) and Chongqing Jiangbei (渝北区).
GATEWAY_CODES: tuple[int, ...] = (510116, 500112)


@dataclass(frozen=True, eq=False)
class Region:
    """Counties of one region and their initial state at a census year.

    Attributes:
        name: region key, one of :data:`REGIONS`.
        census_year: year of the data the initial state comes from (2010 or 2020).
        table: one row per county (columns of ``counties.csv`` plus the initial
            state and ``*_imputed`` flags), in the model's county order.
        full_index: position of each county in the full 221-unit table, which
            the infrastructure network is built on.
    """

    name: str
    census_year: int
    table: pd.DataFrame
    full_index: np.ndarray

    @property
    def n(self) -> int:
        """Number of counties."""
        return len(self.table)

    def column(self, name: str) -> np.ndarray:
        """Return a table column as a read-only array (cached: runs read it often)."""
        cached = self._columns.get(name)
        if cached is None:
            cached = self.table[name].to_numpy().copy()
            cached.flags.writeable = False
            self._columns[name] = cached
        return cached

    @cached_property
    def _columns(self) -> dict[str, np.ndarray]:
        return {}

    @property
    def codes(self) -> np.ndarray:
        """Administrative codes, in county order."""
        return self.column("code")

    @cached_property
    def province_index(self) -> np.ndarray:
        """0 for Sichuan, 1 for Chongqing."""
        index = (self.table["province_en"] == "Chongqing").to_numpy(dtype=np.int64)
        index.flags.writeable = False
        return index

    @cached_property
    def _census_data(self) -> CensusData:
        return self._build_census_data()

    def census_data(self) -> CensusData:
        """What the census and county data say at the census year (cached; see below)."""
        return self._census_data

    def _build_census_data(self) -> CensusData:
        """Build :meth:`census_data`, in county order.

        Residents by sex and age, registration stocks and the 2010 vital events come
        from ``census_age_migration.csv`` on 2020 units (:mod:`sim.model.census`);
        GDP, sector shares, schooling and area from this region's table.
        """
        codes = self.codes
        now = census.units(self.census_year).loc[codes]
        then = census.units(2010).loc[codes]
        ages = census.age_array(now)
        newborn = ages[:, :, 0]
        male_share = np.empty(self.n)
        for prov in np.unique(self.province_index):
            rows = self.province_index == prov
            male_share[rows] = newborn[rows, 0].sum() / newborn[rows].sum()
        return CensusData(
            year=self.census_year, ages=ages, urban=now["urban"].to_numpy(dtype=float),
            gdp=self.column("gdp_bn_yuan"), primary_va_share=self.column("primary_va_share"),
            primary_pop_share=self.column("primary_pop_share"),
            edu_years=self.column("edu_years"), area_km2=self.column("area_km2"),
            province=self.province_index,
            registered_other_county=now["migrants_other_county_same_province"].to_numpy(
                dtype=float),
            registered_other_province=now["migrants_other_province"].to_numpy(dtype=float),
            emigrants_2010=census.emigrants_2010().loc[codes].to_numpy(),
            ages_2010=census.age_array(then), births_2010=then["births"].to_numpy(),
            deaths_2010=then["deaths"].to_numpy(), male_share_at_birth=male_share,
            economy=economy.economy_data(self.table, self.census_year))

    def index_of(self, code: int) -> int:
        """Return the county index of an administrative code."""
        hits = np.flatnonzero(self.codes == code)
        if len(hits) == 0:
            raise InputError(f"county code {code} is not in region '{self.name}'")
        return int(hits[0])


def census_year_for(start_year: int) -> int:
    """Return the census year whose data initialise a run starting in ``start_year``."""
    if not FIRST_YEAR <= start_year <= LAST_YEAR:
        raise InputError(
            f"start year {start_year} is outside {FIRST_YEAR}–{LAST_YEAR}"
        )
    return max(y for y in CENSUS_YEARS if y <= start_year)


@cache
def load_region(name: str = "ccec", census_year: int = 2020) -> Region:
    """Build the region ``name`` with its initial state from ``census_year`` data.

    Args:
        name: ``"ccec"`` (the default) or ``"sichuan_chongqing"``.
        census_year: 2010 or 2020.

    Returns:
        The cached, immutable :class:`Region`.
    """
    if name not in REGIONS:
        raise InputError(
            f"unknown region '{name}'; allowed: " + ", ".join(sorted(REGIONS))
        )
    if census_year not in CENSUS_YEARS:
        raise InputError(f"census year {census_year} has no data; allowed: 2010, 2020")
    full = _initial_state(sources.counties(), census_year)
    full["full_index"] = np.arange(len(full))
    if name == "ccec":
        table = full[full["in_ccec"].isin(["full", "partial"])]
    else:
        table = full
    table = table.reset_index(drop=True)
    full_index = table.pop("full_index").to_numpy()
    full_index.flags.writeable = False
    return Region(name=name, census_year=census_year, table=table, full_index=full_index)


def _initial_state(raw: pd.DataFrame, year: int) -> pd.DataFrame:
    """Add the initial-state columns (and imputation flags) for a census year."""
    t = raw.copy()
    t["is_pilot"] = t["pilot_2020"].astype(bool)
    t["is_core"] = t["code"].isin(CORE_CODES)
    t["is_gateway"] = t["code"].isin(GATEWAY_CODES)

    pop, urban = _population(t, year)
    t["population"] = pop
    t["urban_population"] = urban
    t["population_imputed"] = t[f"pop_{year}"].isna()

    gdp_col = f"gdp_{year}_10k_yuan"
    gdp_10k, t["gdp_imputed"] = economy.fill_gdp(t, year, pop)
    t["gdp_bn_yuan"] = gdp_10k / 1e5

    # Primary-sector share of value added; units with no primary sector report none.
    primary = t[f"va_primary_{year}_10k_yuan"] / t[gdp_col]
    prefecture_share = primary.groupby(t["prefecture_code"]).transform("mean")
    t["primary_va_share"] = primary.fillna(
        prefecture_share.where(t["gdp_imputed"], 0.0)
    ).clip(0.0, 0.95)

    rate_cols = {
        "birth_rate": "birth_rate_2010_permille",
        "death_rate": "death_rate_2010_permille",
        "primary_pop_share": f"emp_primary_share_{year}",
        "edu_years": f"edu_years_{year}",
    }
    t["rates_imputed"] = t[list(rate_cols.values())].isna().any(axis=1)
    for new, col in rate_cols.items():
        t[new] = _fill_by_prefecture(t, col, pop)
    t["birth_rate"] /= 1000.0
    t["death_rate"] /= 1000.0
    t["primary_pop_share"] = (t["primary_pop_share"] / 100.0).clip(0.0, 0.95)
    return t


def _population(t: pd.DataFrame, year: int) -> tuple[pd.Series, pd.Series]:
    """Census population and urban population, splitting 2010 group totals.

    In 2010, the 11 members of multi-unit comparison groups have values only at
    group level; each member gets the group total times its 2020 share.
    """
    pop = t[f"pop_{year}"].astype(float)
    urban = t[f"urban_{year}"].astype(float)
    if not pop.isna().any():
        return pop, urban
    groups = sources.comparison_groups().set_index("cmp_group")
    missing = pop.isna()
    share_2020 = t["pop_2020"] / t.groupby("cmp_group")["pop_2020"].transform("sum")
    urban_share_2020 = t["urban_2020"] / t.groupby("cmp_group")["urban_2020"].transform("sum")
    group_pop = t["cmp_group"].map(groups[f"pop_{year}"])
    group_urban = t["cmp_group"].map(groups[f"urban_{year}"])
    pop = pop.where(~missing, group_pop * share_2020)
    urban = urban.where(~missing, group_urban * urban_share_2020)
    return pop, urban


def _fill_by_prefecture(t: pd.DataFrame, col: str, weights: pd.Series) -> pd.Series:
    """Fill gaps in ``col`` with the population-weighted prefecture mean."""
    values = t[col].astype(float)
    has = values.notna()
    wsum = (values * weights)[has].groupby(t["prefecture_code"][has]).sum()
    w = weights[has].groupby(t["prefecture_code"][has]).sum()
    return values.fillna(t["prefecture_code"].map(wsum / w))
