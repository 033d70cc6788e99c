"""Two counties and ROC with hand-set numbers: one year's flows by hand arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pytest
from small_region import make_constants, make_state, one_age

from sim.model.core import Policy, State, advance, build_kernels, cohorts
from sim.model.parameters import Parameters

TT = np.array([[0.5, 1.0, 5.0],
               [1.0, 0.5, 4.0],
               [5.0, 4.0, 0.0]])  # hours; ROC last

PARAMS = Parameters(
    capital_share=0.5, agglomeration_elasticity=0.0, labour_participation=1.0,
    land_constraint_elasticity=0.0, income_elasticity=1.0, services_weight=0.0,
    amenity_weight=0.0, crowding_weight=0.0, migration_time_cost_per_h=1.0,
    stay_bonus=2.0, migration_rate=0.1, roc_preference=0.5, roc_income_growth=0.0,
    roc_return_rate=0.1, roc_newcomer_rate=0.01, emigrant_attrition=0.0,
    hukou_conversion_rate=0.0, fiscal_investment_share=0.0, home_bias=0.5,
    investment_return_elasticity=1.0, investment_time_decay_per_h=0.0,
    roc_capital_return=0.2, governance_initial=1.0, saving_rate=0.4,
    depreciation_rate=0.1, fertility_trend=0.0, mortality_decline=0.0,
    birth_registration_factor=1.0,
    urbanisation_rate=0.0, tfp_growth=0.0, knowledge_spillover=0.0,
    primary_share_decline=0.0, land_quota_growth=0.0,
    # Size term and commuting off here; test_size_commuting_and_settlement checks them.
    destination_size_weight=0.0, commuting_decay_per_h=100.0,
)


def _setup():
    """Two counties of 100 residents aged 27 (50 men, 50 women), 20 emigrants each."""
    n = 2
    state = make_state(one_age(np.array([100.0, 100.0])), urban=np.array([60.0, 30.0]),
                       gdp=np.array([50.0, 20.0]), capital=np.array([100.0, 50.0]),
                       tfp=np.array([0.5, 0.3]), emigrants=np.array([20.0, 20.0]))
    const = make_constants(
        n, fertility_level=np.array([1.0, 2.0]), mortality_level=np.array([1.0, 2.0]))
    return state, const


def test_one_year_of_flows_matches_hand_arithmetic():
    state, const = _setup()
    kernels = build_kernels(TT, PARAMS)
    new, flows = advance(state, const, Policy(2), kernels, TT, PARAMS, rng=None, want_od=True)

    # Output: Y = A K^0.5 L^0.5 (no agglomeration, no land limit, everyone 15–64 works).
    y1, y2 = 0.5 * math.sqrt(100 * 100), 0.3 * math.sqrt(50 * 100)
    assert new.gdp == pytest.approx([y1, y2])
    # Income per capita: half of output (bn yuan → yuan) over 100 residents each.
    inc1, inc2 = 0.5 * y1 * 1e9 / 100, 0.5 * y2 * 1e9 / 100
    assert new.income == pytest.approx([inc1, inc2])

    # Destination choice from county 1: exp(ln y_j − τ_1j + 2 [j = 1]).
    w11 = math.exp(math.log(inc1) - 0.5 + 2.0)
    w12 = math.exp(math.log(inc2) - 1.0)
    w1r = math.exp(math.log(3.0e8) + 0.5 - 5.0)
    movers_1 = 0.1 * 100
    m12 = movers_1 * w12 / (w11 + w12 + w1r)
    m1r = movers_1 * w1r / (w11 + w12 + w1r)
    w21 = math.exp(math.log(inc1) - 1.0)
    w22 = math.exp(math.log(inc2) - 0.5 + 2.0)
    w2r = math.exp(math.log(3.0e8) + 0.5 - 4.0)
    m21 = 10 * w21 / (w21 + w22 + w2r)
    m2r = 10 * w2r / (w21 + w22 + w2r)
    assert flows.migration_od[0, 1] == pytest.approx(m12)
    assert flows.migration_od[1, 0] == pytest.approx(m21)
    assert flows.roc_out_migration == pytest.approx([m1r, m2r])
    # From ROC: 10% of the 20 emigrants return home; newcomers, 1% of the 200
    # residents, split by e_j = exp(ln y_j) (no distance: no airport effect).
    returns = [2.0, 2.0]
    newcomers = [2.0 * inc1 / (inc1 + inc2), 2.0 * inc2 / (inc1 + inc2)]
    assert flows.roc_returns == pytest.approx(returns)
    assert flows.roc_newcomers == pytest.approx(newcomers)
    roc_in = [returns[0] + newcomers[0], returns[1] + newcomers[1]]
    assert flows.roc_in_migration == pytest.approx(roc_in)
    assert flows.out_migration == pytest.approx([m12 + m1r, m21 + m2r])
    assert flows.in_migration == pytest.approx([m21 + roc_in[0], m12 + roc_in[1]])
    # Emigrants: less the returns, plus the leavers to ROC registered here (all are).
    assert new.emigrants == pytest.approx([20 - 2 + m1r, 20 - 2 + m2r])

    # Natural change on the population after migration, by sex and age: the movers
    # are all 27, so are the leavers and county arrivals; ROC arrivals follow the
    # flat mixes of the constants (1/172 in every cell).
    after_25 = [100 - m12 - m1r + m21, 100 - m21 - m2r + m12]
    shape = cohorts.fertility_shape()
    cell = [roc_in[k] / 172 for k in (0, 1)]
    women = [np.full(86, cell[k]) for k in (0, 1)]
    for k in (0, 1):
        women[k][27] += after_25[k] / 2
    assert flows.births == pytest.approx([1.0 * shape @ women[0], 2.0 * shape @ women[1]])
    m_std = cohorts.standard_death_rates()
    q = lambda k, s, g: -math.expm1(-[1.0, 2.0][k] * m_std[s, g])  # noqa: E731
    deaths_25 = [sum(q(k, s, 27) * (after_25[k] / 2 + cell[k]) for s in (0, 1))
                 for k in (0, 1)]
    adult_elsewhere = [sum(q(k, s, g) * cell[k] for s in (0, 1) for g in range(86)
                           if g != 27) for k in (0, 1)]
    infant = [sum(flows.births[k] / 2 * -math.expm1(-0.5 * [1.0, 2.0][k] * m_std[s, 0])
                  for s in (0, 1)) for k in (0, 1)]
    assert flows.deaths == pytest.approx([deaths_25[k] + adult_elsewhere[k] + infant[k]
                                          for k in (0, 1)])
    after = [a + roc_in[k] for k, a in enumerate(after_25)]
    assert new.population == pytest.approx([after[k] + flows.births[k] - flows.deaths[k]
                                            for k in (0, 1)])
    # Arrivals from the other county (same province, registered there) count as
    # registered in another county, newcomers as registered in another province;
    # births and deaths keep the registration shares.
    grow = [new.population[k] / after[k] for k in (0, 1)]
    assert new.registered_other_county == pytest.approx([m21 * grow[0], m12 * grow[1]])
    assert new.registered_other_province == pytest.approx(
        [newcomers[0] * grow[0], newcomers[1] * grow[1]])
    # The surviving 27-year-olds are 28 at the end of the year.
    survivors_27 = [after_25[k] + 2 * cell[k] - deaths_25[k] for k in (0, 1)]
    assert new.ages[:, :, 28].sum(axis=1) == pytest.approx(survivors_27)

    # Investment: 40% saved, half stays home, the rest split by a_j = r_j = Y_j / (2 K_j).
    r1, r2, r_roc = 0.5 * y1 / 100, 0.5 * y2 / 50, 0.2
    mobile1, mobile2 = 0.5 * 0.4 * y1, 0.5 * 0.4 * y2
    total_a = r1 + r2 + r_roc
    i12, i21 = mobile1 * r2 / total_a, mobile2 * r1 / total_a
    received1 = 0.4 * y1 - mobile1 + mobile1 * r1 / total_a + i21
    received2 = 0.4 * y2 - mobile2 + mobile2 * r2 / total_a + i12
    assert flows.investment_od[0, 1] == pytest.approx(i12)
    assert flows.investment_in == pytest.approx([received1, received2])
    assert flows.investment_out == pytest.approx([mobile1 * (r2 + r_roc) / total_a,
                                                  mobile2 * (r1 + r_roc) / total_a])
    assert new.capital == pytest.approx([0.9 * 100 + received1, 0.9 * 50 + received2])


def test_stochastic_draws_are_integers_around_the_expectation():
    state, const = _setup()
    big = State(**{**state.__dict__, "ages": state.ages * 1e4, "urban": state.urban * 1e4,
                   "rural": state.rural * 1e4, "emigrants": state.emigrants * 1e4})
    kernels = build_kernels(TT, PARAMS)
    _, expected = advance(big, const, Policy(2), kernels, TT, PARAMS, rng=None, want_od=True)
    draws = [advance(big, const, Policy(2), kernels, TT, PARAMS,
                     rng=np.random.default_rng(s))[1] for s in range(200)]
    od = np.array([d.migration_od for d in draws])
    assert np.array_equal(od, np.round(od))
    np.testing.assert_allclose(od.mean(axis=0), expected.migration_od, rtol=0.02, atol=1.0)


def test_totals_without_the_od_matrix_equal_its_sums():
    state, const = _setup()
    kernels = build_kernels(TT, PARAMS)
    _, full = advance(state, const, Policy(2), kernels, TT, PARAMS, rng=None, want_od=True)
    _, fast = advance(state, const, Policy(2), kernels, TT, PARAMS, rng=None)
    assert fast.migration_od is None and fast.investment_od is None
    for name in ("in_migration", "out_migration", "roc_out_migration", "investment_in",
                 "investment_out"):
        np.testing.assert_allclose(getattr(fast, name), getattr(full, name), rtol=1e-12)
    np.testing.assert_allclose(full.out_migration, full.migration_od.sum(axis=1))


def test_size_commuting_and_settlement_match_hand_arithmetic():
    """Eqs. 5a (size term), 5j (income within commuting reach) and 5k (settlement)."""
    params = PARAMS.replace(destination_size_weight=1.0, commuting_decay_per_h=1.0,
                            migrant_urban_bias=0.5, urbanisation_base_rate=0.0)
    state, const = _setup()
    kernels = build_kernels(TT, params)
    new, flows = advance(state, const, Policy(2), kernels, TT, params, rng=None, want_od=True)

    y1, y2 = 0.5 * math.sqrt(100 * 100), 0.3 * math.sqrt(50 * 100)
    inc1, inc2 = 0.5 * y1 * 1e9 / 100, 0.5 * y2 * 1e9 / 100
    # Both counties have 100 residents and are 1 h apart: c_12 = e^-1.
    c = math.exp(-1.0)
    reach1, reach2 = (inc1 + c * inc2) / (1 + c), (c * inc1 + inc2) / (1 + c)
    # Urban populations 60 and 30, mean 45.
    u1, u2 = math.log(reach1) + math.log(60 / 45), math.log(reach2) + math.log(30 / 45)
    roc = math.log(3.0e8) + 0.5
    w11, w12, w1r = math.exp(u1 - 0.5 + 2.0), math.exp(u2 - 1.0), math.exp(roc - 5.0)
    w21, w22, w2r = math.exp(u1 - 1.0), math.exp(u2 - 0.5 + 2.0), math.exp(roc - 4.0)
    m12, m1r = 10 * w12 / (w11 + w12 + w1r), 10 * w1r / (w11 + w12 + w1r)
    m21, m2r = 10 * w21 / (w21 + w22 + w2r), 10 * w2r / (w21 + w22 + w2r)
    assert flows.migration_od[0, 1] == pytest.approx(m12)
    assert flows.migration_od[1, 0] == pytest.approx(m21)
    # Newcomers go by e_j = exp(u_j), the size term included (2 returns each too).
    a1, a2 = math.exp(u1), math.exp(u2)
    roc_in = [2.0 + 2.0 * a1 / (a1 + a2), 2.0 + 2.0 * a2 / (a1 + a2)]
    assert flows.roc_in_migration == pytest.approx(roc_in)

    # Leavers leave urban and rural alike; arrivals settle in towns with share
    # u + 0.5 (1 - u); natural change keeps the urban share.
    out = [m12 + m1r, m21 + m2r]
    arrive = [m21 + roc_in[0], m12 + roc_in[1]]
    after = [100 - out[0] + arrive[0], 100 - out[1] + arrive[1]]
    grow = [new.population[k] / after[k] for k in (0, 1)]
    urban1 = 60 * (1 - out[0] / 100) + (0.6 + 0.5 * 0.4) * arrive[0]
    urban2 = 30 * (1 - out[1] / 100) + (0.3 + 0.5 * 0.7) * arrive[1]
    assert new.urban == pytest.approx([urban1 * grow[0], urban2 * grow[1]])
    np.testing.assert_allclose(new.population,
                               [after[k] + flows.births[k] - flows.deaths[k] for k in (0, 1)])


def test_room_is_the_share_of_the_urban_land_need_the_stock_covers():
    """min(1, C / (λU)), shared by eq. 3b (output) and eq. 8 (urbanisation)."""
    from sim.model.core import demography, land, production

    stock, urban = np.array([1.0, 3.0, 2.0, 0.0]), np.array([4.0, 2.0, 0.0, 0.0])
    room = land.room(stock, urban, 0.5)  # needs 2, 1, 0 and 0 km²
    np.testing.assert_array_equal(room, [0.5, 1.0, 1.0, 0.0])
    np.testing.assert_array_equal(production.land_factor(stock, urban, 0.5, 0.3),
                                  room ** 0.3)
    moved = demography.urbanisation(np.full(4, 100.0), np.ones(4), np.ones(4), stock,
                                    urban, 0.5, 0.02, 0.0, np.zeros(4))
    np.testing.assert_allclose(moved, 100.0 * 0.02 * room)


def test_initial_state_owns_its_arrays_and_normalises_market_access():
    from sim.model.census import CensusData
    from sim.model.core.initial import initial_state
    from sim.model.economy import EconomyData

    kernels = build_kernels(TT, PARAMS)
    gdp = np.array([50.0, 20.0])
    groups = np.zeros((2, 2, 19))
    groups[:, :, 6] = 50.0  # everyone 25–29
    data = CensusData(
        year=2020, ages=groups, urban=np.array([60.0, 30.0]), gdp=gdp,
        primary_va_share=np.array([0.1, 0.2]), primary_pop_share=np.array([0.2, 0.3]),
        edu_years=np.array([10.0, 8.0]), area_km2=np.array([1e3, 1e3]),
        province=np.zeros(2, dtype=int), registered_other_county=np.array([5.0, 1.0]),
        registered_other_province=np.array([2.0, 0.0]), emigrants_2010=np.array([10.0, 30.0]),
        ages_2010=groups, births_2010=np.array([1.0, 2.0]), deaths_2010=np.array([0.5, 1.0]),
        male_share_at_birth=np.full(2, 0.52), economy=EconomyData(
            capital_weight=np.ones(2), gdp_path=np.tile(gdp[:, None], (1, 11)),
            investment_share_path=np.full((2, 11), 0.4), fiscal_gap=np.zeros(2),
            fiscal_gap_observed=np.ones(2, dtype=bool), builtup_km2=np.full(2, np.nan)))
    state, const = initial_state(data, kernels, PARAMS.replace(emigrant_stock_change=1.5))
    # MA₀ = (Σ_j Y_j e^(−θτ_ij)) / its mean, and the mean is eq. 2's norm.
    raw = kernels.access @ gdp
    assert const.market_access_mean == pytest.approx(raw.mean())
    np.testing.assert_allclose(state.market_access, raw / raw.mean(), rtol=1e-15)
    assert state.market_access.mean() == pytest.approx(1.0)
    # The state's year values are its own: changing them leaves the constants alone.
    for mine, constant in ((state.services, const.services_initial),
                           (state.income, const.income_initial)):
        np.testing.assert_array_equal(mine, constant)
        assert not np.shares_memory(mine, constant)
    # The census groups are spread over single years, keeping their totals.
    np.testing.assert_allclose(state.ages[:, :, 25:30].sum(axis=2), 50.0)
    assert state.ages.sum() == pytest.approx(200.0)
    # A 2020 start scales the 2010 emigrant stock; the fertility level reproduces
    # the 2010 births with the standard shape.
    np.testing.assert_allclose(state.emigrants, [15.0, 45.0])
    women = state.ages[:, 1, :]
    np.testing.assert_allclose(const.fertility_level * (women @ cohorts.fertility_shape()),
                               [1.0, 2.0])
    # The mover profile has a population-weighted mean of 1.
    ages = state.ages
    assert (const.mover_profile * ages.sum(axis=0)).sum() / ages.sum() == pytest.approx(1.0)
