"""Calibrated ensembles in batches (issue 16): parameter sets, seeds, bands, bad input.

The ensembles here are fixtures written in the test (perturbations of the default
parameters within their plausible ranges), never the shipped file's members; the
batches are ccec 2020→2022 with a few runs, so the module stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS

import sim
from sim import analysis
from sim.apps.cli import main
from sim.model.ensemble import (
    ensemble_members,
    ensemble_parameters,
    member_indices,
    read_ensemble,
)
from sim.model.parameters import Parameters, default_parameters
from sim.outputs.bands import ensemble_split
from sim.outputs.store import done_runs

#: The calibrated parameters the fixtures vary.
NAMES = ("migration_rate", "income_elasticity", "stay_bonus", "tfp_growth")


def write_ensemble(path: Path, members: int = 6, seed: int = 3) -> Path:
    """An ensemble file of ``members`` rows: defaults times 1 ± 20 %, inside the ranges."""
    rng = np.random.default_rng(seed)
    base = default_parameters()
    specs = Parameters.specs()
    lines = ["# Test fixture: defaults perturbed by up to ±20 % (tests/test_ensemble.py).",
             "# Not a posterior sample.", "member," + ",".join(NAMES)]
    for m in range(members):
        values = []
        for name in NAMES:
            lo, hi = specs[name].plausible
            v = getattr(base, name) * (1 + rng.uniform(-0.2, 0.2))
            values.append(repr(float(min(max(v, lo), hi))))
        lines.append(",".join([str(m), *values]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ensemble")
    base = SCENARIOS / "baseline.toml"
    a = folder / "baseline.toml"
    a.write_text(f'extends = "{base}"\nname = "baseline"\nend_year = 2022\n')
    b = folder / "b.toml"
    b.write_text(f'extends = "{base}"\nname = "b"\nend_year = 2022\n'
                 '[[levers]]\nid = "svc"\ntype = "public_services"\ntargets = "pilots"\n'
                 "start_year = 2021\n")
    return {"a": a, "b": b, "ensemble": write_ensemble(folder / "members.csv"),
            "folder": folder}


def spec_of(files, ensemble: int, replicates: int = 3) -> sim.BatchSpec:
    return sim.BatchSpec(scenarios=(files["a"], files["b"]), name="e", seed=11,
                         replicates=replicates, ensemble=ensemble,
                         ensemble_file=files["ensemble"])


@pytest.fixture(scope="module")
def four(files, tmp_path_factory) -> sim.Batch:
    return sim.run_batch(spec_of(files, 4), tmp_path_factory.mktemp("four") / "out",
                         executor="serial", progress=False)


@pytest.fixture(scope="module")
def one(files, tmp_path_factory) -> sim.Batch:
    return sim.run_batch(spec_of(files, 1), tmp_path_factory.mktemp("one") / "out",
                         executor="serial", progress=False)


# -- the reader ----------------------------------------------------------------------------


def test_reader_reads_members_provenance_and_chooses_evenly(files):
    ens = read_ensemble(files["ensemble"])
    assert ens.size == 6 and ens.names == NAMES and ens.labels == tuple(range(6))
    assert ens.provenance[0].startswith("Test fixture")
    assert member_indices(4, 6) == [0, 2, 3, 5]
    assert member_indices(6, 6) == list(range(6))
    assert member_indices(3, 6) == [0, 2, 5]  # numpy's rounding, half to even
    assert member_indices(40, 40) == list(range(40))
    assert len(set(member_indices(7, 9))) == 7
    members = ensemble_members(files["ensemble"])
    params = ensemble_parameters(4, files["ensemble"])
    for p, row in zip(params, (members[i] for i in (0, 2, 3, 5)), strict=True):
        assert {n: getattr(p, n) for n in NAMES} == row
        assert p.home_bias == default_parameters().home_bias  # not in the file: default
    assert ensemble_parameters(1) == [default_parameters()]  # the point estimate itself
    base = default_parameters().replace(home_bias=0.5)
    assert ensemble_parameters(2, files["ensemble"], base=base)[1].home_bias == 0.5


@pytest.mark.parametrize("text, message", [
    ("# x\nmember,migraton_rate\n0,0.02\n",
     "header: column 'migraton_rate': unknown parameter; did you mean 'migration_rate'?"),
    ("id,migration_rate\n0,0.02\n", "header: the first column must be 'member', got 'id'"),
    ("member,migration_rate\n0,fast\n", "line 2: migration_rate = 'fast' is not a number"),
    ("member,migration_rate\n0,0.02,1\n",
     "line 2: 3 values for 2 columns (member, migration_rate)"),
    ("member,migration_rate\n0,-1\n",
     "line 2: migration_rate = -1 is outside its allowed range [0, 1] (docs/parameters.md)"),
    ("# only comments\n", "no members: expected a header 'member,<parameter>,…' and one row "
                          "per member after the '# ' lines"),
])
def test_a_malformed_ensemble_file_gets_one_line(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(sim.InputError) as err:
        read_ensemble(path)
    assert str(err.value) == f"{path}: {message}"


def test_the_shipped_ensemble_reads_and_its_members_are_valid_parameters():
    ens = read_ensemble()
    assert ens.size >= 4 and ens.provenance
    assert len(ensemble_parameters(4)) == 4


# -- planning ------------------------------------------------------------------------------


def test_plan_has_every_member_and_common_random_numbers(files):
    spec = spec_of(files, 4)
    plan = sim.plan_batch(spec)
    assert len(plan) == spec.runs_planned() == 2 * 4 * 3
    assert len({r.run_id for r in plan}) == len(plan)
    seeds = {}
    for r in plan:  # replicate k: one seed in every scenario and parameter set
        seeds.setdefault(r.replicate, set()).add(r.seed)
    assert all(len(s) == 1 for s in seeds.values()) and len(seeds) == 3
    # The seeds are those of the batch without an ensemble, and so are its run ids.
    plain = sim.plan_batch(spec_of(files, 1))
    assert {r.replicate: r.seed for r in plain} == {k: s.pop() for k, s in seeds.items()}
    old = sim.BatchSpec(scenarios=(files["a"], files["b"]), name="e", seed=11, replicates=3)
    assert [r.run_id for r in plain] == [r.run_id for r in sim.plan_batch(old)]
    assert all(r.parameter_set is None for r in plain)
    assert old.fingerprint() == spec_of(files, 1).fingerprint()


def test_two_equal_members_still_make_two_runs(files, tmp_path):
    """MCMC samples repeat positions; each member is still its own parameter set."""
    lines = files["ensemble"].read_text().splitlines()
    same = tmp_path / "same.csv"
    row = lines[3].split(",", 1)[1]
    same.write_text("\n".join([*lines[:3], f"0,{row}", f"1,{row}"]) + "\n")
    spec = sim.BatchSpec(scenarios=(files["a"],), seed=1, replicates=1, ensemble=2,
                         ensemble_file=same)
    plan = sim.plan_batch(spec)
    assert [r.parameter_set for r in plan] == [0, 1] and plan[0].run_id != plan[1].run_id


# -- a batch -------------------------------------------------------------------------------


def test_ensemble_4_gives_four_distinct_parameter_sets(four, files):
    runs = four.runs
    assert list(runs.columns[:5]) == ["run_id", "scenario", "replicate", "seed",
                                      "parameter_set"]
    assert sorted(runs["parameter_set"].unique()) == [0, 1, 2, 3]
    assert (runs.groupby(["scenario", "parameter_set"]).size() == 3).all()
    sets = four.manifest["ensemble"]["parameter_sets"]
    assert [s["parameter_set"] for s in sets] == [0, 1, 2, 3]
    assert [s["member"] for s in sets] == [0, 2, 3, 5]
    values = [tuple(s["values"][n] for n in NAMES) for s in sets]
    assert len(set(values)) == 4  # four distinct parameter vectors
    record = four.manifest["ensemble"]
    assert record["size"] == 4 and record["file"] == str(files["ensemble"])
    assert len(record["sha256"]) == 64 and record["provenance"][1] == "Not a posterior sample."
    ry = four.region_year
    assert sorted(ry["parameter_set"].unique()) == [0, 1, 2, 3]
    # CRN: replicate r has one seed across scenarios and parameter sets
    assert (ry.groupby("replicate")["seed"].nunique() == 1).all()
    # The members' runs differ (parameters), the same member's replicates differ (draws).
    last = ry[(ry["year"] == 2022) & (ry["scenario"] == "baseline")]
    assert last.groupby("replicate")["population"].nunique().min() == 4
    assert last.groupby("parameter_set")["population"].nunique().min() == 3


def test_a_run_of_a_member_is_the_bare_run_with_its_values(four, files):
    r = next(r for r in sim.plan_batch(spec_of(files, 4)) if r.parameter_set == 2)
    values = four.manifest["ensemble"]["parameter_sets"][2]["values"]
    assert r.parameters == values
    bare = sim.run(r.scenario, seed=r.seed, replicate=r.replicate, parameters=values)
    got = four.read("region_year", filters=[("run_id", "==", r.run_id)])
    assert set(got["run_id"].astype(str)) == {r.run_id}
    got = got.drop(columns="run_id")
    expected = bare.region_year.assign(parameter_set=2)[got.columns]
    pd.testing.assert_frame_equal(got.reset_index(drop=True),
                                  expected.reset_index(drop=True), check_dtype=False)


def test_bands_with_ensemble_4_are_wider_than_with_ensemble_1(four, one):
    wide = analysis.levels(analysis.read_results(four.path), "population")
    narrow = analysis.levels(analysis.read_results(one.path), "population")
    assert "var_parameter" not in narrow.columns  # without an ensemble: as before
    assert list(narrow.columns) == ["scenario", "year", "mean", "median", "low", "high", "n"]
    w = wide.set_index(["scenario", "year"])
    n = narrow.set_index(["scenario", "year"])
    later = [k for k in w.index if k[1] > 2020]
    assert ((w.loc[later, "high"] - w.loc[later, "low"])
            > (n.loc[later, "high"] - n.loc[later, "low"])).all()
    assert (w.loc[later, "parameter_sets"] == 4).all() and (w["n"] == 12).all()
    assert (w.loc[later, "var_parameter"] > 0).all() and (w.loc[later, "var_stochastic"] > 0).all()
    assert (w.loc[later, "parameter_low"] >= w.loc[later, "low"]).all()
    assert (w.loc[later, "parameter_high"] <= w.loc[later, "high"]).all()
    # The summary of the store says the same
    s = four.summary("region_year", columns=["population"])
    s1 = one.summary("region_year", columns=["population"])
    assert list(s1.columns) == ["scenario", "year", "variable", "n", "mean", "q5", "q95"]
    assert {"parameter_sets", "q5_parameter", "q95_parameter", "var_parameter",
            "var_stochastic", "parameter_share"} <= set(s.columns)
    row = s.query("scenario == 'baseline' and year == 2022").iloc[0]
    row1 = s1.query("scenario == 'baseline' and year == 2022").iloc[0]
    assert row["n"] == 12 and row["q95"] - row["q5"] > row1["q95"] - row1["q5"]


def test_differences_pair_by_parameter_set_and_split_their_variance(four):
    rs = analysis.read_results(four.path)
    assert rs.parameter_sets == 4
    diff = analysis.paired_differences(rs, "gdp_bn_yuan", "baseline")
    assert len(diff) == 4 * 3 * 3  # parameter sets × replicates × years
    d = analysis.compare(rs, "gdp_bn_yuan", "baseline")
    assert d.attrs["ensemble"] and (d["n"] == 12).all()
    last = d[d["year"] == 2022].iloc[0]
    assert 0 <= last["parameter_share"] <= 1


def test_law_of_total_variance_adds_up():
    rng = np.random.default_rng(0)
    table = pd.DataFrame({"g": "x", "parameter_set": np.repeat(np.arange(5), 7),
                          "y": rng.normal(size=35) + np.repeat(rng.normal(size=5) * 3, 7)})
    split = ensemble_split(table, "y", ["g"], low=0.05, high=0.95).iloc[0]
    assert split["var_parameter"] + split["var_stochastic"] == pytest.approx(
        table["y"].var(ddof=0))
    means = table.groupby("parameter_set")["y"].mean()
    assert split["var_parameter"] == pytest.approx(means.var(ddof=0))
    assert split["parameter_low"] == pytest.approx(means.quantile(0.05))
    one_each = table.drop_duplicates("parameter_set")  # one replicate: not separable
    assert np.isnan(ensemble_split(one_each, "y", ["g"], low=0.05, high=0.95)
                    .iloc[0]["var_stochastic"])


def test_fan_chart_draws_and_names_the_parameter_band(four):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim import figures

    ax = figures.fan_chart(four.path, "population")
    gids = {c.get_gid() for c in ax.collections}
    assert {"parameter_band:baseline", "parameter_band:b"} <= gids
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "parameter sets' means: parameters alone" in texts
    assert "all runs: parameters and random draws" in texts
    ax2 = figures.fan_chart(four.path, "population", parameter_band=False)
    assert not any(str(c.get_gid()).startswith("parameter_band") for c in ax2.collections)
    plt.close("all")


def test_lever_comparison_draws_the_parameter_band_inside_the_whole_band(four):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim import analysis, figures
    from sim.model.schema import display_scale

    ax = figures.lever_comparison(four.path, "population", year=2022)
    band = next(line for line in ax.lines if line.get_gid() == "parameter_band:b")
    summary = analysis.compare(analysis.read_results(four.path), "population", "baseline",
                               years=[2022])
    row = summary.set_index("scenario").loc["b"]
    scale = display_scale("population", relative=False)
    np.testing.assert_allclose(band.get_xdata(),
                               [row["parameter_low"] * scale, row["parameter_high"] * scale])
    assert row["low"] <= row["parameter_low"] <= row["parameter_high"] <= row["high"]
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "5–95 %, the 4 parameter sets' means" in texts
    # Only the lever comparison draws the bar: the β chart's dots stay as they were.
    beta = figures.beta_chart(four.path)
    assert not any(str(line.get_gid()).startswith("parameter_band") for line in beta.lines)
    plt.close("all")


def test_resume_of_an_interrupted_ensemble_batch_gives_identical_tables(four, files,
                                                                        tmp_path,
                                                                        record_runs):
    record_runs(interrupt_after=5)
    out = tmp_path / "interrupted"
    with pytest.raises(KeyboardInterrupt):
        sim.run_batch(spec_of(files, 4), out, executor="serial", progress=False)
    assert len(done_runs(out, four.tables)) == 5
    record_runs()
    resumed = sim.run_batch(spec_of(files, 4), out, executor="serial", resume=True,
                            progress=False)
    assert resumed.session["ran"] == 24 - 5
    for table in four.tables:
        pd.testing.assert_frame_equal(four.read(table), resumed.read(table))
    cols = ["run_id", "scenario", "replicate", "seed", "parameter_set", "status"]
    pd.testing.assert_frame_equal(four.runs[cols], resumed.runs[cols])
    with pytest.raises(sim.InputError, match=r"cannot resume: the batch spec changed .*"
                                             r"ensemble"):
        sim.run_batch(spec_of(files, 2), out, executor="serial", resume=True)


def test_two_processes_write_the_tables_of_serial(four, files, tmp_path):
    procs = sim.run_batch(spec_of(files, 4), tmp_path / "p", executor="processes",
                          workers=2, progress=False)
    for table in ("region_year", "county_year"):
        pd.testing.assert_frame_equal(four.read(table), procs.read(table))


# -- the command line ----------------------------------------------------------------------


def batch_file(files, tmp_path, text: str) -> Path:
    path = tmp_path / "batch.toml"
    path.write_text(f'scenarios = ["{files["a"]}"]\nseed = 1\nreplicates = 1\n{text}',
                    encoding="utf-8")
    return path


def one_line_error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.mark.parametrize("text, message", [
    ("ensemble = 0\n", "ensemble: expected a whole number from 1 to 10000, got 0"),
    ('ensemble = "x"\n', "ensemble: expected a whole number from 1 to 10000, got 'x'"),
    ('ensemble = 2\nensemble_file = 3\n', "ensemble_file: expected a file name, got 3"),
])
def test_bad_ensemble_fields_get_one_line(files, tmp_path, capsys, text, message):
    path = batch_file(files, tmp_path, text)
    assert one_line_error(capsys, ["batch", str(path)]) == f"countysim: error: {path}: {message}"


def test_too_many_members_a_missing_file_and_an_unknown_column(files, tmp_path, capsys):
    path = batch_file(files, tmp_path, f'ensemble = 7\nensemble_file = "{files["ensemble"]}"\n')
    assert one_line_error(capsys, ["batch", str(path)]) == (
        f"countysim: error: {path}: ensemble: 7 members asked for, but {files['ensemble']} "
        "has 6; ask for at most 6")
    missing = tmp_path / "nowhere.csv"
    path = batch_file(files, tmp_path, 'ensemble = 2\nensemble_file = "nowhere.csv"\n')
    assert one_line_error(capsys, ["batch", str(path)]) == (
        f"countysim: error: {path}: ensemble: {missing} not found; make one with countysim "
        "calibrate (it writes calibrated_ensemble.csv; copy it to sim/data/) or point "
        "ensemble_file at one")
    bad = tmp_path / "bad.csv"
    bad.write_text("member,stay_bonuss\n0,2\n1,3\n")
    path = batch_file(files, tmp_path, 'ensemble = 2\nensemble_file = "bad.csv"\n')
    assert one_line_error(capsys, ["batch", str(path)]) == (
        f"countysim: error: {bad}: header: column 'stay_bonuss': unknown parameter; did you "
        "mean 'stay_bonus'?")
    # --ensemble stands in for the field: the file's 7 is never read
    path = batch_file(files, tmp_path, f'ensemble = 7\nensemble_file = "{files["ensemble"]}"\n')
    with pytest.raises(SystemExit) as exit_:
        main(["batch", str(path), "--ensemble", "0"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["countysim batch: error: argument --ensemble: --ensemble must be a whole "
                   "number ≥ 1, got 0 (see countysim batch --help)"]


def test_command_line_ensemble_option(files, tmp_path, capsys):
    path = batch_file(files, tmp_path, f'ensemble_file = "{files["ensemble"]}"\n')
    out = tmp_path / "cli"
    assert main(["batch", str(path), "--out", str(out), "--ensemble", "2", "--workers", "1",
                 "--quiet"]) == 0
    runs = pd.read_parquet(out / "runs.parquet")
    assert list(runs["parameter_set"]) == [0, 1]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["spec"]["ensemble"] == 2 and manifest["ensemble"]["size"] == 2
    capsys.readouterr()
    assert main(["status", str(out)]) == 0
    assert (f"parameter sets: 2 members of {files['ensemble']} (6 in the file), each with "
            "every replicate") in capsys.readouterr().out.splitlines()
