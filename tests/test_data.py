"""The packaged data: census totals, pilots, region sizes, imputation flags."""

from __future__ import annotations

import numpy as np

from sim.base import sources
from sim.model.region import load_region

SICHUAN_2020, CHONGQING_2020 = 83_674_866, 32_054_159
SICHUAN_2010, CHONGQING_2010 = 80_417_528, 28_846_170
PILOTS = {"合江县", "南部县", "邻水县", "开江县", "峨眉山市", "隆昌市",
          "游仙区", "船山区", "翠屏区"}


def test_2020_population_sums_to_the_census_totals():
    t = load_region("sichuan_chongqing", 2020).table
    by_province = t.groupby("province_en")["population"].sum()
    assert by_province["Sichuan"] == SICHUAN_2020
    assert by_province["Chongqing"] == CHONGQING_2020


def test_2010_population_with_split_groups_sums_to_the_census_totals():
    t = load_region("sichuan_chongqing", 2010).table
    by_province = t.groupby("province_en")["population"].sum()
    np.testing.assert_allclose(by_province["Sichuan"], SICHUAN_2010, rtol=1e-9)
    np.testing.assert_allclose(by_province["Chongqing"], CHONGQING_2010, rtol=1e-9)
    assert t["population_imputed"].sum() == 11
    # Each group's members add up to the group's 2010 total.
    groups = sources.comparison_groups().set_index("cmp_group")
    sums = t.groupby("cmp_group")["population"].sum()
    np.testing.assert_allclose(sums, groups.loc[sums.index, "pop_2010"], rtol=1e-9)


def test_the_nine_pilots_are_present_with_coordinates():
    t = load_region("ccec", 2020).table
    pilots = t[t["is_pilot"]]
    assert set(pilots["name_zh"]) == PILOTS
    assert pilots[["lon", "lat"]].notna().all().all()
    assert pilots["lon"].between(97, 110).all() and pilots["lat"].between(26, 34).all()


def test_region_sizes():
    assert load_region("ccec", 2020).n == 140
    assert load_region("sichuan_chongqing", 2020).n == 221


def test_missing_2010_gdp_is_imputed_and_flagged():
    t = load_region("sichuan_chongqing", 2010).table
    assert t["gdp_imputed"].sum() == 15
    assert (t["gdp_bn_yuan"] > 0).all()
    assert not load_region("sichuan_chongqing", 2020).table["gdp_imputed"].any()


def test_rail_stations_are_all_in_the_county_table():
    codes = set(sources.counties()["code"])
    assert set(sources.rail_lines()["county_code"]) <= codes
