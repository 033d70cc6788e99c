"""The market-access estimate (issue 15): regression, shocks, priors in J, CLI, bypass."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.apps.cli import main
from sim.base.errors import InputError
from sim.model.parameters import Parameters
from sim.studies.calibration import market_access as ma
from sim.studies.calibration import market_access_checks as checks
from sim.studies.calibration.priors import Prior, prior_penalty
from sim.studies.calibration.workflow import calibration_objective, named_priors


@pytest.fixture(scope="module")
def design():
    return ma.design()


def test_sample_leaves_out_the_groups_without_2010_gdp(design):
    assert design.n == 201 and len(design.excluded) == 14
    assert design.excluded["missing_gdp_2010"].sum() == 15
    assert np.isfinite(design.sample["growth"]).all()
    # The deflators move every group of a province alike.
    s = design.sample.loc[500101]
    assert s["growth"] == pytest.approx(math.log(s["gdp_2019"] / 1.1744 / s["gdp_2010"]))


def test_market_access_never_falls_and_rises_where_a_station_opens(design):
    codes = ma.load_region("sichuan_chongqing", 2010).codes
    gains = np.isin(codes, list(ma.station_counties(2010, 2019)))
    gains &= ~np.isin(codes, list(ma.station_counties(0, 2009)))
    assert gains.sum() == 58
    for theta in (0.1, 0.5, 1.5):
        change = design.unit_shock(theta)
        assert (change >= -1e-12).all()
        assert (change[gains] > 1e-6).all()
        rail_only = design.unit_shock(theta, before="after_without_new_rail")
        assert (rail_only >= -1e-12).all() and (rail_only[gains] > 1e-6).all()
        assert (design.shock(theta) > 0).all()


def test_regression_recovers_a_known_phi_and_theta(design):
    rng = np.random.default_rng(7)
    truth_phi, truth_theta = 0.3, 0.5
    x = design.shock(truth_theta)
    frame = ma.controls_frame(design, truth_theta)
    y = (0.2 + truth_phi * x - 0.05 * frame["ln_gdp_per_capita_2010"]
         + 0.01 * rng.standard_normal(design.n))
    fit = ma.estimate(design, truth_theta, y=y)
    assert fit.coef == pytest.approx(truth_phi, abs=3 * fit.se)
    assert fit.se < 0.05 and fit.ci[0] < truth_phi < fit.ci[1]
    profile = ma.theta_profile(design, (0.2, 0.35, 0.5, 0.75, 1.0), y=y)
    assert profile.loc[profile["delta"].idxmin(), "theta"] == truth_theta
    # The regression on pure noise finds nothing.
    noise = ma.estimate(design, truth_theta, y=rng.standard_normal(design.n))
    assert noise.ci[0] < 0 < noise.ci[1]


def test_binding_function_is_the_model_regression_at_each_phi(design):
    _, b1, table = ma.binding(design, 0.5, phis=(0.0, 0.1))
    assert b1 > 0.5  # more agglomeration, more growth where access rose
    y = ma.simulated_growth(design, design.params.replace(agglomeration_elasticity=0.1,
                                                          market_access_decay_per_h=0.5))
    assert table["beta"].iloc[1] == pytest.approx(ma.estimate(design, 0.5, y=y).coef)


def test_placebos_and_permutation_run_and_are_reproducible(design):
    table = checks.placebos(design, 0.5)
    assert len(table) == 4 and table["n"].eq(201).all()
    a = checks.permutation(design, 0.5, draws=49)
    assert a == checks.permutation(design, 0.5, draws=49)
    assert 1 / 50 <= a["p_value"] <= 1 and a["q025"] < a["q975"]
    rob = checks.robustness(design, 0.5)
    assert rob.loc[0, "coef"] == pytest.approx(ma.estimate(design, 0.5).coef)
    assert (rob["n"] <= 201).all() and rob["n"].min() < 150


def test_prior_penalty_enters_j_as_documented():
    prior = Prior("agglomeration_elasticity", -0.2, 0.25, "test")
    plain = calibration_objective(names=("migration_rate",), end_year=2012)
    with_prior = calibration_objective(names=("migration_rate",), end_year=2012,
                                       priors=(prior,))
    z = np.array([0.4])
    e0, e1 = plain.evaluate(z), with_prior.evaluate(z)
    phi = Parameters().agglomeration_elasticity
    assert e1.prior == pytest.approx(((phi + 0.2) / 0.25) ** 2)
    assert e1.objective == pytest.approx(e0.objective + e1.prior)
    assert e0.prior == 0.0 and e0.mse == e1.mse
    assert prior_penalty((prior,), {"agglomeration_elasticity": -0.2}) == 0.0


def test_bad_priors_are_input_errors():
    p = Prior("agglomeration_elasticity", 0.0, 1.0, "x")
    messages = []
    for bad in (lambda: Prior("phi", 0.0, 1.0, "x"),
                lambda: Prior("agglomeration_elasticity", 0.0, 0.0, "x"),
                lambda: calibration_objective(names=("migration_rate",), priors=(p, p)),
                lambda: named_priors(("nope",))):
        with pytest.raises(InputError) as err:
            bad()
        messages.append(str(err.value))
    assert messages == [
        "prior on an unknown parameter 'phi'; see docs/parameters.md for the list",
        "prior on 'agglomeration_elasticity': mean must be finite and sd a positive number, "
        "got mean 0.0, sd 0.0",
        "more than one prior on agglomeration_elasticity",
        "--prior: unknown prior set 'nope'; allowed: literature, market-access, "
        "market-access-basin, none",
    ]


def test_market_access_prior_is_the_mapped_estimate():
    e = ma.market_access_estimate()
    (prior,) = ma.market_access_priors()
    assert prior.name == "agglomeration_elasticity"
    assert prior.mean == e.phi and prior.sd == e.se > 0
    assert e.phi == pytest.approx((e.beta - e.binding[0]) / e.binding[1])
    assert e.theta_interval[0] <= e.theta_hat <= e.theta_interval[1]
    assert e.ci[0] < e.phi < e.ci[1]


def test_estimate_command_prints_the_tables(capsys):
    assert main(["estimate", "market-access", "--theta", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "Sample `all`: 201 comparison groups." in out
    assert "| placebo: 2020–2025 lines |" in out and "prefecture fixed effects" in out
    assert "At θ = 0.5/h: reduced-form β̂ = " in out


@pytest.mark.parametrize("argv, message", [
    (["estimate", "market-access", "--theta", "9"], "--theta: expected a decay"),
    (["estimate", "market-access", "--sample", "east"], "--sample: unknown sample 'east'"),
    (["estimate", "market-access", "--json", "/no/such/folder/x.json"], "--json: folder"),
    (["calibrate", "--prior", "nope", "--out", "/tmp/never"], "--prior: unknown prior set"),
])
def test_bad_estimate_input_is_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_rail_hurts_some_bypassed_counties_in_the_model():
    from sim.studies.calibration.rail_bypass import bypass_effects, bypass_summary

    effects = bypass_effects()
    assert len(effects) == 221 and effects["gains_station"].sum() == 58
    far = effects[effects["band"] == "over 2 h"]
    # Their market access rose, yet most lose residents to the better-connected.
    assert (far["d_ln_population"] < 0).mean() > 0.5
    summary = bypass_summary(effects)
    assert summary.index[0] == "gains a station"
    assert summary["units"].sum() == 221
