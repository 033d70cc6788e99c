"""Accounting identities that must hold in every county and year."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.model.recorder import COLUMNS_FROM_FLOWS, COLUMNS_FROM_POLICY

RTOL = 1e-9


def _check_population_identities(results: sim.Results) -> None:
    cy = results.county_year.sort_values(["code", "year"])
    prev = cy.groupby("code")["population"].shift()
    flows = cy["births"] - cy["deaths"] + cy["in_migration"] - cy["out_migration"]
    later = cy["year"] > cy["year"].min()
    change = (cy["population"] - prev)[later]
    np.testing.assert_allclose(change, flows[later], rtol=0, atol=RTOL * cy["population"].max())

    ry = results.region_year.sort_values("year")
    region_change = ry["population"].diff().iloc[1:]
    region_flows = (ry["births"] - ry["deaths"] + ry["roc_net_migration"]
                    + ry["outside_net_migration"]).iloc[1:]
    np.testing.assert_allclose(region_change, region_flows, rtol=RTOL)
    # Inter-county moves cancel: net migration is the exchange with ROC and with the
    # simulated counties outside the region.
    by_year = cy[later].groupby("year")[["net_migration", "roc_in_migration",
                                          "roc_out_migration"]].sum()
    outside = ry.set_index("year")["outside_net_migration"].loc[by_year.index]
    np.testing.assert_allclose(by_year["net_migration"],
                               by_year["roc_in_migration"] - by_year["roc_out_migration"]
                               + outside, rtol=1e-9, atol=1e-3)
    np.testing.assert_allclose(cy[later]["roc_in_migration"],
                               cy[later]["roc_returns"] + cy[later]["roc_newcomers"],
                               rtol=1e-12)


def _check_capital(results: sim.Results, depreciation: float) -> None:
    cy = results.county_year.sort_values(["code", "year"])
    prev = cy.groupby("code")["capital_bn_yuan"].shift()
    later = cy["year"] > cy["year"].min()
    expected = (1 - depreciation) * prev[later] + cy.loc[later, "investment_in_bn_yuan"]
    np.testing.assert_allclose(cy.loc[later, "capital_bn_yuan"], expected, rtol=1e-12)


@pytest.mark.parametrize("run_fixture", ["stochastic_run", "deterministic_run"])
def test_population_and_capital_are_conserved(run_fixture, request, baseline):
    results = request.getfixturevalue(run_fixture)
    _check_population_identities(results)
    _check_capital(results, baseline.model_parameters().depreciation_rate)


@pytest.mark.parametrize("run_fixture", ["stochastic_run", "deterministic_run"])
def test_no_negative_stocks(run_fixture, request):
    cy = request.getfixturevalue(run_fixture).county_year
    for col in ("population", "urban_population", "rural_population", "capital_bn_yuan",
                "gdp_bn_yuan", "land_km2"):
        assert (cy[col] >= 0).all(), col
    numeric = cy.select_dtypes("number")
    later = numeric[cy["year"] > cy["year"].min()]
    assert np.isfinite(later).all().all()
    first = numeric[cy["year"] == cy["year"].min()]
    flow_columns = [*COLUMNS_FROM_FLOWS, *COLUMNS_FROM_POLICY, "net_migration"]
    assert first[flow_columns].isna().all().all()  # nothing flowed before the start
    assert np.isfinite(first.drop(columns=flow_columns)).all().all()


def test_urban_plus_rural_is_population(stochastic_run):
    cy = stochastic_run.county_year
    np.testing.assert_allclose(cy["urban_population"] + cy["rural_population"],
                               cy["population"], rtol=1e-12)


def test_start_row_is_the_census_state(deterministic_run):
    first = deterministic_run.county_year.query("year == 2020")
    table = sim.load_region("ccec", 2020).table
    merged = first.merge(table[["code", "population", "gdp_bn_yuan"]], on="code",
                         suffixes=("", "_census"))
    np.testing.assert_allclose(merged["population"], merged["population_census"])
    np.testing.assert_allclose(merged["gdp_bn_yuan"], merged["gdp_bn_yuan_census"])
    assert first["births"].isna().all()


def test_region_totals_match_county_sums(stochastic_run):
    cy, ry = stochastic_run.county_year, stochastic_run.region_year
    sums = cy.groupby("year")[["population", "gdp_bn_yuan"]].sum().reset_index()
    merged = pd.merge(ry, sums, on="year", suffixes=("", "_sum"))
    np.testing.assert_allclose(merged["population"], merged["population_sum"], rtol=1e-12)
    np.testing.assert_allclose(merged["gdp_bn_yuan"], merged["gdp_bn_yuan_sum"], rtol=1e-12)
