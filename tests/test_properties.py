"""Property tests (hypothesis) on small random networks and regions."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from small_region import make_constants, make_state

from sim.model.core import Policy, advance, build_kernels
from sim.model.network.paths import add_edges, all_pairs
from sim.model.parameters import Parameters


@st.composite
def graphs(draw):
    """A connected weighted graph (a random tree plus extra edges) and edges to add."""
    n = draw(st.integers(3, 10))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    u = [int(rng.integers(0, k)) for k in range(1, n)]  # a random spanning tree
    v = list(range(1, n))
    extra = draw(st.integers(0, n))
    u += rng.integers(0, n, extra).tolist()
    v += rng.integers(0, n, extra).tolist()
    t = rng.uniform(0.1, 5.0, len(u))
    added = draw(st.integers(1, 4))
    au, av = rng.integers(0, n, added), rng.integers(0, n, added)
    at = rng.uniform(0.01, 3.0, added)
    keep = au != av
    return n, np.array(u), np.array(v), t, au[keep], av[keep], at[keep]


@settings(max_examples=60, deadline=None)
@given(graphs())
def test_adding_edges_incrementally_equals_recomputing(graph):
    n, u, v, t, au, av, at = graph
    loops = u != v
    u, v, t = u[loops], v[loops], t[loops]
    before = all_pairs(n, u, v, t)
    incremental = add_edges(before, au, av, at)
    direct = all_pairs(n, np.concatenate([u, au]), np.concatenate([v, av]),
                        np.concatenate([t, at]))
    np.testing.assert_allclose(incremental, direct, rtol=1e-12)
    assert (incremental <= before + 1e-12).all()


@st.composite
def regions(draw):
    n = draw(st.integers(2, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    xy = rng.uniform(0, 3, (n + 1, 2))
    tt = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)) + np.diag(rng.uniform(0.1, 0.5, n + 1))
    tt[n, n] = 0.0
    ages = rng.uniform(1e2, 1e4, (n, 2, 86)) * rng.uniform(0, 1, (n, 1, 1))
    ages[:, :, rng.integers(0, 86)] = 0.0  # an empty age somewhere
    pop = ages.sum(axis=(1, 2))
    urban = pop * rng.uniform(0.2, 0.9, n)
    gdp = pop * rng.uniform(2e4, 1e5, n) / 1e9
    province = rng.integers(0, 2, n)
    state = make_state(
        ages, urban, gdp, tfp=rng.uniform(0.001, 0.01, n), land=1e-4 * urban * 1.1,
        governance=np.full(n, 0.8), primary_va_share=rng.uniform(0, 0.3, n),
        primary_pop_share=rng.uniform(0, 0.6, n), capital=3 * gdp,
        farm_share=rng.uniform(0, 1.0, n), agri_tfp=gdp * rng.uniform(0, 1e-3, n),
        registered_other_county=pop * rng.uniform(0, 0.2, n),
        registered_other_province=pop * rng.uniform(0, 0.1, n),
        emigrants=pop * rng.uniform(0, 0.3, n))
    profile = rng.uniform(0.2, 3.0, 86)
    mix = rng.uniform(0, 1, (2, 86))
    const = make_constants(
        n, province, area_km2=rng.uniform(100, 3000, n),
        fertility_level=rng.uniform(0.8, 2.5, n), mortality_level=rng.uniform(0.5, 2.0, n),
        male_share_at_birth=rng.uniform(0.48, 0.55, n), mover_profile=profile,
        return_mix=mix / mix.sum(), newcomer_mix=mix[::-1] / mix.sum(),
        income_initial=np.full(n, 3e4), market_access_mean=float(gdp.mean()),
        roc_income_initial=4e4)
    names = ["migration_rate", "stay_bonus", "income_elasticity", "migration_time_cost_per_h",
             "home_bias", "investment_return_elasticity", "destination_size_weight",
             "roc_return_rate", "roc_newcomer_rate", "hukou_conversion_rate"]
    values = {k: draw(st.floats(*Parameters.specs()[k].plausible)) for k in names}
    return state, const, tt, Parameters(**values), int(rng.integers(0, 2**32 - 1))


@settings(max_examples=40, deadline=None)
@given(regions(), st.booleans())
def test_one_year_conserves_people_by_county_sex_and_age(region, stochastic):
    state, const, tt, params, seed = region
    rng = np.random.default_rng(seed) if stochastic else None
    kernels = build_kernels(tt, params)
    new, f = advance(state, const, Policy(len(state.gdp)), kernels, tt, params, rng,
                     want_od=True)
    scale = state.population.max()
    # Every cell: moves, deaths, then everyone a year older; newborns enter age 0.
    after = state.ages - f.out_by_age + f.in_by_age
    survivors = after - f.deaths_by_age
    survivors[:, :, 0] += f.newborn_deaths  # those died as newborns, not as residents
    expected = np.zeros_like(after)
    expected[:, :, 1:85] = survivors[:, :, :84]
    expected[:, :, 85] = survivors[:, :, 84] + survivors[:, :, 85]
    expected[:, :, 0] = f.births_by_sex - f.newborn_deaths
    np.testing.assert_allclose(new.ages, expected, rtol=0, atol=1e-9 * scale)
    assert (new.ages >= -1e-9 * scale).all()
    # County totals, and the flows' own sums.
    change = new.population - state.population
    np.testing.assert_allclose(
        change, f.births - f.deaths + f.in_migration - f.out_migration, rtol=0,
        atol=1e-9 * scale)
    np.testing.assert_allclose(new.ages.sum(axis=(1, 2)), new.urban + new.rural,
                               rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(f.out_by_age.sum(axis=(1, 2)), f.out_migration, rtol=1e-9)
    np.testing.assert_allclose(f.in_by_age.sum(axis=(1, 2)), f.in_migration, rtol=1e-9)
    inter = f.migration_od[:, :-1]
    np.testing.assert_allclose(f.in_migration, inter.sum(axis=0) + f.roc_in_migration,
                               rtol=1e-9)
    np.testing.assert_allclose(f.roc_in_migration, f.roc_returns + f.roc_newcomers)
    # The region: inner moves cancel; only births, deaths and ROC change it.
    np.testing.assert_allclose(
        change.sum(), (f.births - f.deaths + f.roc_in_migration - f.roc_out_migration).sum(),
        rtol=1e-9)
    # Registration stocks stay within the residents; capital accumulates.
    registered = new.registered_other_county + new.registered_other_province
    assert (registered <= new.population * (1 + 1e-12)).all() and (registered >= 0).all()
    assert (new.emigrants >= -1e-9).all()
    np.testing.assert_allclose(new.capital,
                               (1 - params.depreciation_rate) * state.capital
                               + f.investment_in, rtol=1e-12)
    assert (new.urban >= 0).all() and (new.rural >= -1e-9).all() and (new.capital > 0).all()
    if not stochastic:
        _, fast = advance(state, const, Policy(len(state.gdp)), kernels, tt, params, None)
        for name in ("out_migration", "in_migration", "investment_in"):
            np.testing.assert_allclose(getattr(fast, name), getattr(f, name), rtol=1e-10)
        np.testing.assert_allclose(fast.in_by_age, f.in_by_age, rtol=1e-9, atol=1e-9 * scale)
