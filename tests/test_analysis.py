"""Analysis of results tables against hand-computed values and constructed folders."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pandas as pd
import pytest
from batch_folder import lever_scenarios, write_batch

import sim
import sim.apps.cli
from sim import analysis
from sim.analysis import ResultsSet


def _ids(scenario: str, replicate: int) -> dict:
    return {"run_id": f"{scenario}-{replicate}", "scenario": scenario,
            "replicate": replicate, "seed": 7 + replicate}


def _region(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows)


# -- indicators --------------------------------------------------------------------------


def four_counties() -> pd.DataFrame:
    """Two provinces of two counties; per-capita GDP 1, 2, 3, 6 (yuan ×1e9)."""
    return pd.DataFrame({
        **_ids("baseline", 0), "year": 2020,
        "code": [510104, 510200, 500100, 500200],  # 510104 is a core district
        "name_en": list("ABCD"), "province": ["Sichuan", "Sichuan", "Chongqing", "Chongqing"],
        "is_pilot": [True, False, False, False],
        "population": [1.0, 1.0, 1.0, 1.0], "urban_population": [1.0, 0.0, 0.5, 0.5],
        "gdp_bn_yuan": [1.0, 2.0, 3.0, 6.0],
    })


def test_region_indicators_by_hand():
    out = analysis.region_indicators(four_counties()).iloc[0]
    s = np.array([1, 2, 3, 6]) / 12
    theil = float((s * np.log(4 * s)).sum())
    between = 0.25 * math.log(0.5) + 0.75 * math.log(1.5)
    within_group = (1 / 3) * math.log(2 / 3) + (2 / 3) * math.log(4 / 3)  # both provinces
    assert out["theil"] == pytest.approx(theil)
    assert out["theil_between_province"] == pytest.approx(between)
    assert out["theil_within_province"] == pytest.approx(within_group)
    # Gini: sum over ordered pairs of |xi - xj| = 32, / (2 n^2 mean) = 32 / 96.
    assert out["gini"] == pytest.approx(1 / 3)
    assert out["cv"] == pytest.approx(math.sqrt(3.5) / 3)
    assert out["pilot_gap"] == pytest.approx(math.log(1 / (11 / 3)))
    assert out["core_share"] == pytest.approx(0.25)
    assert out["urbanisation_rate"] == pytest.approx(0.5)
    assert out["gdp_per_capita_yuan"] == pytest.approx(3e9)


def test_region_indicators_match_the_recorded_region_table(stochastic_run):
    ours = analysis.region_indicators(stochastic_run.county_year)
    recorded = stochastic_run.region_year
    for col in ("theil", "theil_within_province", "theil_between_province", "gini", "cv",
                "core_share", "pilot_gap", "urbanisation_rate"):
        np.testing.assert_allclose(ours[col], recorded[col], rtol=1e-12, err_msg=col)


def test_region_indicators_of_a_subset_and_other_groups(stochastic_run):
    cy = stochastic_run.county_year
    sichuan = analysis.region_indicators(cy[cy["province"] == "Sichuan"])
    assert (sichuan["theil_between_province"].abs() < 1e-15).all()
    by_pilot = analysis.region_indicators(cy, groups="is_pilot")
    assert {"theil_within_is_pilot", "theil_between_is_pilot"} <= set(by_pilot.columns)
    with pytest.raises(sim.InputError, match="grouping column 'prefecture'"):
        analysis.region_indicators(cy, groups="prefecture")


def test_sigma_and_beta_convergence_by_hand():
    log_y0 = np.array([0.0, 1.0, 2.0])
    growth = 0.05 - 0.02 * log_y0  # beta = -0.02 exactly
    rows = []
    for year, log_y in ((2020, log_y0), (2025, log_y0 + 5 * growth)):
        rows.append(pd.DataFrame({**_ids("baseline", 0), "year": year, "code": [1, 2, 3],
                                  "population": [1.0, 2.0, 3.0],
                                  "gdp_per_capita_yuan": np.exp(log_y)}))
    cy = pd.concat(rows, ignore_index=True)
    sigma = analysis.sigma_convergence(cy).set_index("year")["sigma"]
    assert sigma[2020] == pytest.approx(math.sqrt(2 / 3))
    assert sigma[2025] == pytest.approx(math.sqrt(2 / 3) * 0.9)  # spread shrinks by 1 + 5β
    beta = analysis.beta_convergence(cy).iloc[0]
    assert beta["beta"] == pytest.approx(-0.02)
    assert beta["intercept"] == pytest.approx(0.05)
    assert beta["r2"] == pytest.approx(1.0)
    assert beta["speed"] == pytest.approx(-math.log(0.9) / 5)
    assert beta["half_life_years"] == pytest.approx(math.log(2) / (-math.log(0.9) / 5))


# -- scenario vs baseline ----------------------------------------------------------------


def constructed_region_results() -> ResultsSet:
    """Baseline GDP 100 + r; scenario 'a' adds r + 1 in 2025 (r = replicate 0..4)."""
    rows = []
    for r in range(5):
        for year in (2020, 2025):
            base = 100.0 + r
            extra = (r + 1.0) if year == 2025 else 0.0
            rows.append({**_ids("baseline", r), "year": year, "gdp_bn_yuan": base})
            rows.append({**_ids("a", r), "year": year, "gdp_bn_yuan": base + extra})
    region = pd.DataFrame(rows).sample(frac=1.0, random_state=3)  # order must not matter
    return ResultsSet(county_year=pd.DataFrame(), region_year=region)


def test_paired_differences_and_bands_have_known_values():
    rs = constructed_region_results()
    d = analysis.compare(rs, "gdp_bn_yuan", "baseline")
    row = d[d["year"] == 2025].iloc[0]
    assert row["scenario"] == "a" and row["n"] == 5
    assert row["mean"] == pytest.approx(3.0)
    assert row["low"] == pytest.approx(1.2)  # 5th percentile of 1..5 (linear)
    assert row["high"] == pytest.approx(4.8)
    assert d[d["year"] == 2020]["mean"].iloc[0] == 0
    rel = analysis.paired_differences(rs, "gdp_bn_yuan", "baseline", relative=True)
    rel = rel[rel["year"] == 2025].set_index("replicate")["difference"]
    for r in range(5):
        assert rel[r] == pytest.approx(100 * (r + 1) / (100 + r))


def test_differences_need_a_baseline_run_of_each_replicate():
    rs = constructed_region_results()
    region = rs.region_year
    rs = ResultsSet(county_year=pd.DataFrame(),
                    region_year=region[~((region["scenario"] == "baseline")
                                         & (region["replicate"] == 4))])
    with pytest.raises(sim.InputError, match="'a' replicate 4 has no baseline run"):
        analysis.compare(rs, "gdp_bn_yuan", "baseline")


def test_unknown_baseline_and_variable_are_input_errors():
    rs = constructed_region_results()
    with pytest.raises(sim.InputError, match=r"baseline scenario 'base' is not in this folder; "
                                             r"scenarios here: (baseline, a|a, baseline)$"):
        analysis.compare(rs, "gdp_bn_yuan", "base")
    with pytest.raises(sim.InputError, match=r"unknown region variable 'gdp'; allowed: .*"
                                             r"gdp_bn_yuan"):
        analysis.compare(rs, "gdp", "baseline")


# -- pilot effect ------------------------------------------------------------------------


def constructed_pilot_results() -> ResultsSet:
    """Pilots 1, 2 match non-pilots 3, 4 exactly on start-year covariates.

    GDP per capita in 2025 (2020: 100 everywhere) — baseline: pilots 110, 120,
    controls 105, 100; the scenario multiplies pilots by 1.10 and controls by 1.02.
    """
    codes = [1, 2, 3, 4, 5, 6]
    pop = [1e5, 1e6, 1e5, 1e6, 1e7, 1e4]
    base_2025 = np.array([110, 120, 105, 100, 300, 50], dtype=float)
    factor = np.array([1.10, 1.10, 1.02, 1.02, 1.5, 1.5])
    rows = []
    for scenario in ("baseline", "pilots_up"):
        for r in range(2):
            for year in (2020, 2025):
                gdppc = np.full(6, 100.0) if year == 2020 else (
                    base_2025 * (factor if scenario == "pilots_up" else 1.0))
                rows.append(pd.DataFrame({
                    **_ids(scenario, r), "year": year, "code": codes,
                    "name_en": [f"c{c}" for c in codes], "province": "Sichuan",
                    "is_pilot": [True, True, False, False, False, False],
                    "population": pop, "gdp_per_capita_yuan": gdppc,
                    "travel_time_to_core_h": 1.0}))
    cy = pd.concat(rows, ignore_index=True)
    region = cy.drop_duplicates(["run_id", "year"])[["run_id", "scenario", "replicate", "seed",
                                                      "year"]]
    levers = pd.DataFrame({**_ids("pilots_up", 0), "year": 2025, "code": [1, 2, 3],
                           "lever_id": "x", "lever_type": "modern_industry", "weight": 1.0})
    return ResultsSet(county_year=cy, region_year=region, levers_year=levers)


def test_matching_finds_the_identical_neighbours():
    m = analysis.match_controls(constructed_pilot_results())
    assert dict(zip(m["treated"], m["control"], strict=True)) == {1: 3, 2: 4}
    assert (m["distance"] == 0).all()


def test_pilot_effect_is_the_constructed_difference_in_differences():
    rs = constructed_pilot_results()
    e = analysis.pilot_effect(rs, "gdp_per_capita_yuan", "baseline").set_index("measure")
    att, spill = 100 * math.log(1.10), 100 * math.log(1.02)
    assert e.loc["att", "mean"] == pytest.approx(att)
    assert e.loc["control_effect", "mean"] == pytest.approx(spill)
    assert e.loc["effect", "mean"] == pytest.approx(att - spill)
    did_base = (100 * (math.log(1.1) + math.log(1.2)) / 2 - 100 * math.log(1.05) / 2)
    assert e.loc["did_baseline", "mean"] == pytest.approx(did_base)
    assert e.loc["did", "mean"] == pytest.approx(did_base + att - spill)
    assert (e["n"] == 2).all() and (e["unit"] == "log points").all()
    assert (e["contaminated_controls"] == 1).all()  # the lever also reaches control 3
    level = analysis.pilot_effect(rs, "gdp_per_capita_yuan", "baseline", log=False)
    level = level.set_index("measure")
    assert level.loc["att", "mean"] == pytest.approx((11 + 12) / 2)


def test_pilot_effect_with_chosen_treated_counties_and_bad_codes():
    rs = constructed_pilot_results()
    m = analysis.match_controls(rs, treated=[1], k=2)
    assert list(m["control"]) == [3, 6] or list(m["control"]) == [3, 2]
    with pytest.raises(sim.InputError, match="treated county 99"):
        analysis.match_controls(rs, treated=[99])


# -- reading folders ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def batch(tmp_path_factory, baseline):
    return write_batch(tmp_path_factory.mktemp("batch") / "levers", lever_scenarios(baseline),
                       replicates=3, failed=True)


def test_batch_folder_reads_all_ok_runs(batch):
    rs = analysis.read_results(batch)
    assert rs.scenarios == ["baseline", "industry", "rail_link"]
    assert len(rs.runs) == 9 and (rs.runs["status"] == "done").all()
    assert len(rs.county_year) == 9 * 6 * 140
    assert rs.flows is not None and rs.years == list(range(2020, 2026))
    assert rs.replicates("industry") == 3


def test_single_run_and_folder_of_runs(tmp_path, baseline):
    a = sim.run(baseline, seed=3).save(tmp_path / "runs" / "baseline")
    sim.run(baseline.with_changes(name="industry", levers=[
        {"id": "i", "type": "modern_industry", "targets": "pilots", "start_year": 2021}]),
        seed=3).save(tmp_path / "runs" / "industry")
    one = analysis.read_results(a)
    assert one.scenarios == ["baseline"] and one.manifest["seed"] == 3
    both = analysis.read_results(tmp_path / "runs")
    assert sorted(both.scenarios) == ["baseline", "industry"]
    assert analysis.compare(both, "gdp_bn_yuan", "baseline")["n"].eq(1).all()
    # The same scenario twice with replicate 0 cannot be paired.
    sim.run(baseline, seed=4).save(tmp_path / "runs" / "baseline_seed4")
    with pytest.raises(sim.InputError, match="two runs of scenario 'baseline' have replicate 0"):
        analysis.read_results(tmp_path / "runs")


def test_not_a_results_folder(tmp_path):
    with pytest.raises(sim.InputError, match="not a results folder"):
        analysis.read_results(tmp_path)
    with pytest.raises(sim.InputError, match="results folder not found"):
        analysis.read_results(tmp_path / "missing")


def test_swept_parameters_pair_runs_too(batch, tmp_path):
    rs = analysis.read_results(batch)
    region = pd.concat([rs.region_year.assign(migration_rate=m) for m in (0.01, 0.02)],
                       ignore_index=True)
    region["run_id"] = region["run_id"].astype(str) + region["migration_rate"].astype(str)
    swept = ResultsSet(county_year=pd.DataFrame(), region_year=region)
    assert swept.parameter_columns == ["migration_rate"]
    d = analysis.paired_differences(swept, "gdp_bn_yuan", "baseline", scenarios=["industry"])
    assert len(d) == 2 * 3 * 6  # parameter values × replicates × years, no cross-pairs
    # A run without a baseline run of the same replicate and parameter values: the
    # error names the values that found no partner.
    region = region[~((region["scenario"] == "baseline") & (region["migration_rate"] == 0.02))]
    unpaired = ResultsSet(county_year=pd.DataFrame(), region_year=region)
    with pytest.raises(sim.InputError, match=r"'industry' replicate 0 has no baseline run with "
                                             r"the same replicate and migration_rate=0.02 .*"
                                             r"baseline migration_rate: 0.01$"):
        analysis.compare(unpaired, "gdp_bn_yuan", "baseline")


def test_compare_and_levels_of_chosen_years():
    rs = constructed_region_results()
    every = analysis.compare(rs, "gdp_bn_yuan", "baseline")
    only = analysis.compare(rs, "gdp_bn_yuan", "baseline", years=[2025])
    pd.testing.assert_frame_equal(only, every[every["year"] == 2025].reset_index(drop=True))
    lv = analysis.levels(rs, "gdp_bn_yuan", years=[2020])
    assert set(lv["year"]) == {2020} and set(lv["scenario"]) == {"baseline", "a"}


# -- tables ------------------------------------------------------------------------------


def test_key_numbers_and_latex_table(batch):
    rs = analysis.read_results(batch)
    key = analysis.key_numbers(rs, "baseline")
    assert set(key["scenario"]) == {"baseline", "industry", "rail_link"}
    base = key[key["scenario"] == "baseline"]
    assert base["difference_mean"].isna().all()
    gdp = key[(key["scenario"] == "industry") & (key["indicator"] == "gdp_bn_yuan")].iloc[0]
    direct = analysis.compare(rs, "gdp_bn_yuan", "baseline", relative=True)
    direct = direct[(direct["scenario"] == "industry") & (direct["year"] == 2025)].iloc[0]
    assert gdp["difference_mean"] == pytest.approx(direct["mean"])
    assert gdp["difference_unit"] == "%" and gdp["unit"] == "bn yuan"
    pop = key[(key["scenario"] == "baseline") & (key["indicator"] == "population")].iloc[0]
    assert pop["mean"] == pytest.approx(rs.region_year.query(
        "scenario == 'baseline' and year == 2025")["population"].mean() / 1e6)
    tex = analysis.latex_table(key, "baseline")
    assert tex.count(r"\toprule") == 1 and r"\bottomrule" in tex and r"\midrule" in tex
    assert r"rail\_link &" in tex and "industry &" in tex
    assert tex.count(r"\\") == 3 + 1 + 2  # three header rows, baseline, two scenarios



def test_every_entry_point_reads_the_parts_as_the_truth(batch, tmp_path, capsys):
    # A batch stopped after its runs wrote their parts but before runs.parquet was
    # rewritten: runs.parquet still says "missing" for every run.
    stale = tmp_path / "stale"
    shutil.copytree(batch, stale)
    runs = pd.read_parquet(stale / "runs.parquet")
    runs["status"] = "missing"
    runs.to_parquet(stale / "runs.parquet", index=False)
    lazy = sim.load_batch(stale)
    assert lazy.counts() == {"done": 9, "failed": 0, "missing": 1}
    eager = sim.read_results(stale)
    assert len(eager.runs) == 9 and set(eager.runs["run_id"]) == set(
        lazy.runs.loc[lazy.runs["status"] == "done", "run_id"])
    assert eager.region_year.equals(analysis.read_results(batch).region_year)
    assert sim.analysis.read_results(stale).county_year.shape == eager.county_year.shape
    # Without runs.parquet at all, the done runs are rebuilt from the parts.
    (stale / "runs.parquet").unlink()
    assert sim.load_batch(stale).counts() == {"done": 9, "failed": 0, "missing": 0}
    assert len(sim.read_results(stale).runs) == 9
    assert sim.apps.cli.main(["status", str(stale)]) == 0
    assert "9 runs: 9 done" in capsys.readouterr().out


def test_single_run_readers_name_the_reader_for_a_batch(batch, tmp_path):
    with pytest.raises(sim.InputError, match="is a batch folder, not a single run's; read it "
                       r"with sim.read_results \(every table\) or sim.load_batch"):
        sim.load_results(batch)
    one = sim.run(sim.Scenario(name="one", end_year=2021), deterministic=True)
    folder = one.save(tmp_path / "one")
    with pytest.raises(sim.InputError, match="single run's folder, not a batch"):
        sim.load_batch(folder)
    assert sim.load_results(folder).manifest["kind"] == "countysim run"
