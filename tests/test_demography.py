"""Population accounts: cohorts, ageing, the exchange with ROC and registration stocks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from small_region import make_constants, make_state, one_age

import sim
from sim.base import sources
from sim.model.core import Policy, advance, build_kernels, cohorts
from sim.model.core.initial import mortality_level
from sim.model.parameters import Parameters, default_parameters


@pytest.fixture(scope="module")
def decade():
    """The validation run, 2010 census → 2020, deterministic, with ages."""
    scenario = sim.Scenario(name="decade", region="sichuan_chongqing", start_year=2010,
                            end_year=2020)
    return sim.run(scenario, deterministic=True, record_ages=True)


@pytest.fixture(scope="module")
def long_run():
    return sim.run(sim.Scenario(name="long", start_year=2020, end_year=2035),
                   deterministic=True)


def test_ageing_moves_everyone_a_year_and_keeps_cohorts():
    pop = np.arange(1, 2 * 86 + 1, dtype=float).reshape(1, 2, 86)
    aged = cohorts.age_one_year(pop)
    assert aged.sum() == pytest.approx(pop.sum(), rel=1e-15)
    assert aged[0, 0, 0] == 0.0  # everyone aged 0 turns 1
    np.testing.assert_array_equal(aged[0, :, 1:85], pop[0, :, :84])
    np.testing.assert_array_equal(aged[0, :, 85], pop[0, :, 84] + pop[0, :, 85])
    # Ten years on, a census group is exactly the group ten years older (no deaths).
    groups = np.zeros((1, 2, 19))
    groups[0, :, 7] = 1000.0  # 30–34
    ages = cohorts.graduate(groups)
    for _ in range(10):
        ages = cohorts.age_one_year(ages)
    np.testing.assert_allclose(cohorts.to_groups(ages)[0, :, 9], 1000.0)  # 40–44


def test_graduation_keeps_the_census_groups():
    from sim.model import census

    groups = census.age_array(census.units(2020))
    single = cohorts.graduate(groups)
    assert single.shape == (221, 2, 86) and (single >= 0).all()
    np.testing.assert_allclose(cohorts.to_groups(single), groups, rtol=1e-10, atol=1e-6)


def test_standard_schedules_are_plausible():
    rates = cohorts.standard_death_rates()
    assert (np.diff(rates[:, 10:], axis=1) > 0).all()  # death rates rise with age from 10
    assert (rates[0, 4:] > rates[1, 4:]).all()  # men die younger
    assert cohorts.fertility_shape().sum() == pytest.approx(1.0)
    profile = cohorts.migration_profile()
    assert 21 <= profile.argmax() <= 25  # young adults move most (peak ≈ 23.5)
    assert profile[0] > profile[12]  # children move with their parents
    assert 31 <= cohorts.migration_profile(10).argmax() <= 35  # returns are older


def test_mortality_levels_shrink_to_the_province():
    ages = one_age(np.array([1e5, 1e5, 1e5]), age=75)
    expected = ages[:, :, 75] @ cohorts.standard_death_rates()[:, 75]
    deaths = expected * np.array([0.5, 1.0, 2.0])
    province = np.array([0, 0, 0])
    own = mortality_level(ages, deaths, province, 0.0)
    np.testing.assert_allclose(own, [0.5, 1.0, 2.0])
    pooled = mortality_level(ages, deaths, province, 1e12)
    np.testing.assert_allclose(pooled, deaths.sum() / expected.sum(), rtol=1e-6)


def test_a_countys_roc_returns_scale_with_its_emigrant_stock():
    tt = np.array([[0.5, 1.0, 5.0], [1.0, 0.5, 4.0], [5.0, 4.0, 0.0]])
    params = Parameters(roc_return_rate=0.07)
    kernels = build_kernels(tt, params)
    const = make_constants(2)
    returns = []
    for stock in (1000.0, 2000.0):
        state = make_state(one_age(np.array([1e4, 1e4])), np.array([5e3, 5e3]),
                           np.array([1.0, 1.0]), emigrants=np.array([stock, 500.0]))
        _, flows = advance(state, const, Policy(2), kernels, tt, params, rng=None)
        returns.append(flows.roc_returns)
    np.testing.assert_allclose(returns[0], [70.0, 35.0])
    np.testing.assert_allclose(returns[1], [140.0, 35.0])


def test_returns_in_a_run_are_the_return_rate_of_last_years_stock(decade):
    cy = decade.county_year.sort_values(["code", "year"])
    previous = cy.groupby("code")["emigrants"].shift()
    later = cy["year"] > 2010
    rate = default_parameters().roc_return_rate
    np.testing.assert_allclose(cy.loc[later, "roc_returns"], rate * previous[later],
                               rtol=1e-12)


def test_ageing_raises_crude_death_rates_from_2020_to_2035(long_run):
    ry = long_run.region_year.set_index("year")
    assert ry.loc[2035, "share_aged_65_plus"] > ry.loc[2021, "share_aged_65_plus"] + 0.05
    assert ry.loc[2035, "crude_death_rate"] > 1.2 * ry.loc[2021, "crude_death_rate"]
    # Death rates at each age fall (mortality_decline > 0), so the rise is ageing.
    assert default_parameters().mortality_decline > 0
    assert ry.loc[2035, "crude_birth_rate"] < ry.loc[2021, "crude_birth_rate"]


def test_the_region_only_selects_and_reports(long_run):
    """A ccec run is the two-province run seen through the ccec counties."""
    both = sim.run(sim.Scenario(name="long", region="sichuan_chongqing", start_year=2020,
                                end_year=2035), deterministic=True)
    ccec = long_run.county_year.drop(columns="run_id").reset_index(drop=True)
    inside = both.county_year[both.county_year["code"].isin(ccec["code"])]
    inside = inside.drop(columns="run_id").reset_index(drop=True)
    numeric = ccec.select_dtypes("number").columns
    pd.testing.assert_frame_equal(ccec[numeric], inside[numeric])
    # The ROC exchange of the same counties is the same; the ccec region also trades
    # people with the rest of the two provinces.
    assert (both.region_year["outside_net_migration"].iloc[1:].abs() < 1e-3).all()
    assert long_run.region_year["outside_net_migration"].iloc[1:].abs().min() > 1e3


def test_the_start_row_is_the_census_by_age_and_registration():
    results = sim.run(sim.Scenario(name="census", start_year=2020, end_year=2021),
                      deterministic=True, record_ages=True)
    first = results.county_year.query("year == 2020").set_index("code")
    counties = sources.counties().set_index("code").loc[first.index]
    np.testing.assert_allclose(first["population"], counties["pop_2020"], rtol=1e-12)
    np.testing.assert_allclose(first["registered_other_county"],
                                  counties["inmig_other_county_2020"])
    np.testing.assert_allclose(100 * first["share_aged_65_plus"], counties["age65_share_2020"],
                               atol=0.0101)
    ages = results.age_year
    by_county = ages.groupby(["year", "code"], observed=True)["population"].sum()
    table = results.county_year.set_index(["year", "code"])["population"]
    np.testing.assert_allclose(by_county.loc[table.index], table, rtol=1e-12)


def test_the_decade_exchange_with_roc_is_of_the_order_of_the_census_stocks(decade):
    """The census counts 4.78 M residents registered in another province in 2020."""
    ry = decade.region_year.set_index("year")
    census_other_province = sources.counties()["inmig_other_province_2020"].sum()
    assert census_other_province == pytest.approx(4.78e6, rel=0.01)
    assert 0.5 < ry.loc[2020, "registered_other_province"] / census_other_province < 2.0
    net = (ry["roc_returns"] + ry["roc_newcomers"] - ry["roc_out_migration"]).iloc[1:].sum()
    assert abs(net) < census_other_province
    assert ry["roc_newcomers"].iloc[1:].sum() < 2 * census_other_province
    # No pile-up at the airport gateway: Yubei grows less than twice over the decade.
    cy = decade.county_year.set_index(["code", "year"])["population"]
    assert cy.loc[(500112, 2020)] / cy.loc[(500112, 2010)] < 2.0
