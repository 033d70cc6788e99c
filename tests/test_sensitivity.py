"""Sensitivity analysis: designs, indices, outcomes from the batch store, discovery, bad input.

Model runs here are short (2020→2021, deterministic) and serial: the pipeline
is the same as for a 2025 horizon, and a first simulated year allows an exact
check (investment happens after production and migration within a year, so
the population and Theil index of the first simulated year cannot depend on
the investment parameter ``home_bias``).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SCENARIOS

import sim
from sim.apps.cli import main
from sim.base.errors import InputError
from sim.studies.batch import BatchSpec, plan_batch
from sim.studies.sensitivity import (
    analyse,
    discover,
    load_sensitivity_spec,
    make_design,
    plan_sensitivity,
    run_sensitivity,
    spec_from_data,
    summary,
)
from sim.studies.sensitivity.discovery import box_stats
from sim.studies.sensitivity.spec import Analysis, Discovery

SPECS = ROOT / "scenarios" / "sensitivity"


# -- the plumbing on a function with known indices ----------------------------------------


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_truth(a: float = 7.0, b: float = 0.1) -> tuple[list[float], list[float]]:
    v1 = 0.5 * (1 + b * math.pi ** 4 / 5) ** 2
    v2 = a ** 2 / 8
    v13 = b ** 2 * math.pi ** 8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return [v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v]


def test_ishigami_sobol_indices_are_recovered():
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    design = make_design(problem, "sobol", 1024, seed=7)
    assert design.x.shape == (1024 * 5, 3)
    outcomes = pd.DataFrame({"y": ishigami(design.x)})
    indices = analyse(design, outcomes, Analysis(resamples=200), root_seed=7)
    table = indices.table.set_index("factor")
    s1, st = ishigami_truth()
    for name, s1_true, st_true in zip(["x1", "x2", "x3"], s1, st, strict=True):
        row = table.loc[name]
        assert abs(row["S1"] - s1_true) < 0.06, (name, row["S1"], s1_true)
        assert abs(row["ST"] - st_true) < 0.06, (name, row["ST"], st_true)
        assert row["ST_lo"] <= st_true <= row["ST_hi"] or abs(row["ST"] - st_true) < 0.02
    # Sorted by total index, largest first; convergence at N = 8 … 1024.
    assert list(table.index) == ["x1", "x2", "x3"]
    conv = indices.convergence
    assert sorted(conv["samples"].unique()) == [8, 16, 32, 64, 128, 256, 512, 1024]
    last = conv[(conv["samples"] == 1024) & (conv["index"] == "ST")].set_index("factor")
    assert last.loc["x1", "value"] == pytest.approx(table.loc["x1", "ST"])


def test_morris_and_lhs_rank_the_ishigami_factors():
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    morris = make_design(problem, "morris", 40, seed=1, levels=4)
    assert morris.x.shape == (40 * 4, 3)
    m = analyse(morris, pd.DataFrame({"y": ishigami(morris.x)}), Analysis(resamples=100), 1)
    assert (m.table["mu_star"] > 1).all()  # all three matter (x3 through interaction)
    lhs = make_design(problem, "lhs", 1000, seed=1)
    s1 = analyse(lhs, pd.DataFrame({"y": ishigami(lhs.x)}), Analysis(resamples=50), 1)
    s1 = s1.table.set_index("factor")["S1"]
    truth = ishigami_truth()[0]
    assert abs(s1["x1"] - truth[0]) < 0.08 and abs(s1["x2"] - truth[1]) < 0.08
    assert abs(s1["x3"]) < 0.08


def test_factorial_design_is_the_sweep_grid_and_main_effects_are_exact():
    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0.0, 1.0], [10.0, 20.0]]}
    design = make_design(problem, "factorial", 0, seed=1, levels=3)
    assert design.x.tolist() == [[a, b] for a in (0.0, 0.5, 1.0) for b in (10.0, 15.0, 20.0)]
    given = make_design(problem, "factorial", 0, seed=1, values=[[0.0, 1.0], None], levels=2)
    assert given.x.tolist() == [[0.0, 10.0], [0.0, 20.0], [1.0, 10.0], [1.0, 20.0]]
    y = 20 * design.x[:, 0] + design.x[:, 1]  # additive: Var 20²·Var(a) vs Var(b), 4:1
    table = analyse(design, pd.DataFrame({"y": y}), Analysis(), 1).table.set_index("factor")
    assert table.loc["a", "S1"] == pytest.approx(0.8) and table.loc["b", "S1"] == pytest.approx(0.2)


def test_a_constant_outcome_gets_a_note_not_an_error():
    problem = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1]] * 2}
    design = make_design(problem, "sobol", 16, seed=1)
    indices = analyse(design, pd.DataFrame({"flat": np.ones(len(design.x))}), Analysis(), 1)
    assert indices.table["ST"].isna().all()
    assert "does not vary" in indices.notes["flat"]


# -- the model ---------------------------------------------------------------------------

SPEC = {
    "name": "unused",
    "scenario": str(SCENARIOS / "baseline.toml"),
    "end_year": 2021,
    "seed": 11,
    "design": {"method": "sobol", "samples": 16},
    "analysis": {"resamples": 100},
    "factors": [{"parameter": "migration_rate"}, {"parameter": "stay_bonus"},
                {"parameter": "home_bias"}],
    "outcomes": [{"name": "pilot_population", "variable": "population", "counties": "pilots"},
                 {"name": "theil", "variable": "theil"}],
}


@pytest.fixture(scope="module")
def unused(tmp_path_factory):
    out = tmp_path_factory.mktemp("sens") / "unused"
    return run_sensitivity(spec_from_data(SPEC), out, executor="serial", progress=False,
                           formats=("png",))


def test_a_parameter_the_outcome_does_not_use_has_total_index_zero(unused):
    table = unused.indices.table.set_index(["outcome", "factor"])
    for outcome in ("pilot_population", "theil"):
        assert abs(table.loc[(outcome, "home_bias"), "ST"]) < 0.01
        assert abs(table.loc[(outcome, "home_bias"), "S1"]) < 0.01
        # ... while the migration parameters do matter
        assert table.loc[(outcome, "stay_bonus"), "ST"] > 0.05
    assert len(unused.outcomes) == 16 * 5
    assert unused.outcomes.notna().all().all()


def test_the_store_and_the_tables_agree(unused):
    out = unused.out
    for name in ("sensitivity.json", "design.csv", "runs.csv", "outcomes.csv", "indices.csv",
                 "convergence.csv", "index.md"):
        assert (out / name).is_file(), name
    assert (out / "figures" / "indices_theil.png").is_file()
    assert (out / "figures" / "convergence_theil.png").is_file()
    batch = sim.load_batch(out / "batch")
    assert batch.counts() == {"done": 80, "failed": 0, "missing": 0}
    assert set(batch.sweep) == {"migration_rate", "stay_bonus", "home_bias"}
    # Only what the outcomes read is stored (plus ids, keys and design columns).
    assert batch.tables == ("county_year", "region_year")
    part = next((out / "batch" / "county_year").glob("part-*.parquet"))
    assert set(pd.read_parquet(part).columns) == {
        "run_id", "scenario", "replicate", "seed", "year", "code", "population",
        "migration_rate", "stay_bonus", "home_bias"}
    # The outcome of point 3 is what a bare run at point 3 gives.
    point = unused.plan.design.frame().loc[3].to_dict()
    bare = sim.run(unused.plan.spec.scenario, deterministic=True, parameters=point)
    theil = bare.region_year.set_index("year").loc[2021, "theil"]
    assert unused.outcomes.loc[3, "theil"] == pytest.approx(theil, rel=1e-12)
    saved = pd.read_csv(out / "outcomes.csv", index_col="point")
    assert saved.loc[3, "theil"] == pytest.approx(theil, rel=1e-9)


def test_same_seed_same_design_other_seed_other_design():
    a, b = plan_sensitivity(spec_from_data(SPEC)), plan_sensitivity(spec_from_data(SPEC))
    np.testing.assert_array_equal(a.design.x, b.design.x)
    assert list(a.runs["run_id"]) == list(b.runs["run_id"])
    c = plan_sensitivity(spec_from_data({**SPEC, "seed": 12}))
    assert not np.array_equal(a.design.x, c.design.x)


def test_outcomes_cannot_read_columns_that_are_empty_in_the_start_year():
    """FLOW_VARIABLES are exactly the outcome columns the start year leaves empty."""
    from sim.studies.sensitivity.outcomes import COUNTY_VARIABLES, FLOW_VARIABLES, REGION_VARIABLES

    scenario = sim.load_scenario(SCENARIOS / "public_services.toml")
    scenario = scenario.with_changes(end_year=scenario.start_year + 1)
    results = sim.run(scenario, deterministic=True)
    for table, variables in ((results.county_year, COUNTY_VARIABLES),
                             (results.region_year, REGION_VARIABLES)):
        first = table[table["year"] == scenario.start_year]
        empty = {v for v in variables if first[v].isna().all()}
        assert empty == FLOW_VARIABLES & set(variables)
        later = table[table["year"] == scenario.end_year]
        assert not later[list(variables)].isna().all().any()  # filled once simulated
    assert {"fiscal_transfer_bn_yuan", "land_quota_transfer_km2", "net_migration",
            "roc_net_migration"} <= FLOW_VARIABLES
    data = {k: v for k, v in SPEC.items() if k != "end_year"}
    data["scenario"] = str(SCENARIOS / "public_services.toml")
    for variable in ("fiscal_transfer_bn_yuan", "land_traded_km2"):
        outcome = {"name": "x", "variable": variable, "counties": "pilots",
                   "year": scenario.start_year}
        with pytest.raises(InputError, match=rf"outcomes\[0\]\.year: expected a year from "
                                             rf"{scenario.start_year + 1}"):
            spec_from_data({**data, "outcomes": [outcome]})


def test_plan_does_not_replace_the_plan_of_an_analysis(unused, tmp_path, capsys):
    spec = tmp_path / "unused.toml"
    spec.write_text(
        f'scenario = "{SCENARIOS / "baseline.toml"}"\nend_year = 2021\nseed = 11\n'
        '[design]\nmethod = "sobol"\nsamples = 16\n[analysis]\nresamples = 100\n'
        '[[factors]]\nparameter = "migration_rate"\n[[factors]]\nparameter = "stay_bonus"\n'
        '[[factors]]\nparameter = "home_bias"\n'
        '[[outcomes]]\nname = "pilot_population"\nvariable = "population"\n'
        'counties = "pilots"\n[[outcomes]]\nname = "theil"\nvariable = "theil"\n')
    assert plan_sensitivity(spec).batch.fingerprint() == unused.plan.batch.fingerprint()
    before = {n: (unused.out / n).read_bytes() for n in ("design.csv", "runs.csv",
                                                        "sensitivity.json")}
    assert main(["sensitivity", str(spec), "--out", str(unused.out), "--plan"]) == 2
    assert "results folder is not empty; add --resume" in capsys.readouterr().err
    changed = tmp_path / "changed.toml"
    changed.write_text(spec.read_text().replace("seed = 11", "seed = 12"))
    assert main(["sensitivity", str(changed), "--out", str(unused.out), "--plan",
                 "--resume"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot resume: the design changed" in err[0], err
    assert {n: (unused.out / n).read_bytes() for n in before} == before


def test_resume_after_interruption_gives_the_same_indices(unused, tmp_path, record_runs):
    record_runs(interrupt_after=30)
    out = tmp_path / "again"
    with pytest.raises(KeyboardInterrupt):
        run_sensitivity(spec_from_data(SPEC), out, executor="serial", progress=False,
                        figures=False)
    assert sim.load_batch(out / "batch").counts()["done"] == 30
    record_runs()  # no more interruptions
    with pytest.raises(InputError, match="not empty; add --resume"):
        run_sensitivity(spec_from_data(SPEC), out, executor="serial", progress=False)
    again = run_sensitivity(spec_from_data(SPEC), out, executor="serial", resume=True,
                            progress=False, figures=False)
    assert again.batch.session["ran"] == 50
    pd.testing.assert_frame_equal(again.indices.table, unused.indices.table)
    pd.testing.assert_frame_equal(again.outcomes, unused.outcomes)


def test_effects_pair_scenario_and_baseline_runs(tmp_path):
    data = {
        "name": "effects", "scenario": str(SCENARIOS / "public_services.toml"),
        "baseline": str(SCENARIOS / "baseline.toml"), "end_year": 2022, "seed": 3,
        "design": {"method": "morris", "samples": 3, "levels": 4},
        "analysis": {"resamples": 20, "convergence": False},
        "factors": [{"parameter": "services_weight"},
                    {"lever": "pilot_services", "field": "services_boost"}],
        "outcomes": [{"name": "effect", "variable": "population", "counties": "pilots",
                      "effect": "absolute"},
                     {"name": "share", "variable": "urban_population", "counties": "pilots",
                      "effect": "relative"}],
        "discovery": {"outcome": "effect", "threshold": 0.0},
    }
    spec = spec_from_data(data)
    assert spec.factors[1].range_source.startswith("lever off")
    assert (spec.factors[1].lo, spec.factors[1].hi) == (0.0, 0.2)
    plan = plan_sensitivity(spec)
    # Baseline runs do not depend on the lever: points differing only in it share one.
    assert plan.runs["baseline_run_id"].nunique() < len(plan.runs)
    result = run_sensitivity(spec, tmp_path / "e", executor="serial", progress=False,
                             figures=False)
    batch = sim.load_batch(tmp_path / "e" / "batch")
    runs = batch.runs
    assert runs.loc[runs["scenario"] == "baseline", "pilot_services.services_boost"].isna().all()
    cy = batch.read("county_year", columns=["run_id", "year", "code", "population"],
                    filters=[("year", "==", 2022)])
    pilots = set(spec.outcomes[0].codes)
    by_run = cy[cy["code"].isin(pilots)].groupby("run_id", observed=True)["population"].sum()
    row = plan.runs.iloc[5]
    expected = by_run[row["run_id"]] - by_run[row["baseline_run_id"]]
    assert result.outcomes.loc[row["point"], "effect"] == pytest.approx(expected)
    assert result.indices.method == "morris"
    assert {"mu_star", "sigma", "mu_star_conf"} <= set(result.indices.table.columns)
    assert result.discovery is not None


# -- the batch layer's explicit designs ---------------------------------------------------


def test_an_explicit_design_plans_lever_variants_and_shares_identical_runs(baseline):
    lever = sim.load_scenario(SCENARIOS / "public_services.toml")
    design = [{"migration_rate": 0.04, "pilot_services.services_boost": 0.05},
              {"migration_rate": 0.04, "pilot_services.services_boost": 0.15}]
    spec = BatchSpec(scenarios=(lever, baseline), design=design, deterministic=True, seed=1)
    plan = plan_batch(spec)
    assert len(plan) == 3  # the baseline runs once: the lever does not exist there
    boosts = [r.scenario.levers[0].services_boost for r in plan if r.scenario_name != "baseline"]
    assert boosts == [0.05, 0.15]
    base = next(r for r in plan if r.scenario_name == "baseline")
    assert base.parameters == {"migration_rate": 0.04}
    assert math.isnan(base.point["pilot_services.services_boost"])
    assert spec.to_data()["design"]["points"] == 2


@pytest.mark.parametrize(("design", "message"), [
    ([{"migraton_rate": 0.1}], "design[0].migraton_rate: unknown parameter; did you mean "
                               "'migration_rate'?"),
    ([{"nope.services_boost": 0.1}], "no scenario has a lever with id 'nope'"),
    ([{"pilot_services.cross_border": 1.0}], "'cross_border' is not a numeric intensity"),
    ([{"migration_rate": 0.1}, {"migration_rate": 2.0}],
     "design[1].migration_rate: 2 is outside the allowed range [0, 1]"),
    ([{"migration_rate": 0.1}, {"stay_bonus": 2.0}], "design[1]: expected values of the same"),
])
def test_bad_design_points(design, message):
    lever = sim.load_scenario(SCENARIOS / "public_services.toml")
    with pytest.raises(InputError) as err:
        BatchSpec(scenarios=(lever,), design=design)
    assert message in str(err.value)


def test_bad_output_columns(baseline):
    with pytest.raises(InputError, match=r"output.columns.county_year: unknown column "
                                         r"'populaton'; did you mean 'population'\?"):
        BatchSpec(scenarios=(baseline,), columns={"county_year": ["populaton"]})
    with pytest.raises(InputError, match=r"output\.columns\.flows: not a table this batch"):
        BatchSpec(scenarios=(baseline,), columns={"flows": ["migrants"]})


# -- scenario discovery --------------------------------------------------------------------


def test_discovery_finds_the_box_that_makes_the_outcome_pass():
    from sim.studies.sensitivity.factors import Factor

    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.uniform(0, 1, size=(600, 3)), columns=["a", "b", "c"])
    y = ((x["a"] > 0.6) & (x["b"] < 0.3)).to_numpy(dtype=float)
    factors = [Factor(n, 0.0, 1.0, "1", n, 0.5, "given") for n in "abc"]
    result = discover(x, y, Discovery(outcome="y", threshold=0.5), factors, seed=1)
    box = result.boxes[0]
    assert set(box.limits) == {"a", "b"}
    assert box.limits["a"][0] == pytest.approx(0.6, abs=0.03)
    assert box.limits["b"][1] == pytest.approx(0.3, abs=0.03)
    assert box.density > 0.95 and box.coverage > 0.95
    text = summary(result)
    assert re.search(r"a is above 0\.6\d*", text) and re.search(r"b is below 0\.(3|29\d)", text)
    assert "the other factor anywhere in its range" in text and "(density)" in text
    assert f"{box.coverage:.0%} of all design points where y is above 0.5 (coverage)" in text
    prim = discover(x, y, Discovery(outcome="y", threshold=0.5, method="prim"), factors, 1)
    assert prim.boxes and set(prim.boxes[0].limits) <= {"a", "b"}
    assert prim.boxes[0].density >= 0.8
    assert box_stats(x, y.astype(bool), {}).mass == 1.0
    none = discover(x, np.zeros(600), Discovery(outcome="y", threshold=0.5), factors, 1)
    assert none.boxes == [] and "No point of the design" in summary(none)


# -- specs and the command line ----------------------------------------------------------


def test_shipped_specs_load_and_plan():
    small = plan_sensitivity(SPECS / "pilot_services.toml")
    assert small.design.method == "sobol" and len(small.design.x) == 64 * 7
    factors = {f.name: f for f in small.spec.factors}
    plausible = sim.Parameters.specs()["migration_rate"].plausible
    assert (factors["migration_rate"].lo, factors["migration_rate"].hi) == plausible
    bench = load_sensitivity_spec(SPECS / "bench_sobol8.toml")
    assert len(bench.factors) == 8 and bench.design.samples == 512
    assert not bench.needs_baseline and bench.design.second_order  # 512 × (2·8 + 2) = 9,216


def test_command_line_plans_runs_and_analyses(tmp_path, capsys):
    spec = tmp_path / "small.toml"
    spec.write_text(
        f'scenario = "{SCENARIOS / "baseline.toml"}"\nend_year = 2021\nseed = 5\n'
        '[design]\nmethod = "lhs"\nsamples = 12\n'
        '[analysis]\nresamples = 20\n'
        '[[factors]]\nparameter = "migration_rate"\n'
        '[[factors]]\nparameter = "stay_bonus"\nrange = [2.0, 6.0]\n'
        '[[outcomes]]\nname = "theil"\nvariable = "theil"\n'
        '[discovery]\noutcome = "theil"\nthreshold = 0.05\n')
    out = tmp_path / "out"
    assert main(["sensitivity", str(spec), "--out", str(out), "--plan"]) == 0
    assert "12 points" in capsys.readouterr().out
    assert (out / "design.csv").is_file() and not (out / "batch").exists()
    assert main(["sensitivity", str(spec), "--out", str(out), "--workers", "1", "--quiet",
                 "--no-figures"]) == 0
    printed = capsys.readouterr().out
    assert "ran 12 runs" in printed and "theil: S1" in printed and "Scenario discovery" in printed
    assert main(["sensitivity", str(spec), "--out", str(out), "--workers", "1", "--quiet",
                 "--no-figures", "--resume"]) == 0
    assert "nothing to run" in capsys.readouterr().out
    assert main(["status", str(out / "batch")]) == 0
    assert "design of 12 points" in capsys.readouterr().out


BAD = [
    ("[[factors]]\nparameter = \"migraton_rate\"\n",
     "factors[0].parameter: migraton_rate: unknown parameter; did you mean 'migration_rate'?"),
    ("[[factors]]\nparameter = \"migration_rate\"\nrange = [0.5, 2.0]\n",
     "factors[0].range: 2 is outside the allowed range [0, 1] (1/year) of migration_rate"),
    ("[[factors]]\nparameter = \"migration_rate\"\nrange = [0.3, 0.1]\n",
     "factors[0].range: need lo < hi"),
    ("[[factors]]\nlever = \"nope\"\nfield = \"services_boost\"\n",
     "factors[0].lever: nope.services_boost: no scenario has a lever with id 'nope'"),
    ("[[factors]]\nparameter = \"migration_rate\"\n[[outcomes]]\nname = \"x\"\n"
     "variable = \"populaton\"\n",
     "outcomes[1].variable: 'populaton' is not a region variable"),
    ("[[factors]]\nparameter = \"migration_rate\"\n[[outcomes]]\nname = \"x\"\n"
     "variable = \"population\"\neffect = \"relative\"\n",
     "outcomes[1].effect: an effect needs a baseline"),
    ("[design]\nsamples = 100\n[[factors]]\nparameter = \"migration_rate\"\n",
     "design.samples: 100 is not a power of 2"),
    ("[design]\nmethod = \"sobl\"\n[[factors]]\nparameter = \"migration_rate\"\n",
     "design.method: 'sobl'; allowed: sobol, morris, lhs, factorial"),
    ("[discovery]\noutcome = \"y\"\nthreshold = 1\n[[factors]]\nparameter = \"stay_bonus\"\n",
     "discovery.outcome: 'y' is not an outcome of this spec; outcomes: theil"),
    ("sampels = 3\n[[factors]]\nparameter = \"stay_bonus\"\n",
     "sampels: unknown field; did you mean 'samples'? "),
    ("[[factors]]\nparameter = \"stay_bonus\"\nrnage = [2.0, 6.0]\n",
     "factors[0].rnage: unknown field; did you mean 'range'? allowed here: parameter, lever, "
     "field, range, values"),
    ("[[factors]]\nparameter = \"migration_rate\"\n[[outcomes]]\nname = \"x\"\n"
     "variable = \"theil\"\nyaer = 2021\n",
     "outcomes[1].yaer: unknown field; did you mean 'year'?"),
    ("[[factors]]\nparameter = \"migration_rate\"\n[[outcomes]]\nname = \"x\"\n"
     "variable = \"fiscal_transfer_bn_yuan\"\ncounties = \"pilots\"\nyear = 2020\n",
     "outcomes[1].year: expected a year from 2021 to 2025 (the years the scenario records "
     "flows of fiscal_transfer_bn_yuan), got 2020"),
]


@pytest.mark.parametrize(("body", "message"), BAD)
def test_bad_specs_give_one_line_and_exit_code_2(tmp_path, capsys, body, message):
    spec = tmp_path / "bad.toml"
    spec.write_text(f'scenario = "{SCENARIOS / "baseline.toml"}"\n{body}'
                    '[[outcomes]]\nname = "theil"\nvariable = "theil"\n')
    if message.startswith("sampels"):
        message = "sampels: unknown field; allowed here"
    if message.startswith("outcomes[1]"):
        spec.write_text(f'scenario = "{SCENARIOS / "baseline.toml"}"\n{body}')
        message = message.replace("outcomes[1]", "outcomes[0]")
    assert main(["sensitivity", str(spec), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"countysim: error: {spec}: "), err[0]
    assert message in err[0], err[0]
    assert not (tmp_path / "o").exists()


def test_missing_spec_file(tmp_path, capsys):
    assert main(["sensitivity", str(tmp_path / "nope.toml")]) == 2
    assert "sensitivity spec not found" in capsys.readouterr().err


def test_ema_workbench_adapter_computes_the_native_outcomes():
    ema = pytest.importorskip("ema_workbench")
    from sim.studies.sensitivity.ema import ema_model

    spec = spec_from_data({**SPEC, "scenario": str(SCENARIOS / "public_services.toml"),
                           "baseline": str(SCENARIOS / "baseline.toml"),
                           "factors": [*SPEC["factors"][:2],
                                       {"lever": "pilot_services", "field": "services_boost"}],
                           "outcomes": [*SPEC["outcomes"],
                                        {"name": "effect", "variable": "population",
                                         "counties": "pilots", "effect": "absolute"}]})
    model = ema_model(spec)
    assert [u.name for u in model.uncertainties] == ["migration_rate", "stay_bonus"]
    assert [lv.name for lv in model.levers] == ["pilot_services__services_boost"]
    experiments, outcomes = ema.perform_experiments(model, scenarios=2, policies=1)
    row = experiments.iloc[1]
    point = {n: float(row[n]) for n in ("migration_rate", "stay_bonus")}
    lever_scenario = spec.scenario.with_changes(levers=[
        spec.scenario.levers[0].model_copy(
            update={"services_boost": float(row["pilot_services__services_boost"])})])
    theil = sim.run(lever_scenario, deterministic=True, parameters=point).region_year
    assert outcomes["theil"][1] == pytest.approx(theil.set_index("year").loc[2021, "theil"])
    assert np.isfinite(outcomes["effect"]).all()


def test_spec_paths_are_relative_to_the_spec(tmp_path):
    spec = tmp_path / "s.toml"
    spec.write_text('scenario = "missing.toml"\n[[factors]]\nparameter = "stay_bonus"\n'
                    '[[outcomes]]\nname = "t"\nvariable = "theil"\n')
    with pytest.raises(InputError, match=r"scenario: scenario file 'missing.toml' not found"):
        load_sensitivity_spec(spec)
    assert Path(spec).is_file()
