"""The economy block: its data (sim/model/economy.py) and each mechanism's direction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from small_region import make_constants, make_state, one_age

from sim.base import sources
from sim.model import census, economy
from sim.model.core import Policy, advance, build_kernels, investment, production
from sim.model.core.initial import initial_capital
from sim.model.parameters import Parameters
from sim.model.region import load_region

TABLE = sources.counties()
TT = np.array([[0.5, 1.0, 5.0],
               [1.0, 0.5, 4.0],
               [5.0, 4.0, 0.0]])


def test_deflators_follow_from_nominal_gdp_and_the_real_index():
    # docs/economy.md and sim/data/README.md quote these.
    assert economy.deflator("Sichuan", 2019) == pytest.approx(1.2038, abs=5e-5)
    assert economy.deflator("Chongqing", 2019) == pytest.approx(1.1744, abs=5e-5)
    assert economy.deflator("Sichuan", 2020) == pytest.approx(1.2132, abs=5e-5)
    assert economy.real_index("Chongqing", 2010, 2019) == pytest.approx(2.4921, abs=5e-4)
    assert economy.gfcf_share("Sichuan", 2019) == economy.gfcf_share("Sichuan", 2017)


def test_capital_weights_average_one_in_each_province_and_spread_like_investment():
    data = economy.economy_data(TABLE, 2010)
    gdp = data.gdp_path[:, 0]
    for province in ("Sichuan", "Chongqing"):
        m = (TABLE["province_en"] == province).to_numpy()
        assert np.average(data.capital_weight[m], weights=gdp[m]) == pytest.approx(1.0)
    # A county investing more of its GDP has more capital per unit of output.
    fai = TABLE["fixed_investment_2017_100m_yuan"] * 1e4 / TABLE["gdp_2019_10k_yuan"]
    rho = pd.Series(data.capital_weight).corr(fai.reset_index(drop=True), method="spearman")
    assert rho > 0.5
    assert 0.5 < np.percentile(data.capital_weight, 10) < 1.0 < np.percentile(
        data.capital_weight, 90) < 3.0


def test_provincial_investment_equals_the_gfcf_share_in_the_fai_years():
    data = economy.economy_data(TABLE, 2010)
    rates, shares = {}, {}
    for k, year in ((0, 2010), (7, 2017)):
        for province in ("Sichuan", "Chongqing"):
            m = (TABLE["province_en"] == province).to_numpy()
            gdp = data.gdp_path[m, k]
            rates[province, year] = (data.investment_share_path[m, k] * gdp).sum() / gdp.sum()
            shares[province, year] = economy.gfcf_share(province, year)
    assert len(rates) == 4 and all(0.3 < s < 1.0 for s in shares.values())
    assert rates == pytest.approx(shares, rel=0.03)


def test_a_2020_start_carries_the_2010_capital_forward_by_perpetual_inventory():
    data = economy.economy_data(TABLE, 2020)
    kappa, delta = 2.4, 0.1
    k = kappa * data.capital_weight * data.gdp_path[:, 0]
    for t in range(10):  # 2010 … 2019
        k = (1 - delta) * k + data.investment_share_path[:, t] * data.gdp_path[:, t]
    np.testing.assert_allclose(initial_capital(data, 2020, kappa, delta), k)
    np.testing.assert_allclose(initial_capital(data, 2010, kappa, delta),
                               kappa * data.capital_weight * data.gdp_path[:, 0])
    # In 2020 prices: 2020's real GDP is the observed nominal one.
    np.testing.assert_allclose(data.gdp_path[:, -1], TABLE["gdp_2020_10k_yuan"] / 1e5)


def test_fiscal_gap_is_data_where_observed_and_falls_with_income_elsewhere():
    pop = pd.Series(census.units(2020).loc[TABLE["code"], "pop_total"].to_numpy(float),
                    index=TABLE.index)
    gap, observed = economy.fiscal_gap(TABLE, pop)
    raw = ((TABLE["fiscal_expenditure_2020_10k_yuan"] - TABLE["fiscal_revenue_2020_10k_yuan"])
           / TABLE["gdp_2020_10k_yuan"]).to_numpy()
    assert observed.sum() == 57
    np.testing.assert_allclose(gap[observed], np.clip(raw[observed], 0.0, 0.6))
    _, slope, n = economy.fiscal_gap_fit(TABLE, pop)
    assert slope < -1.0 and n == 53  # four of the 57 have no positive gap
    per_capita = (TABLE["gdp_2020_10k_yuan"] / pop).to_numpy()
    order = np.argsort(per_capita[~observed])
    assert (np.diff(gap[~observed][order]) <= 1e-12).all()


def test_builtup_area_passes_through_both_modis_years():
    a = TABLE["builtup_modis_2011_km2"].to_numpy()
    b = TABLE["builtup_modis_2021_km2"].to_numpy()
    both = ~np.isnan(a) & ~np.isnan(b)
    np.testing.assert_allclose(economy.builtup_area(TABLE, 2011)[both], a[both])
    np.testing.assert_allclose(economy.builtup_area(TABLE, 2021)[both], b[both])
    assert np.isnan(economy.builtup_area(TABLE, 2020)).sum() == 24


def test_the_census_state_reproduces_gdp_and_the_primary_share():
    import sim

    run = sim.run(sim.Scenario(name="t", region="sichuan_chongqing", start_year=2010,
                               end_year=2011), deterministic=True)
    first = run.county_year[run.county_year["year"] == 2010].set_index("code")
    region = load_region("sichuan_chongqing", 2010).table.set_index("code")
    np.testing.assert_allclose(first["gdp_bn_yuan"], region["gdp_bn_yuan"], rtol=1e-12)
    rural = first["rural_population"] / first["population"]
    farming = region["primary_pop_share"].where(rural > 1e-6, 0.0)
    np.testing.assert_allclose(first["primary_employment_share"], farming, atol=1e-12)
    np.testing.assert_allclose(first["primary_va_share"],
                               region["primary_va_share"].where(farming > 0, 0.0), atol=1e-12)


PARAMS = Parameters(agglomeration_elasticity=0.0, land_constraint_elasticity=0.0,
                    capital_share=0.4, labour_participation=1.0, migration_rate=0.0,
                    roc_newcomer_rate=0.0, roc_return_rate=0.0, fertility_trend=0.0,
                    tfp_growth=0.0, agri_tfp_growth=0.0, urbanisation_base_rate=0.0,
                    urbanisation_rate=0.0, knowledge_spillover=0.0)


def _farm_region(farm_share: float, offfarm: float = 0.0, fiscal_gap: float = 0.0):
    n = 2
    ages = one_age(np.array([1000.0, 1000.0]))
    state = make_state(ages, urban=np.array([400.0, 400.0]), gdp=np.array([1.0, 1.0]),
                       capital=np.array([2.0, 2.0]), tfp=np.array([0.01, 0.01]),
                       farm_share=np.full(n, farm_share), agri_tfp=np.full(n, 0.002))
    const = make_constants(n, fiscal_gap=np.full(n, fiscal_gap))
    params = PARAMS.replace(offfarm_work_share=offfarm)
    new, flows = advance(state, const, Policy(n), build_kernels(TT, params), TT, params,
                         rng=None)
    return new, flows


def test_labour_leaving_agriculture_raises_output():
    # The same residents, fewer of them farming: farm output falls less than the rest
    # of the economy gains (the productivity gap), so GDP rises.
    many, _ = _farm_region(0.9)
    few, _ = _farm_region(0.5)
    assert few.gdp_farm[0] < many.gdp_farm[0]
    assert few.gdp[0] > many.gdp[0] * 1.05
    # Part-time farming (ω) makes the move worth less.
    many_w, _ = _farm_region(0.9, offfarm=0.5)
    few_w, _ = _farm_region(0.5, offfarm=0.5)
    assert 1.0 < few_w.gdp[0] / many_w.gdp[0] < few.gdp[0] / many.gdp[0]


def test_urbanisation_lowers_the_farm_employment_share():
    f = np.array([0.9, 0.9])
    e_before = production.farm_employment_share(f, np.array([400.0, 400.0]),
                                                np.array([600.0, 600.0]))
    e_after = production.farm_employment_share(f, np.array([500.0, 400.0]),
                                               np.array([500.0, 600.0]))
    np.testing.assert_allclose(e_before, [0.54, 0.54])
    assert e_after[0] == pytest.approx(0.45) and e_after[1] == pytest.approx(0.54)


def test_farm_households_earn_agricultural_value_added():
    income, urban_income, rural_income = production.incomes(
        np.array([10.0]), np.array([1.0]), np.array([600.0]), np.array([400.0]),
        np.array([0.2]), 0.5, np.zeros(1))
    # 200 farmers earn 1 bn; the other 800 share 0.5 × 10 bn.
    other = 0.5 * 10e9 / 800
    assert urban_income[0] == pytest.approx(other)
    assert rural_income[0] == pytest.approx((1e9 + 200 * other) / 400)
    assert income[0] == pytest.approx((5e9 + 1e9) / 1000)


def test_a_larger_fiscal_gap_brings_more_investment():
    _, none = _farm_region(0.5, fiscal_gap=0.0)
    new, some = _farm_region(0.5, fiscal_gap=0.3)
    share = PARAMS.fiscal_investment_share
    np.testing.assert_allclose(some.investment_from_roc, share * 0.3 * new.gdp)
    np.testing.assert_allclose(some.investment_in - none.investment_in,
                               some.investment_from_roc)
    np.testing.assert_allclose(investment.fiscal_inflow(np.array([2.0]), np.array([0.1]), 0.5),
                               [0.1])


def test_land_from_modis_binds_where_the_satellite_sees_little_built_up_area():
    data = load_region("sichuan_chongqing", 2020).census_data()
    from sim.model.core import land

    params = Parameters()
    stock = land.initial_land(data.urban, data.area_km2, params.land_per_urban_resident_km2,
                              params.initial_land_slack, params.buildable_share,
                              data.economy.builtup_km2)
    room = land.room(stock, data.urban, params.land_per_urban_resident_km2)
    with_modis = ~np.isnan(data.economy.builtup_km2)
    assert (room[with_modis] < 1).sum() > 0.4 * with_modis.sum()
    assert (room[~with_modis] == 1).all()
    # More land where it is short raises output (h, eq. 3b); where not, it does nothing.
    short = np.flatnonzero(room < 0.8)[:1]
    roomy = np.flatnonzero(room == 1)[:1]
    more = stock.copy()
    more[short] *= 1.1
    more[roomy] *= 1.1
    h = production.land_factor(stock, data.urban, params.land_per_urban_resident_km2, 0.3)
    h2 = production.land_factor(more, data.urban, params.land_per_urban_resident_km2, 0.3)
    assert h2[short] > h[short] and h2[roomy] == h[roomy]


def test_the_numbers_docs_economy_quotes_are_the_data_s():
    from pathlib import Path

    text = Path(__file__).parents[1].joinpath("docs", "economy.md").read_text(encoding="utf-8")
    pop = pd.Series(census.units(2020).loc[TABLE["code"], "pop_total"].to_numpy(float),
                    index=TABLE.index)
    intercept, slope, n = economy.fiscal_gap_fit(TABLE, pop)
    assert f"ln gap = {intercept:.3f} − {-slope:.3f} ln" in text
    assert f"over the\n{n} observed units" in text or f"over the {n} observed units" in text
    lam = Parameters().land_per_urban_resident_km2
    for year, words in ((2010, "{short} of the {total} units with\nMODIS land"),
                        (2020, "{short} of 197 in 2020")):
        stock = economy.builtup_area(TABLE, year)
        room = stock / (lam * TABLE[f"urban_{year}"].to_numpy())
        ok = ~np.isnan(room)
        assert words.format(short=int((room[ok] < 1).sum()), total=int(ok.sum())) in text
    weights = economy.economy_data(TABLE, 2010).capital_weight
    p10, p50, p90 = np.percentile(weights, [10, 50, 90])
    assert f"(p10–p50–p90: {p10:.2f}, {p50:.2f}, {p90:.2f}" in text


def test_calibrated_real_growth_2010_2019_is_within_a_point_of_the_observed():
    """Issue 15: the region's simulated real growth 2010→2019 within 1 point a year."""
    from sim.model.parameters import default_parameters
    from sim.studies.calibration.observed import census_targets
    from sim.studies.calibration.validation_run import run_validation

    targets = census_targets()
    g = targets.groups
    ok = g["gdp_comparable"].to_numpy()
    out = run_validation(default_parameters(), end_year=2020)
    simulated = targets.aggregate(out.gdp_2019)[ok].sum() / g["gdp_2010"].to_numpy()[ok].sum()
    observed = g["real_gdp_2019"].to_numpy()[ok].sum() / g["gdp_2010"].to_numpy()[ok].sum()
    sim_rate, obs_rate = simulated ** (1 / 9) - 1, observed ** (1 / 9) - 1
    assert 0.08 < obs_rate < 0.11  # the provinces' real indices: about 9.9 % a year
    assert abs(sim_rate - obs_rate) < 0.01, (sim_rate, obs_rate)
