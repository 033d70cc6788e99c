"""Property tests (hypothesis) on small random networks and regions."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.core import Constants, Policy, State, advance, build_kernels
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
    pop = rng.uniform(1e4, 1e6, n)
    urban = pop * rng.uniform(0.2, 0.9, n)
    gdp = pop * rng.uniform(2e4, 1e5, n) / 1e9
    state = State(
        year=2020, urban=urban, rural=pop - urban, capital=3 * gdp,
        gdp=gdp, tfp=rng.uniform(0.001, 0.01, n), land=1e-4 * urban * 1.1,
        governance=np.full(n, 0.8), primary_va_share=rng.uniform(0, 0.3, n),
        primary_pop_share=rng.uniform(0, 0.6, n), income=np.ones(n),
        urban_income=np.ones(n), rural_income=np.ones(n), services=np.ones(n),
        amenity=np.ones(n), market_access=np.ones(n))
    const = Constants(
        area_km2=rng.uniform(100, 3000, n), birth_rate_2010=rng.uniform(0.005, 0.015, n),
        death_rate_2010=rng.uniform(0.004, 0.01, n), services_initial=np.ones(n),
        income_initial=np.full(n, 3e4), market_access_mean=float(gdp.mean()),
        roc_income_initial=4e4, census_year=2020, province=rng.integers(0, 2, n))
    names = ["migration_rate", "stay_bonus", "income_elasticity", "migration_time_cost_per_h",
             "home_bias", "investment_return_elasticity", "destination_size_weight"]
    values = {k: draw(st.floats(*Parameters.specs()[k].plausible)) for k in names}
    return state, const, tt, Parameters(**values), int(rng.integers(0, 2**32 - 1))


@settings(max_examples=40, deadline=None)
@given(regions(), st.booleans())
def test_one_year_conserves_people_and_capital(region, stochastic):
    state, const, tt, params, seed = region
    rng = np.random.default_rng(seed) if stochastic else None
    kernels = build_kernels(tt, params)
    new, flows = advance(state, const, Policy(len(state.gdp)), kernels, tt, params, rng,
                         want_od=True)
    change = new.population - state.population
    np.testing.assert_allclose(
        change, flows.births - flows.deaths + flows.in_migration - flows.out_migration,
        rtol=1e-9, atol=1e-6)
    inter = flows.migration_od[:, :-1]
    np.testing.assert_allclose(flows.in_migration, inter.sum(axis=0) + flows.roc_in_migration,
                               atol=1e-6)
    np.testing.assert_allclose(new.capital,
                               (1 - params.depreciation_rate) * state.capital
                               + flows.investment_in, rtol=1e-12)
    assert (new.urban >= 0).all() and (new.rural >= -1e-9).all() and (new.capital > 0).all()
    if not stochastic:
        _, fast = advance(state, const, Policy(len(state.gdp)), kernels, tt, params, None)
        np.testing.assert_allclose(fast.out_migration, flows.out_migration, rtol=1e-10)
        np.testing.assert_allclose(fast.investment_in, flows.investment_in, rtol=1e-10)
