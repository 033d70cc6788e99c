"""`countysim validate` reproduces the committed report; calibrate/validate reject bad input."""

from __future__ import annotations

import json
import math
import tomllib

import numpy as np
import pytest
from conftest import ROOT

from sim.apps.cli import build_parser, main
from sim.base.errors import InputError
from sim.base.sources import data_file
from sim.model.parameters import Parameters, calibrated_values, default_parameters
from sim.studies.calibration.report import RANK_TOLERANCE, TOLERANCE
from sim.studies.calibration.workflow import (
    calibration_objective,
    literature_priors,
    read_parameter_file,
)

COMMITTED = ROOT / "docs" / "validation"


def _compare(new, old, path="metrics"):
    """Every number within TOLERANCE, absolute or relative (rank correlations
    RANK_TOLERANCE), other leaves equal."""
    if isinstance(old, dict):
        assert isinstance(new, dict) and set(new) == set(old), (path, set(new) ^ set(old))
        for key in old:
            _compare(new[key], old[key], f"{path}.{key}")
    elif isinstance(old, list):
        assert isinstance(new, list) and len(new) == len(old), path
        for i, (a, b) in enumerate(zip(new, old, strict=True)):
            _compare(a, b, f"{path}[{i}]")
    elif isinstance(old, bool) or old is None or isinstance(old, str):
        assert new == old, (path, new, old)
    else:
        tolerance = RANK_TOLERANCE if path.endswith("spearman") else TOLERANCE
        assert math.isclose(new, old, rel_tol=TOLERANCE, abs_tol=tolerance), (path, new, old)


@pytest.fixture(scope="module")
def validation_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("validation")
    # The leave-one-prefecture-out refits take minutes: the slow test below runs them.
    assert main(["validate", "--out", str(out), "--lopo-evals", "0"]) == 0
    return out


def test_validate_reproduces_the_committed_metrics(validation_run):
    committed = json.loads((COMMITTED / "metrics.json").read_text(encoding="utf-8"))
    assert "lopo" in committed and "baseline_forecast" in committed
    committed.pop("lopo")
    new = json.loads((validation_run / "metrics.json").read_text(encoding="utf-8"))
    _compare(new, committed)


@pytest.mark.slow
def test_validate_reproduces_the_committed_leave_one_prefecture_out(tmp_path):
    assert main(["validate", "--out", str(tmp_path), "--no-figures", "--ensemble", "0"]) == 0
    committed = json.loads((COMMITTED / "metrics.json").read_text(encoding="utf-8"))
    new = json.loads((tmp_path / "metrics.json").read_text(encoding="utf-8"))
    _compare(new["lopo"], committed["lopo"], "metrics.lopo")


def test_leave_one_prefecture_out_recovers_a_synthetic_twin_out_of_sample():
    """On data the model made, the left-out prefecture is predicted exactly; gravity is not."""
    from sim.studies.calibration import lopo
    from sim.studies.calibration.observed import census_targets
    from sim.studies.calibration.validation_run import run_validation

    params = default_parameters()
    targets = census_targets()
    twin = targets.with_2020(run_validation(params, end_year=2020))
    folds = lopo.leave_one_prefecture_out(twin, params, "sichuan_chongqing", max_evals=2,
                                          workers=1, blocks=["5113", "5002"],
                                          log=lambda _: None)
    assert list(folds["name"]) == ["Nanchong", "Chongqing counties"]
    assert (folds["n"] == [(lopo.prefecture_of(twin) == b).sum()
                           for b in ("5113", "5002")]).all()
    assert (folds["model_rmse"] < 1e-9).all() and (folds["gravity_rmse"] > 0.01).all()
    pooled = lopo.pooled(folds)
    assert pooled["model_better_in"] == 2 and pooled["n_groups"] == folds["n"].sum()


