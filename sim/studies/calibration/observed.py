"""What the validation run is compared with: census values per comparison group.

Units whose territory changed between the censuses (splits, town transfers)
can only be compared together; ``cmp_groups.csv`` holds their 2010 and 2020
totals. Every comparison is therefore made on groups: model results per unit
are summed to groups with :meth:`Targets.aggregate`.

GDP is compared per group too, but only for groups none of whose members had
its 2010 GDP imputed (``gdp_comparable``): as *shares* of the region's GDP in
2019 (the year before the 2020 shock), and as the region's real growth
2010→2019, observed GDP of 2019 deflated by its province's GDP deflator
(:func:`sim.model.economy.deflator`). The economy's structure is compared too:
2020 primary shares of employment (census) and 2019 primary shares of value
added, and 2017 fixed-asset investment over GDP relative to the region's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from sim.base import sources
from sim.base.errors import InputError
from sim.model import census, economy
from sim.model.region import REGIONS, load_region

#: Group columns, all per comparison group (persons, bn yuan).
GROUP_COLUMNS = ("name", "name_en", "province", "in_ccec", "n_units", "pop_2010", "pop_2020",
                 "urban_2010", "urban_2020", "gdp_2010", "gdp_2020", "real_gdp_2020",
                 "gdp_comparable",
                 "registered_other_county_2020", "registered_other_province_2020",
                 "aged_0_14_2020", "aged_65_plus_2020", "gdp_2019", "real_gdp_2019",
                 "farm_employed_2020", "primary_va_2019", "fai_2017", "gdp_2017", "lon", "lat")


@dataclass(frozen=True, eq=False)
class Targets:
    """Observed (or synthetic) values per comparison group of one region.

    Attributes:
        region: region key (``sichuan_chongqing`` or ``ccec``).
        groups: one row per comparison group, indexed by ``cmp_group`` (sorted),
            with the columns of :data:`GROUP_COLUMNS`; ``lon``/``lat`` are the
            population-weighted mean seat position, for maps.
        unit_group: for each unit of the region (in model order), the row of its
            group in ``groups``.
        source: where the 2020 values come from (``census`` or ``synthetic``).
        province: for each unit, 0 (Sichuan) or 1 (Chongqing).
        pyramids: (2, 2, 19) residents of 2020 by province, sex and census age group.
    """

    region: str
    groups: pd.DataFrame
    unit_group: np.ndarray
    source: str = "census"
    province: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    pyramids: np.ndarray = field(default_factory=lambda: np.zeros((2, 2, 19)))

    def pyramids_of(self, age_groups: np.ndarray) -> np.ndarray:
        """(2, 2, 19) residents by province, sex and age group of (N, 2, 19) unit values."""
        return np.stack([age_groups[self.province == k].sum(axis=0) for k in (0, 1)])

    @property
    def n(self) -> int:
        """Number of comparison groups."""
        return len(self.groups)

    def aggregate(self, unit_values: np.ndarray) -> np.ndarray:
        """Sum values per unit (model order) to values per group."""
        values = np.asarray(unit_values, dtype=float)
        return np.bincount(self.unit_group, weights=values, minlength=self.n)

    def column(self, name: str) -> np.ndarray:
        """A group column as a float (or bool) array."""
        return self.groups[name].to_numpy()

    def with_2020(self, end: Any, source: str = "synthetic") -> Targets:
        """Return a copy whose 2020 values are a run's end state (per group): a synthetic twin.

        Args:
            end: the run's :class:`~sim.studies.calibration.validation_run.EndState`.
            source: how the copy names its 2020 values.
        """
        groups = self.groups.copy()
        for column, values in end_values(end).items():
            groups[column] = self.aggregate(values)
        return replace(self, groups=groups, source=source,
                       pyramids=self.pyramids_of(end.age_groups))


def census_targets(region: str = "sichuan_chongqing") -> Targets:
    """The 2010 and 2020 census values per comparison group of ``region``.

    Raises:
        InputError: unknown region.
    """
    if region not in REGIONS:
        raise InputError(f"unknown region '{region}'; allowed: " + ", ".join(sorted(REGIONS)))
    units = load_region(region, 2010).table
    counties = sources.counties().set_index("code").loc[units["code"]]
    cmp = sources.comparison_groups().set_index("cmp_group")
    codes = np.sort(units["cmp_group"].unique())
    position = {int(c): i for i, c in enumerate(codes)}
    unit_group = units["cmp_group"].map(position).to_numpy(dtype=np.int64)
    # Every member of every group must be in the region: no group straddles it.
    members = sources.counties().groupby("cmp_group")["code"].size().loc[codes]
    if not np.array_equal(members.to_numpy(), np.bincount(unit_group)):
        raise InputError(f"region '{region}' cuts through a comparison group")

    ages_2020 = census.age_array(census.units(2020).loc[units["code"]])
    young = ages_2020[:, :, :4].sum(axis=(1, 2))
    old = ages_2020[:, :, 14:].sum(axis=(1, 2))
    gdp10 = counties["gdp_2010_10k_yuan"].to_numpy() / 1e5
    gdp19 = counties["gdp_2019_10k_yuan"].to_numpy() / 1e5
    gdp20 = counties["gdp_2020_10k_yuan"].to_numpy() / 1e5
    deflator_2019, deflator_2020 = (counties["province_en"].map(
        {p: economy.deflator(p, year) for p in counties["province_en"].unique()}).to_numpy()
        for year in (2019, 2020))
    gdp17 = np.nan_to_num(gdp10 * (gdp19 / gdp10) ** (7 / 9))  # log-linear, nominal
    pop = units["pop_2020"].to_numpy(dtype=float)
    frame = pd.DataFrame({
        "g": unit_group, "gdp_2010": np.nan_to_num(gdp10), "gdp_2020": gdp20,
        "real_2020": gdp20 / deflator_2020, "missing": np.isnan(gdp10),
        "wlon": units["lon"] * pop, "wlat": units["lat"] * pop,
        "pop": pop, "other_county": units["inmig_other_county_2020"].to_numpy(dtype=float),
        "other_province": units["inmig_other_province_2020"].to_numpy(dtype=float),
        "young": young, "old": old, "gdp_2019": gdp19, "real_2019": gdp19 / deflator_2019,
        "farm_employed": counties["emp_primary_share_2020"].to_numpy() / 100.0 * pop,
        # Yuzhong (渝中区) reports no primary value added: an all-urban district.
        "va_primary_2019": counties["va_primary_2019_10k_yuan"].fillna(0).to_numpy() / 1e5,
        "fai_2017": counties["fixed_investment_2017_100m_yuan"].to_numpy() / 10.0,
        "gdp_2017": gdp17,
        "in_ccec": units["in_ccec"].isin(["full", "partial"]).to_numpy(),
        "province": units["province_en"].to_numpy(),
        "name_en": units["name_en"].to_numpy(),
    }).groupby("g")
    sums = frame[["gdp_2010", "gdp_2020", "real_2020", "missing", "wlon", "wlat", "pop",
                  "other_county", "other_province", "young", "old", "gdp_2019", "real_2019",
                  "farm_employed", "va_primary_2019", "fai_2017", "gdp_2017"]].sum()
    groups = pd.DataFrame({
        "name": cmp.loc[codes, "member_names"].to_numpy(),
        "name_en": frame["name_en"].agg("; ".join).to_numpy(),
        "province": frame["province"].first().to_numpy(),
        "in_ccec": frame["in_ccec"].all().to_numpy(),
        "n_units": np.bincount(unit_group),
        "pop_2010": cmp.loc[codes, "pop_2010"].to_numpy(dtype=float),
        "pop_2020": cmp.loc[codes, "pop_2020"].to_numpy(dtype=float),
        "urban_2010": cmp.loc[codes, "urban_2010"].to_numpy(dtype=float),
        "urban_2020": cmp.loc[codes, "urban_2020"].to_numpy(dtype=float),
        "gdp_2010": np.where(sums["missing"] > 0, np.nan, sums["gdp_2010"]),
        "gdp_2020": sums["gdp_2020"].to_numpy(),
        "real_gdp_2020": sums["real_2020"].to_numpy(),
        "gdp_comparable": (sums["missing"] == 0).to_numpy(),
        "registered_other_county_2020": sums["other_county"].to_numpy(),
        "registered_other_province_2020": sums["other_province"].to_numpy(),
        "aged_0_14_2020": sums["young"].to_numpy(),
        "aged_65_plus_2020": sums["old"].to_numpy(),
        "gdp_2019": sums["gdp_2019"].to_numpy(),
        "real_gdp_2019": sums["real_2019"].to_numpy(),
        "farm_employed_2020": sums["farm_employed"].to_numpy(),
        "primary_va_2019": sums["va_primary_2019"].to_numpy(),
        "fai_2017": sums["fai_2017"].to_numpy(),
        "gdp_2017": np.where(sums["missing"] > 0, np.nan, sums["gdp_2017"]),
        "lon": (sums["wlon"] / sums["pop"]).to_numpy(),
        "lat": (sums["wlat"] / sums["pop"]).to_numpy(),
    }, index=pd.Index(codes, name="cmp_group"))
    province = (units["province_en"] == "Chongqing").to_numpy(dtype=int)
    census_2020 = census.age_array(census.units(2020).loc[units["code"]])
    pyramids = np.stack([census_2020[province == k].sum(axis=0) for k in (0, 1)])
    return Targets(region=region, groups=groups[list(GROUP_COLUMNS)], unit_group=unit_group,
                   province=province, pyramids=pyramids)


def end_values(end: Any) -> dict[str, np.ndarray]:
    """A run's end-year values per unit, by the group column they are compared with."""
    return {"pop_2020": end.population, "urban_2020": end.urban, "gdp_2020": end.gdp,
            "real_gdp_2020": end.gdp,
            "registered_other_county_2020": end.registered_other_county,
            "registered_other_province_2020": end.registered_other_province,
            "aged_0_14_2020": end.aged_0_14, "aged_65_plus_2020": end.aged_65_plus,
            "gdp_2019": end.gdp_2019, "real_gdp_2019": end.gdp_2019,
            "farm_employed_2020": end.farm_employment * end.population,
            "primary_va_2019": end.primary_va_2019 * end.gdp_2019,
            "fai_2017": end.investment_2017, "gdp_2017": end.gdp_2017}
