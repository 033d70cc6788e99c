"""Every lever changes what it claims, in the claimed direction, against the baseline."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS
from test_conservation import _check_capital, _check_population_identities

import sim
from sim.model.core.state import Policy
from sim.model.levers import LEVER_TYPES
from sim.model.region import load_region

END = 2025


def _run(name_or_scenario, **kw) -> pd.DataFrame:
    scenario = (sim.load_scenario(SCENARIOS / f"{name_or_scenario}.toml")
                if isinstance(name_or_scenario, str) else name_or_scenario)
    return sim.run(scenario, deterministic=True, **kw).county_year.set_index(["year", "code"])


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    return _run("baseline")


def _pilots(df: pd.DataFrame, year: int = END) -> pd.DataFrame:
    d = df.loc[year]
    return d[d["is_pilot"]]


def _others(df: pd.DataFrame, year: int = END) -> pd.DataFrame:
    d = df.loc[year]
    return d[~d["is_pilot"]]


def _gain(col: str, lever: pd.DataFrame, base: pd.DataFrame, who=_pilots) -> pd.Series:
    return who(lever)[col] - who(base)[col]


def test_connectivity_speeds_targets_and_draws_migrants(base):
    run = _run("connectivity")
    assert (_gain("travel_time_to_core_h", run, base) <= 1e-12).all()
    assert _gain("travel_time_to_core_h", run, base).mean() < -0.05
    assert (_gain("market_access", run, base) > 0).all()
    assert _gain("in_migration", run, base).sum() > 0
    linshui = 511623
    assert run.loc[(END, linshui), "travel_time_to_core_h"] < (
        base.loc[(END, linshui), "travel_time_to_core_h"] - 0.1)


def test_rail_acceleration_opens_planned_lines_early(base):
    run = _run("rail_acceleration")
    dazhou = 511702  # 通川区, a station of the Chengdu–Dazhou–Wanzhou HSR
    assert run.loc[(2022, dazhou), "travel_time_to_core_h"] == pytest.approx(
        base.loc[(2022, dazhou), "travel_time_to_core_h"])
    assert run.loc[(2023, dazhou), "travel_time_to_core_h"] < (
        base.loc[(2023, dazhou), "travel_time_to_core_h"] - 0.2)


def test_frozen_network_is_slower_after_2020(base):
    run = _run("no_new_rail")
    diff = run["travel_time_to_core_h"] - base["travel_time_to_core_h"]
    assert (diff.loc[2020].abs() < 1e-12).all()
    assert (diff.loc[END] >= -1e-12).all() and diff.loc[END].max() > 0.2


def test_modern_industry_raises_productivity_and_output(base):
    run = _run("modern_industry")
    assert (_gain("tfp", run, base) > 0).all()
    assert (_gain("gdp_bn_yuan", run, base) > 0).all()
    assert (_gain("income_per_capita_yuan", run, base) > 0).all()


def test_innovation_raises_productivity(base):
    run = _run("innovation")
    assert (_gain("tfp", run, base) > 0).all()


def test_land_quota_relaxes_the_land_constraint(base):
    run = _run("land_layout")
    assert (_gain("land_km2", run, base) > 0).all()
    pressure = lambda d: d["urban_population"] / d["land_km2"]  # noqa: E731
    assert (pressure(_pilots(run)) < pressure(_pilots(base))).all()


def test_ecology_trades_buildable_land_for_amenity(base):
    run = _run("ecology")
    assert (_gain("land_km2", run, base) < 0).all()
    # Amenity is capped at 1; below the cap it gains the boost plus the unbuilt land.
    gain = _gain("amenity", run, base)
    assert (gain > 0).all() and gain.mean() > 0.01


def test_public_services_are_shared_with_neighbours_across_the_border(base):
    run = _run("public_services")
    assert (_gain("services", run, base) > 0).all()
    region = load_region("ccec", 2020)
    model = sim.CountyModel(sim.load_scenario(SCENARIOS / "baseline.toml"))
    scope = model.scope  # the region's counties among the simulated ones
    tt = model.network.travel_time[np.ix_(scope, scope)]
    pilots = region.table["is_pilot"].to_numpy()
    near = (tt[:, pilots] <= 1.0).any(axis=1) & ~pilots
    chongqing = (region.table["province_en"] == "Chongqing").to_numpy()
    codes = region.table["code"].to_numpy()
    gain = (run.loc[END, "services"] - base.loc[END, "services"]).reindex(codes).to_numpy()
    assert near.any() and (near & chongqing).any()
    assert gain[near].mean() > 0.01
    assert (gain[near & chongqing] > 0).any()  # across the provincial border
    far = ~near & ~pilots
    assert np.abs(gain[far]).max() < gain[near].mean()


def test_sharing_stops_at_the_border_when_asked(base):
    s = sim.load_scenario(SCENARIOS / "public_services.toml")
    lever = s.levers[0].model_copy(update={"cross_border": False})
    run = _run(s.with_changes(levers=[lever.model_dump()]))
    table = load_region("ccec", 2020).table.set_index("code")
    chongqing = table.index[table["province_en"] == "Chongqing"]
    gain = run.loc[END, "services"] - base.loc[END, "services"]
    assert np.abs(gain.loc[chongqing]).max() < 1e-3


def test_urban_rural_reform_attracts_settlers_and_urbanises(base):
    run = _run("urban_rural")
    assert (_gain("in_migration", run, base) > 0).all()
    share = lambda d: d["urban_population"] / d["population"]  # noqa: E731
    assert (share(_pilots(run)) > share(_pilots(base))).all()


def test_rural_income_support_adds_its_amount(base):
    run = _run(_scenario({"id": "cash", "type": "urban_rural", "targets": "pilots",
                          "start_year": 2021, "hukou_bonus": 0, "urbanisation_boost": 0,
                          "rural_income_support_yuan": 800}))
    # In the first year nothing else has moved yet: the gain is the support itself.
    gain = _pilots(run, 2021)["rural_income_yuan"] - _pilots(base, 2021)["rural_income_yuan"]
    np.testing.assert_allclose(gain, 800.0)
    assert (_others(run, 2021)["rural_income_yuan"] == _others(base, 2021)[
        "rural_income_yuan"]).all()


def test_governance_attracts_investment(base):
    run = _run("governance")
    assert (_gain("governance", run, base) > 0.09).all()
    assert (_gain("investment_in_bn_yuan", run, base) > 0).all()
    assert (_gain("capital_bn_yuan", run, base) > 0).all()


def test_policy_support_moves_money_from_donors_to_targets(base):
    run = _run("policy_support")
    later = run.loc[2021:END]
    by_year = later.groupby(level="year")["fiscal_transfer_bn_yuan"].sum()
    np.testing.assert_allclose(by_year, 0.0, atol=1e-9)
    assert (later.loc[later["is_pilot"], "fiscal_transfer_bn_yuan"] > 0).all()
    sichuan = later[(later["province"] == "Sichuan") & ~later["is_pilot"]]
    assert (sichuan["fiscal_transfer_bn_yuan"] < 0).all()
    chongqing = later[later["province"] == "Chongqing"]
    assert (chongqing["fiscal_transfer_bn_yuan"] == 0).all()
    assert (_gain("capital_bn_yuan", run, base) > 0).all()
    quota = later.groupby(level="year")["land_quota_transfer_km2"]
    np.testing.assert_allclose(quota.sum(), 0.0, atol=1e-9)
    np.testing.assert_allclose(later["land_quota_transfer_km2"].clip(lower=0)
                               .groupby(level="year").sum(), 1.0)  # 1 km² a year
    assert (later.loc[later["is_pilot"], "land_quota_transfer_km2"] > 0).all()
    assert (sichuan["land_quota_transfer_km2"] < 0).all()


def test_quota_trading_conserves_area_and_value(base):
    run = _run("land_quota_trading")
    later = run.loc[2021:END]
    for col in ("land_traded_km2", "land_trade_value_bn_yuan"):
        np.testing.assert_allclose(later.groupby(level="year")[col].sum(), 0.0, atol=1e-9)
    pilots = later.loc[later["is_pilot"], "land_traded_km2"]
    assert (pilots <= 0).all() and pilots.sum() < 0  # pilots sell (when anyone is short)
    bought = later["land_traded_km2"] > 0
    assert bought.any()
    assert (later.loc[bought, "land_trade_value_bn_yuan"] < 0).all()  # buyers pay
    assert later["land_traded_km2"].clip(lower=0).groupby(level="year").sum().max() <= 13 + 1e-9


def test_every_lever_type_has_a_scenario_file():
    for lever_type in LEVER_TYPES:
        s = sim.load_scenario(SCENARIOS / f"{lever_type.replace('_layout', '_layout')}.toml")
        assert {lever.type for lever in s.levers} == {lever_type}


def _scenario(*levers: dict, end_year: int = END) -> sim.Scenario:
    return sim.build_scenario({"name": "t", "start_year": 2020, "end_year": end_year,
                               "levers": list(levers)})


def test_a_lever_that_ends_stops_acting(base):
    run = _run(_scenario({"id": "gov", "type": "governance", "targets": "pilots",
                          "start_year": 2021, "end_year": 2022}))
    pilots = run[run["is_pilot"]]
    assert (pilots.loc[2022, "governance"] > 0.85).all()
    assert np.allclose(pilots.loc[2023:END, "governance"], base.loc[2023:END].query(
        "is_pilot")["governance"])
    assert (pilots.loc[2022, "active_levers"] == "gov").all()
    assert (pilots.loc[2023, "active_levers"] == "").all()


def test_a_ramp_is_monotone_and_reaches_full_intensity():
    r = sim.run(_scenario({"id": "ind", "type": "modern_industry", "targets": "pilots",
                           "start_year": 2021, "ramp_years": 4}), deterministic=True)
    weights = r.levers_year.groupby("year")["weight"].first()
    assert list(weights.index) == [2021, 2022, 2023, 2024, 2025]
    assert np.all(np.diff(weights.to_numpy()) >= 0)
    assert weights.iloc[0] == pytest.approx(0.25) and weights.iloc[-1] == 1.0


def test_two_levers_on_one_county_compose():
    kw = {"targets": ["游仙区"], "start_year": 2021}
    industry = {"id": "ind", "type": "modern_industry", **kw}
    innovation = {"id": "inn", "type": "innovation", "spillover_multiplier": 1.0, **kw}
    both = _scenario(industry, innovation)
    model = sim.CountyModel(both, deterministic=True)
    policy = model._policy(2021)
    i = model.system.index_of(510704)  # policy arrays cover every simulated county
    assert policy.tfp_boost[i] == pytest.approx(0.005 + 0.003)
    assert policy.tfp_boost.sum() == pytest.approx(0.008)
    tfp = {name: _run(s).loc[(END, 510704), "tfp"] for name, s in {
        "both": both, "industry": _scenario(industry), "innovation": _scenario(innovation),
        "none": _scenario()}.items()}
    assert tfp["both"] > max(tfp["industry"], tfp["innovation"]) > tfp["none"]
    assert _run(both).loc[(END, 510704), "active_levers"] == "ind;inn"


def test_neutral_policy_is_neutral():
    p = Policy(3)
    assert (p.spillover_multiplier == 1).all() and (p.tfp_boost == 0).all()


def test_full_reform_conserves_and_reproduces():
    s = sim.load_scenario(SCENARIOS / "full_reform.toml")
    a, b = sim.run(s, seed=3), sim.run(s, seed=3)
    pd.testing.assert_frame_equal(a.county_year, b.county_year)
    _check_population_identities(a)
    _check_capital(a, s.model_parameters().depreciation_rate)
    assert (a.county_year["capital_bn_yuan"] > 0).all()
    assert set(a.levers_year["lever_type"]) == set(LEVER_TYPES)