def test_baseline_forecast_bands_are_ordered_and_start_from_the_census(validation_run):
    import pandas as pd

    bands = pd.read_csv(validation_run / "baseline_forecast.csv")
    for v in ("population", "gdp_bn_yuan"):
        assert (bands[f"{v}_param_p05"] <= bands[f"{v}_param_p50"] + 1e-9).all()
        assert (bands[f"{v}_param_p50"] <= bands[f"{v}_param_p95"] + 1e-9).all()
        assert (bands[f"{v}_stoch_p05"] <= bands[f"{v}_stoch_p95"] + 1e-9).all()
        start = bands[bands["year"] == 2020]
        # Every member and replicate starts from the same 2020 census state.
        assert (start[f"{v}_param_p95"] - start[f"{v}_param_p05"]).abs().max() < 1e-9
    later = bands[(bands["year"] == 2025) & (bands["level"] == "region")].iloc[0]
    assert later["population_param_p95"] > later["population_param_p05"]  # members differ
    assert later["population_stoch_p95"] > later["population_stoch_p05"]  # draws differ
    regions = bands[bands["level"] == "province"].groupby("year")["population"].sum()
    whole = bands[bands["level"] == "region"].set_index("year")["population"]
    # (the CSV keeps six significant digits)
    np.testing.assert_allclose(regions.to_numpy(), whole.loc[regions.index].to_numpy(),
                               rtol=1e-5)
    text = (validation_run / "README.md").read_text(encoding="utf-8")
    assert "## The 2020→2025 baseline forecast" in text
    assert "## Every calibration target, held out and in sample, by province" in text


def test_validate_writes_the_report_and_figures(validation_run):
    text = (validation_run / "README.md").read_text(encoding="utf-8")
    assert "held-out groups: `sichuan_chongqing`" in text and "`ccec`" in text
    for name in ("scatter_population.png", "scatter_growth.png", "residual_map.png",
                 "scatter_urban.png", "scatter_gdp.png"):
        assert (validation_run / name).stat().st_size > 10_000
        assert f"]({name})" in text


def test_committed_report_uses_the_shipped_calibrated_parameters():
    committed = json.loads((COMMITTED / "metrics.json").read_text(encoding="utf-8"))
    assert committed["parameters"]["values"] == default_parameters().to_dict()
    assert "calibrated_parameters.toml" in committed["parameters"]["source"]


def test_shipped_parameter_file_is_the_default_and_has_provenance():
    with data_file("calibrated_parameters.toml").open("rb") as fh:
        doc = tomllib.load(fh)
    fitted = doc["parameters"]
    assert fitted and fitted == calibrated_values()
    defaults, priors = default_parameters(), Parameters()
    for name, value in fitted.items():
        assert getattr(defaults, name) == value
    assert any(getattr(priors, n) != v for n, v in fitted.items())
    for key in ("date", "data", "objective", "split", "method", "region"):
        assert doc["provenance"][key]
    assert set(doc["uncertainty"]) == set(fitted)
    assert read_parameter_file(data_file("calibrated_parameters.toml")) == defaults


CALIBRATION = json.loads((COMMITTED / "calibration" / "calibration.json").read_text())


@pytest.mark.parametrize("name", ["calibrated_parameters.toml", "calibrated_ensemble.csv"])
def test_the_shipped_calibration_files_are_those_of_the_committed_calibration(name):
    # The report's Reproduce block copies them from docs/validation/calibration.
    assert data_file(name).read_bytes() == (COMMITTED / "calibration" / name).read_bytes()


def test_the_ensemble_header_names_the_committed_optimum():
    assert f"objective J at the optimum {CALIBRATION['fit']['objective']:.3f}" in (
        data_file("calibrated_ensemble.csv").read_text(encoding="utf-8"))


def test_J_at_the_shipped_parameters_is_the_committed_optimum():
    # One 2010→2020 run: guards the objective (e.g. GDP shares compared at 2010 prices).
    objective = calibration_objective(priors=literature_priors())
    value = objective.evaluate_parameters(default_parameters())
    assert value.objective == pytest.approx(CALIBRATION["fit"]["objective"], abs=1e-6)
    assert value.prior == pytest.approx(CALIBRATION["fit"]["prior_penalty"], abs=1e-9)


def test_calibrate_defaults_are_the_settings_of_the_committed_calibration():
    args = build_parser().parse_args(["calibrate"])
    settings, chain = CALIBRATION["settings"], CALIBRATION["posterior"]
    assert (args.starts, args.max_evals) == (settings["starts"],
                                             settings["max_evals_per_start"])
    assert (args.steps, args.walkers, args.members, args.temperature) == (
        chain["steps"], chain["walkers"], chain["members"], chain["temperature"])


# --- bad input: one line, exit code 2 -------------------------------------------------


def _one_line_error(capsys, argv, *fragments):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    for fragment in fragments:
        assert fragment in err[0], err[0]


