"""Two counties and ROC with hand-set numbers: one year's flows by hand arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model.core import Constants, Policy, State, advance, build_kernels
from sim.model.parameters import Parameters

TT = np.array([[0.5, 1.0, 5.0],
               [1.0, 0.5, 4.0],
               [5.0, 4.0, 0.0]])  # hours; ROC last

PARAMS = Parameters(
    capital_share=0.5, agglomeration_elasticity=0.0, labour_participation=1.0,
    land_constraint_elasticity=0.0, income_elasticity=1.0, services_weight=0.0,
    amenity_weight=0.0, crowding_weight=0.0, migration_time_cost_per_h=1.0,
    stay_bonus=2.0, migration_rate=0.1, roc_preference=0.5, roc_income_growth=0.0,
    roc_return_migration_rate=0.01, roc_investment_inflow_share=0.0, home_bias=0.5,
    investment_return_elasticity=1.0, investment_time_decay_per_h=0.0,
    roc_capital_return=0.2, governance_initial=1.0, saving_rate=0.4,
    depreciation_rate=0.1, birth_rate_trend=0.0, death_rate_trend=0.0,
    urbanisation_rate=0.0, tfp_growth=0.0, knowledge_spillover=0.0,
    primary_share_decline=0.0, land_quota_growth=0.0,
    # Size term and commuting off here; test_size_commuting_and_settlement checks them.
    destination_size_weight=0.0, commuting_decay_per_h=100.0,
)


def _setup():
    n = 2
    state = State(
        year=2020, urban=np.array([60.0, 30.0]), rural=np.array([40.0, 70.0]),
        capital=np.array([100.0, 50.0]), gdp=np.array([50.0, 20.0]),
        tfp=np.array([0.5, 0.3]), land=np.array([1e6, 1e6]), governance=np.ones(n),
        primary_va_share=np.zeros(n), primary_pop_share=np.zeros(n),
        income=np.ones(n), urban_income=np.ones(n), rural_income=np.ones(n),
        services=np.ones(n), amenity=np.ones(n), market_access=np.ones(n))
    const = Constants(
        area_km2=np.array([1e7, 1e7]), birth_rate_2010=np.array([0.01, 0.02]),
        death_rate_2010=np.array([0.005, 0.01]), services_initial=np.ones(n),
        income_initial=np.ones(n), market_access_mean=1.0, roc_income_initial=3.0e8,
        census_year=2020, province=np.zeros(n, dtype=int))
    return state, const


def test_one_year_of_flows_matches_hand_arithmetic():
    state, const = _setup()
    kernels = build_kernels(TT, PARAMS)
    new, flows = advance(state, const, Policy(2), kernels, TT, PARAMS, rng=None, want_od=True)

    # Output: Y = A K^0.5 P^0.5 (no agglomeration, no land limit, everyone works).
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
    # Arrivals from ROC: 1% of 200 residents, split by exp(ln y_j − τ_Rj).
    a1, a2 = math.exp(math.log(inc1) - 5.0), math.exp(math.log(inc2) - 4.0)
    roc_in = [2.0 * a1 / (a1 + a2), 2.0 * a2 / (a1 + a2)]
    assert flows.roc_in_migration == pytest.approx(roc_in)
    assert flows.out_migration == pytest.approx([m12 + m1r, m21 + m2r])
    assert flows.in_migration == pytest.approx([m21 + roc_in[0], m12 + roc_in[1]])

    # Natural change on the population after migration.
    after = [100 - m12 - m1r + m21 + roc_in[0], 100 - m21 - m2r + m12 + roc_in[1]]
    assert flows.births == pytest.approx([0.01 * after[0], 0.02 * after[1]])
    assert flows.deaths == pytest.approx([0.005 * after[0], 0.01 * after[1]])
    assert new.population == pytest.approx([after[0] * 1.005, after[1] * 1.01])

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
    big = State(**{**state.__dict__, "urban": state.urban * 1e4, "rural": state.rural * 1e4})
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
    a1, a2 = math.exp(u1 - 5.0), math.exp(u2 - 4.0)
    roc_in = [2.0 * a1 / (a1 + a2), 2.0 * a2 / (a1 + a2)]
    assert flows.roc_in_migration == pytest.approx(roc_in)

    # Leavers leave urban and rural alike; arrivals settle in towns with share
    # u + 0.5 (1 - u); natural change (+0.5%, +1%) keeps the urban share.
    out = [m12 + m1r, m21 + m2r]
    arrive = [m21 + roc_in[0], m12 + roc_in[1]]
    urban1 = 60 * (1 - out[0] / 100) + (0.6 + 0.5 * 0.4) * arrive[0]
    urban2 = 30 * (1 - out[1] / 100) + (0.3 + 0.5 * 0.7) * arrive[1]
    assert new.urban == pytest.approx([urban1 * 1.005, urban2 * 1.01])
    assert new.population == pytest.approx([(100 - out[0] + arrive[0]) * 1.005,
                                            (100 - out[1] + arrive[1]) * 1.01])


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
    from sim.model.core.initial import initial_state

    kernels = build_kernels(TT, PARAMS)
    gdp = np.array([50.0, 20.0])
    state, const = initial_state(
        year=2020, population=np.array([100.0, 100.0]), urban=np.array([60.0, 30.0]),
        gdp=gdp, primary_va_share=np.array([0.1, 0.2]),
        primary_pop_share=np.array([0.2, 0.3]), edu_years=np.array([10.0, 8.0]),
        area_km2=np.array([1e3, 1e3]), birth_rate=np.array([0.01, 0.02]),
        death_rate=np.array([0.005, 0.01]), province=np.zeros(2, dtype=int),
        kernels=kernels, params=PARAMS)
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
