"""Calibration machinery: targets, split, metrics, baselines by hand, a synthetic twin."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.base.errors import InputError
from sim.model.parameters import Parameters
from sim.model.region import load_region
from sim.model.shell import CountyModel
from sim.studies.calibration import baselines, metrics
from sim.studies.calibration.fit import calibrate, profile_intervals
from sim.studies.calibration.objective import SearchSpace, residuals
from sim.studies.calibration.observed import census_targets
from sim.studies.calibration.split import held_out_groups, held_out_mask
from sim.studies.calibration.validation_run import run_validation, validation_scenario
from sim.studies.calibration.workflow import calibration_objective, split_text

# --- targets and split ---------------------------------------------------------------


def test_group_totals_are_the_census_totals():
    t = census_targets("sichuan_chongqing")
    g = t.groups
    assert t.n == 215
    sichuan = g["province"] == "Sichuan"
    assert g.loc[sichuan, "pop_2010"].sum() == 80_417_528
    assert g.loc[~sichuan, "pop_2010"].sum() == 28_846_170
    assert g.loc[sichuan, "pop_2020"].sum() == 83_674_866
    # The 2010 state of the model (multi-unit groups split by 2020 shares) sums
    # back to the group totals.
    region = load_region("sichuan_chongqing", 2010).table
    np.testing.assert_allclose(t.aggregate(region["population"]), g["pop_2010"], rtol=1e-12)
    np.testing.assert_allclose(t.aggregate(region["urban_population"]), g["urban_2010"],
                               rtol=1e-12)
    # 14 groups have a member whose 2010 GDP is imputed: not used for GDP.
    assert (~g["gdp_comparable"]).sum() == 14
    ccec = census_targets("ccec")
    assert ccec.n == g["in_ccec"].sum() == 135


def test_split_is_fixed_and_stratified_by_province_and_size():
    held = held_out_groups()
    assert len(held) == 72
    g = census_targets().groups
    mask = held_out_mask(g.index.to_numpy())
    assert mask.sum() == 72
    assert (g["province"][mask] == "Chongqing").sum() == 13
    for province in ("Sichuan", "Chongqing"):
        sizes = g[g["province"] == province].sort_values("pop_2010", ascending=False)
        flags = held_out_mask(sizes.index.to_numpy())
        blocks = [flags[i:i + 3] for i in range(0, len(flags), 3)]
        assert all(b.sum() == (1 if len(b) >= 2 else 0) for b in blocks)
    # Fixed: independent of anything but the codes (hash of the cmp_group code).
    assert 510115 in held and 500103 not in held  # Wenjiang held out, Yuzhong not


def test_split_text_gives_the_counts_of_the_region_calibrated():
    from sim.base.sources import data_file
    from sim.base.tomlfile import read_toml

    shipped = read_toml(data_file("calibrated_parameters.toml"), "parameter file")
    assert split_text(calibration_objective()) == shipped["provenance"]["split"]
    held = int(held_out_mask(census_targets("ccec").groups.index.to_numpy()).sum())
    text = split_text(calibration_objective("ccec"))
    assert "split of the 135 comparison groups" in text
    assert f"({held} held out, {135 - held} training;" in text and held < 72


# --- metrics -----------------------------------------------------------------------


def test_population_metrics_by_hand():
    p10 = np.array([100.0, 100.0, 100.0, 100.0])
    p20 = np.array([200.0, 100.0, 50.0, 100.0])
    pred = np.array([100.0, 100.0, 50.0, 200.0])
    m = metrics.population_metrics(p10, p20, pred)
    obs, hat = np.log([2, 1, 0.5, 1]), np.log([1, 1, 0.5, 2])
    ln2 = math.log(2)
    assert m["rmse"] == pytest.approx(math.sqrt((ln2**2 + ln2**2) / 4))
    ss_tot = ((obs - obs.mean()) ** 2).sum()
    assert m["r2"] == pytest.approx(1 - 2 * ln2**2 / ss_tot)
    # |pred/obs − 1| = 0.5, 0, 0, 1 → median 0.25.
    assert m["mdape"] == pytest.approx(25.0)
    # Signs: obs (+, 0, −, 0), pred (0, 0, −, +): two agree.
    assert m["sign"] == pytest.approx(0.5)
    assert m["bias"] == pytest.approx(np.mean(hat - obs))
    assert m["n"] == 4


def test_urban_metrics_are_in_percentage_points():
    m = metrics.urban_metrics(np.array([100.0, 100]), np.array([40.0, 50]),
                              np.array([100.0, 100]), np.array([50.0, 55]),
                              np.array([100.0, 100]), np.array([45.0, 55]))
    # Observed changes +10, +5 pp; predicted +5, +5 pp.
    assert m["rmse"] == pytest.approx(math.sqrt(25 / 2))
    assert m["mdae"] == pytest.approx(2.5)
    assert m["sign"] == 1.0


def test_a_predictor_of_no_change_has_no_sign_and_no_ranking():
    # Natural change keeps every urban share: U·f / (P·f) differs from U / P only by
    # rounding, which must neither count as a direction nor be ranked.
    pop, urban = np.array([300.0, 700.0, 1100.0]), np.array([100.0, 300.0, 1100.0])
    factor = np.array([1.1, 0.7, 1.3])
    m = metrics.urban_metrics(pop, urban, pop, np.array([130.0, 300.0, 1100.0]),
                              pop * factor, urban * factor)
    # Observed changes +10 pp, 0, 0 (the last fully urban); predicted 0, 0 (7e-15
    # by rounding) and 0: the last two agree.
    assert m["sign"] == pytest.approx(2 / 3)
    assert math.isnan(m["spearman"])


# --- baselines by hand on a tiny constructed region ---------------------------------

POP = np.array([100.0, 200.0, 300.0])
URBAN = np.array([50.0, 100.0, 280.0])
PROVINCE = np.array(["A", "A", "B"])


def test_persistence_by_hand():
    growth = baselines.province_growth(np.array([100.0, 200, 300]), np.array([120.0, 210, 270]),
                                       PROVINCE)
    assert growth == {"A": pytest.approx(1.1), "B": pytest.approx(0.9)}
    pop, urban = baselines.persistence(POP, URBAN, PROVINCE, growth, {"A": 1.5, "B": 1.2})
    np.testing.assert_allclose(pop, [110.0, 220.0, 270.0])
    # Urban grows at 1.5 and 1.2, capped at the population (280·1.2 = 336 > 270).
    np.testing.assert_allclose(urban, [75.0, 150.0, 270.0])


def test_natural_change_by_hand():
    pop, urban = baselines.natural_change(POP, URBAN, np.array([0.02, 0.01, 0.0]),
                                          np.array([0.01, 0.01, 0.01]), years=10)
    np.testing.assert_allclose(pop, [100 * 1.01**10, 200.0, 300 * 0.99**10])
    np.testing.assert_allclose(urban / pop, URBAN / POP)


def test_gravity_by_hand():
    mass = np.array([1.0, 1.0, 2.0])
    tt = np.array([[0.5, 1.0, 2.0], [1.0, 0.5, 1.0], [2.0, 1.0, 0.5]])
    pred = baselines.gravity(POP, mass, tt, move_share=0.5, alpha=1.0, beta=1.0,
                             log_growth=0.0)
    e = math.exp
    rows = [[1 * e(-0.5), 1 * e(-1.0), 2 * e(-2.0)],
            [1 * e(-1.0), 1 * e(-0.5), 2 * e(-1.0)],
            [1 * e(-2.0), 1 * e(-1.0), 2 * e(-0.5)]]
    share = [[w / sum(r) for w in r] for r in rows]
    expected = [0.5 * POP[j] + 0.5 * sum(POP[i] * share[i][j] for i in range(3))
                for j in range(3)]
    np.testing.assert_allclose(pred, expected)
    assert pred.sum() == pytest.approx(POP.sum())  # production-constrained
    grown = baselines.gravity(POP, mass, tt, move_share=0.5, alpha=1.0, beta=1.0,
                              log_growth=math.log(1.1))
    np.testing.assert_allclose(grown, 1.1 * np.array(expected))


def test_gravity_fit_recovers_its_parameters():
    x = np.array([0.0, 0.7, 1.1, 2.0, 2.4, 3.5, 4.1, 5.0])
    tt = np.abs(x[:, None] - x[None, :]) + np.diag(np.full(8, 0.3))
    pop = np.array([100.0, 80, 300, 50, 120, 400, 90, 60])
    mass = np.array([1.0, 0.5, 4.0, 0.4, 1.5, 6.0, 0.8, 0.3])
    truth = {"move_share": 0.3, "alpha": 1.2, "beta": 0.8, "log_growth": 0.05}
    observed = baselines.gravity(pop, mass, tt, **truth)
    fitted = baselines.fit_gravity(pop, mass, tt, np.arange(8), pop, observed,
                                   np.ones(8, dtype=bool))
    for key, value in truth.items():
        assert getattr(fitted, key) == pytest.approx(value, rel=1e-4, abs=1e-6)
    assert fitted.rmse < 1e-8


# --- the validation run --------------------------------------------------------------

LINES_BY_YEAR = {
    "Chongqing–Lichuan railway": 2013,
    "Chengdu–Mianyang–Leshan intercity railway": 2014,
    "Chengdu–Chongqing intercity railway (Chengdu–Chongqing HSR)": 2015,
    "Chongqing–Wanzhou intercity railway": 2016,
}


def test_rail_lines_open_in_their_real_years_in_the_validation_run():
    model = CountyModel(validation_scenario(), deterministic=True, parameters=Parameters())
    assert model.year == 2010
    seen = {}
    while model.year < 2016:
        model.step()
        if model.year in (2012, 2016):
            graph = model.network.graph()
            assert graph.graph["year"] == model.year
            seen[model.year] = {d["line"] for _, _, d in graph.edges(data=True)
                                if d["mode"] == "rail"}
    for line, year in LINES_BY_YEAR.items():
        assert year > 2012 and line not in seen[2012], line
        assert line in seen[2016], line
    # Lines of later years and planned lines are not there in 2016.
    assert "Chengdu–Zigong–Yibin high-speed railway (Chengdu–Yibin HSR)" not in seen[2016]
    assert "Chengdu–Dazhou–Wanzhou high-speed railway" not in seen[2016]
    # The 2010 Chengdu–Dujiangyan line is there from the start.
    assert "Chengdu–Dujiangyan intercity railway (main line)" in seen[2012]


def test_residuals_are_zero_for_the_model_against_itself():
    targets = census_targets()
    out = run_validation(Parameters(), end_year=2012)
    twin = targets.with_2020(out)
    res = residuals(out, twin, np.ones(targets.n, dtype=bool))
    for values in res.values():
        assert np.abs(values).max() < 1e-12


def test_search_space_maps_ranges_both_ways():
    space = SearchSpace(("migration_rate", "income_elasticity"))
    assert space.scales == ("log", "linear")  # 0.02–0.30 spans > 10×; 0.5–4 does not
    values = space.values(np.array([0.5, 0.5]))
    assert values["migration_rate"] == pytest.approx(math.sqrt(0.02 * 0.30))
    assert values["income_elasticity"] == pytest.approx(2.25)
    np.testing.assert_allclose(space.unit(values), [0.5, 0.5])
    with pytest.raises(InputError, match="unknown parameter 'nope'"):
        SearchSpace(("nope",))


def test_calibration_recovers_known_parameters_on_a_synthetic_twin():
    """Data generated by the model with known parameters are fitted back."""
    truth = {"migration_rate": 0.08, "destination_size_weight": 0.6}
    base = Parameters()
    targets = census_targets()
    out = run_validation(base.replace(**truth), end_year=2014)
    twin = targets.with_2020(out)
    objective = calibration_objective(names=tuple(truth), targets=twin, base=base,
                                      end_year=2014)
    result = calibrate(objective, starts=2, workers=1, max_evals=150)
    for name, value in truth.items():
        assert result.values[name] == pytest.approx(value, rel=0.02), result.values
    # Both starts (the prior, 0.05 and 1.0, and a Latin-hypercube point) converge.
    for start in result.starts:
        found = objective.space.values(np.array(start.z))
        for name, value in truth.items():
            assert found[name] == pytest.approx(value, rel=0.05), (start, found)
    assert result.evaluation.mse["population"] < 1e-8


@pytest.mark.parametrize(("truth", "end_year"), [
    # the economy block (issue 15): its growth and GDP targets are 2019's, so to 2020
    ({"tfp_growth": 0.03, "agri_tfp_growth": 0.05}, 2020),
    ({"fertility_trend": -0.02, "roc_newcomer_rate": 0.002}, 2014),  # population accounts
], ids=["economy", "population-accounts"])
def test_synthetic_twin_recovers_the_new_parameters(truth, end_year):
    base = Parameters()
    targets = census_targets()
    twin = targets.with_2020(run_validation(base.replace(**truth), end_year=end_year))
    objective = calibration_objective(names=tuple(truth), targets=twin, base=base,
                                      end_year=end_year)
    result = calibrate(objective, starts=1, workers=1, max_evals=150)
    for name, value in truth.items():
        assert result.values[name] == pytest.approx(value, rel=0.05), result.values


def test_profile_intervals_interpolate_the_threshold():
    import pandas as pd

    table = pd.DataFrame({"parameter": "a", "value": [0.0, 1.0, 2.0, 3.0, 4.0],
                          "delta": [10.0, 2.0, 0.0, 1.0, 3.0]})
    iv = profile_intervals(table).iloc[0]
    # Crosses 3.84 between 0 (10) and 1 (2): 1 − (3.84 − 2)/8; upper end stays below.
    assert iv["lower"] == pytest.approx(1.0 - 1.841458820694124 / 8)
    assert iv["upper"] == 4.0 and iv["open_upper"] and not iv["open_lower"]


# --- posterior sample (emcee) ----------------------------------------------------------


@pytest.fixture(scope="module")
def twin_objective():
    truth = {"migration_rate": 0.08, "destination_size_weight": 0.6}
    targets = census_targets()
    twin = targets.with_2020(run_validation(Parameters().replace(**truth), end_year=2012))
    objective = calibration_objective(names=tuple(truth), targets=twin, base=Parameters(),
                                      end_year=2012)
    return objective, objective.space.unit(truth)


def test_posterior_chain_is_reproducible_and_resumes_exactly(twin_objective, tmp_path):
    from sim.studies.calibration import posterior

    objective, z_true = twin_objective
    quiet = {"walkers": 4, "workers": 1, "log": lambda _: None}
    whole = posterior.sample(objective, z_true, steps=6, **quiet)
    again = posterior.sample(objective, z_true, steps=6, **quiet)
    np.testing.assert_array_equal(whole.z, again.z)
    # Stopped after 3 steps (the checkpoint), then resumed to 6: the same chain.
    checkpoint = tmp_path / "chain.npz"
    posterior.sample(objective, z_true, steps=3, checkpoint=checkpoint, **quiet)
    resumed = posterior.sample(objective, z_true, steps=6, checkpoint=checkpoint, **quiet)
    np.testing.assert_array_equal(resumed.z, whole.z)
    np.testing.assert_array_equal(resumed.log_prob, whole.log_prob)
    # Every position is in the cube and its log posterior is −J/2 there.
    assert whole.z.shape == (6, 4, 2) and ((whole.z >= 0) & (whole.z <= 1)).all()
    assert whole.log_prob[-1, 0] == pytest.approx(-objective(whole.z[-1, 0]) / 2, rel=1e-12)
    # The walkers stay near the truth (J rises by thousands within a few % of it).
    values = [objective.space.values(z)["migration_rate"] for z in whole.z[-1]]
    assert max(abs(v / 0.08 - 1) for v in values) < 0.05
    # Another seed, another chain; other settings refuse the saved chain.
    other = posterior.sample(objective, z_true, steps=2, seed=7, **quiet)
    assert not np.array_equal(other.z, whole.z[:2])
    with pytest.raises(InputError, match="sampled with other settings"):
        posterior.sample(objective, z_true, steps=6, checkpoint=checkpoint,
                         temperature=2.0, **quiet)


def test_ensemble_draws_are_spaced_after_burn_in_and_written_with_provenance(twin_objective):
    from sim.studies.calibration import posterior

    objective, z_true = twin_objective
    chain = posterior.sample(objective, z_true, steps=4, walkers=4, workers=1,
                             log=lambda _: None)
    picked = posterior.draws(chain, 3)
    kept = chain.z[2:].reshape(-1, 2)
    np.testing.assert_array_equal(picked, kept[[0, 4, 7]])  # linspace(0, 7, 3) rounded
    with pytest.raises(InputError, match="has 8 draws, fewer than the 9 members"):
        posterior.draws(chain, 9)
    values = [objective.space.values(z) for z in picked]
    text = posterior.ensemble_text(objective.space.names, values, ["made by a test"])
    lines = text.splitlines()
    assert lines[0] == "# made by a test"
    assert lines[1] == "member,migration_rate,destination_size_weight"
    assert [float(x) for x in lines[2].split(",")[1:]] == [
        values[0]["migration_rate"], values[0]["destination_size_weight"]]
    with pytest.raises(InputError, match="at least twice as many walkers as parameters"):
        posterior.sample(objective, z_true, steps=1, walkers=3, workers=1)
