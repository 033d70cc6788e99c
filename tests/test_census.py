"""The census on 2020 units reproduces the counties and comparison groups exactly."""

from __future__ import annotations

import numpy as np
import pytest

from sim.base import sources
from sim.model import census


@pytest.fixture(scope="module")
def c2010():
    return census.units(2010)


@pytest.fixture(scope="module")
def c2020():
    return census.units(2020)


def test_2010_harmonised_units_equal_counties_where_given(c2010):
    counties = sources.counties().set_index("code")
    given = counties["pop_2010"].notna()
    assert given.sum() == 210
    for ours, theirs in (("pop_total", "pop_2010"), ("urban", "urban_2010")):
        diff = c2010.loc[given, ours] - counties.loc[given, theirs]
        assert (diff == 0).all(), diff[diff != 0]
    assert c2010["census_split_estimated"].sum() == 11
    assert not c2010.loc[given, "census_split_estimated"].any()


def test_2010_group_and_province_totals_are_exact(c2010):
    counties = sources.counties().set_index("code")
    groups = sources.comparison_groups().set_index("cmp_group")
    by_group = c2010.groupby(counties["cmp_group"])[["pop_total", "urban"]].sum()
    assert (by_group["pop_total"] == groups["pop_2010"].loc[by_group.index]).all()
    assert (by_group["urban"] == groups["urban_2010"].loc[by_group.index]).all()
    raw = sources.census_age_migration()
    provinces = raw[(raw["year"] == 2010) & (raw["level"] == "province")].set_index("code")
    sums = c2010.groupby(counties["province_en"])[
        [*census.AGE_COLUMNS, "hukou_pop", *census.MIGRANT_COLUMNS]].sum()
    for name, code, total in (("Sichuan", 510000, 80_417_528), ("Chongqing", 500000,
                                                                 28_846_170)):
        assert sums.loc[name, list(census.AGE_COLUMNS)].sum() == total
        row = provinces.loc[code]
        for col in sums.columns:
            assert sums.loc[name, col] == row[col], (name, col)


def test_2020_units_equal_counties(c2020):
    counties = sources.counties().set_index("code")
    assert list(c2020.index) == list(counties.index)
    for ours, theirs in (("pop_total", "pop_2020"), ("urban", "urban_2020"),
                         ("migrants_other_county_same_province", "inmig_other_county_2020"),
                         ("migrants_other_province", "inmig_other_province_2020")):
        assert (c2020[ours] == counties[theirs]).all(), ours


def test_age_array_holds_every_person(c2010, c2020):
    for table in (c2010, c2020):
        ages = census.age_array(table)
        assert ages.shape == (221, 2, 19)
        np.testing.assert_array_equal(ages.sum(axis=(1, 2)), table["pop_total"].to_numpy())
    # The 65+ share of 2020 agrees with counties.csv to its rounding (two units
    # of counties.csv average rounded shares of their zone rows: 0.01 pp off).
    ages = census.age_array(c2020)
    share = 100 * ages[:, :, 14:].sum(axis=(1, 2)) / ages.sum(axis=(1, 2))
    given = sources.counties()["age65_share_2020"].to_numpy()
    assert np.abs(share - given).max() <= 0.0101