def test_validate_rejects_bad_input(tmp_path, capsys):
    _one_line_error(capsys, ["validate", "--params", str(tmp_path / "none.toml"),
                             "--out", str(tmp_path)], "none.toml", "not found")
    bad = tmp_path / "bad.toml"
    bad.write_text("[parameters]\nmigration_rate = \n")
    _one_line_error(capsys, ["validate", "--params", str(bad), "--out", str(tmp_path)],
                    "bad.toml", "malformed TOML")
    typo = tmp_path / "typo.toml"
    typo.write_text("[parameters]\nmigraton_rate = 0.1\n")
    _one_line_error(capsys, ["validate", "--params", str(typo), "--out", str(tmp_path)],
                    "typo.toml", "unknown parameter 'migraton_rate'")
    out_of_range = tmp_path / "range.toml"
    out_of_range.write_text("[parameters]\nmigration_rate = 3.0\n")
    _one_line_error(capsys, ["validate", "--params", str(out_of_range), "--out",
                             str(tmp_path)], "range.toml", "migration_rate", "outside")
    empty = tmp_path / "empty.toml"
    empty.write_text("[provenance]\ndate = \"x\"\n")
    _one_line_error(capsys, ["validate", "--params", str(empty), "--out", str(tmp_path)],
                    "no [parameters] table")
    _one_line_error(capsys, ["validate", "--region", "tibet", "--out", str(tmp_path)],
                    "unknown region 'tibet'")
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    _one_line_error(capsys, ["validate", "--out", str(a_file), "--no-figures"],
                    "not a folder")
    _one_line_error(capsys, ["validate", "--calibration", str(tmp_path / "nope"),
                             "--out", str(tmp_path)], "folder not found")


def test_calibrate_rejects_bad_input(tmp_path, capsys):
    _one_line_error(capsys, ["calibrate", "--region", "tibet", "--out", str(tmp_path)],
                    "unknown region 'tibet'")
    _one_line_error(capsys, ["calibrate", "--fit", "migration_rate,nope", "--out",
                             str(tmp_path)], "unknown parameter 'nope'")
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    _one_line_error(capsys, ["calibrate", "--fit", "migration_rate", "--out", str(a_file)],
                    "not a folder")


def test_calibrate_names_the_option_and_the_likely_parameter(tmp_path, capsys):
    out = tmp_path / "cal"
    _one_line_error(capsys, ["calibrate", "--fit", "migraton_rate", "--out", str(out)],
                    "--fit: unknown parameter 'migraton_rate' to fit; did you mean "
                    "'migration_rate'?")
    # One profile point is no profile: refused rather than silently skipped.
    _one_line_error(capsys, ["calibrate", "--fit", "migration_rate", "--profile-points", "1",
                             "--out", str(out)], "--profile-points", "0", "≥ 2", "got 1")
    assert not out.exists()


def test_calibrate_writes_a_loadable_parameter_file(tmp_path, capsys):
    out = tmp_path / "cal"
    assert main(["calibrate", "--fit", "migration_rate", "--starts", "1", "--workers", "1",
                 "--max-evals", "25", "--profile-points", "3", "--profile-evals", "10",
                 "--steps", "4", "--walkers", "4", "--members", "3",
                 "--out", str(out)]) == 0
    assert "best J" in capsys.readouterr().out
    for name in ("calibrated_parameters.toml", "calibration.json", "profile.csv",
                 "README.md", "chain.npz", "calibrated_ensemble.csv"):
        assert (out / name).is_file()
    from sim.model.ensemble import ensemble_members

    members = ensemble_members(out / "calibrated_ensemble.csv")
    assert len(members) == 3 and set(members[0]) == {"migration_rate"}
    # --resume keeps the optimum and continues the chain: 4 → 6 steps, no new fit.
    assert main(["calibrate", "--fit", "migration_rate", "--workers", "1", "--steps", "6",
                 "--walkers", "4", "--members", "3", "--resume", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "is kept" in printed and "best J =" not in printed
    assert json.loads((out / "calibration.json").read_text())["posterior"]["steps"] == 6
    params = read_parameter_file(out / "calibrated_parameters.toml")
    record = json.loads((out / "calibration.json").read_text())
    assert params.migration_rate == pytest.approx(record["parameters"][0]["value"], rel=1e-5)
    lo, hi = Parameters.specs()["migration_rate"].plausible
    assert lo <= params.migration_rate <= hi
    with pytest.raises(InputError, match="malformed TOML"):
        read_parameter_file(out / "calibration.json")
