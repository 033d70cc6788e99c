"""Same seed, same results; different seeds, different results."""

from __future__ import annotations

import pandas as pd

import sim


def test_same_seed_gives_identical_tables(baseline, stochastic_run):
    again = sim.run(baseline, seed=11)
    pd.testing.assert_frame_equal(stochastic_run.county_year, again.county_year)
    pd.testing.assert_frame_equal(stochastic_run.region_year, again.region_year)


def test_different_seeds_give_different_results(baseline, stochastic_run):
    other = sim.run(baseline, seed=12)
    assert not other.county_year["population"].equals(stochastic_run.county_year["population"])
    assert (other.county_year["seed"] == 12).all()


def test_deterministic_mode_ignores_the_seed(baseline, deterministic_run):
    other = sim.run(baseline, seed=999, deterministic=True)
    cols = ["population", "gdp_bn_yuan", "capital_bn_yuan", "in_migration"]
    pd.testing.assert_frame_equal(deterministic_run.county_year[cols], other.county_year[cols])


def test_stochastic_runs_scatter_around_the_deterministic_path(baseline, deterministic_run):
    runs = [sim.run(baseline, seed=s).region_year.set_index("year")["population"]
            for s in range(4)]
    mean = pd.concat(runs, axis=1).mean(axis=1)
    expected = deterministic_run.region_year.set_index("year")["population"]
    assert ((mean - expected).abs() / expected).max() < 1e-3
