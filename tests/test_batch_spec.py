"""Batch files and planning: fields, sweeps, seeds (common random numbers), bad input.

Nothing here simulates; these tests only plan.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from conftest import SCENARIOS

import sim
from sim.apps.cli import main
from sim.studies.batch.fields import sweep_values
from sim.studies.batch.spec import run_seed

BATCHES = SCENARIOS / "batches"


def write_batch(folder: Path, text: str, name: str = "batch.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def scenario_file(folder: Path, name: str, extra: str = "") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(f'extends = "{SCENARIOS / "baseline.toml"}"\nname = "{name}"\n'
                    f"end_year = 2022\n{extra}", encoding="utf-8")
    return path


def one_line_error(capsys, argv: list[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


# -- the shipped batch files --------------------------------------------------------------


def test_shipped_batch_files_plan():
    demo = sim.load_batch_spec(BATCHES / "demo.toml")
    plan = sim.plan_batch(demo)
    points = len(demo.points())
    assert points >= 2
    assert len(plan) == points * demo.replicates
    assert {r.scenario_name for r in plan} == {"baseline"}
    levers = sim.plan_batch(BATCHES / "levers.toml")
    assert "baseline" in {r.scenario_name for r in levers}
    assert len({r.run_id for r in levers}) == len(levers)


def test_plan_is_inspectable_and_picklable(tmp_path):
    a = scenario_file(tmp_path, "a")
    b = scenario_file(tmp_path, "b", "[parameters]\nstay_bonus = 3.5\n")
    spec = sim.BatchSpec(scenarios=(a, b), replicates=3, seed=7,
                         sweep={"migration_rate": "0.02:0.1:5", "home_bias": [0.6, 0.8]})
    plan = sim.plan_batch(spec)
    assert len(plan) == 2 * 5 * 2 * 3
    first = plan[0]
    assert (first.scenario_name, first.replicate, first.deterministic) == ("a", 0, False)
    assert first.parameters == {"migration_rate": 0.02, "home_bias": 0.6}
    assert [r.parameters["migration_rate"] for r in plan[:30:6]] == [0.02, 0.04, 0.06,
                                                                     0.08, 0.1]
    restored = pickle.loads(pickle.dumps(plan))
    assert restored == plan
    assert restored[0].scenario.digest() == first.scenario.digest()
    assert len({r.run_id for r in plan}) == len(plan)


def test_a_batch_can_be_a_list_of_scenarios_with_fields(tmp_path):
    a = sim.load_scenario(scenario_file(tmp_path, "a"))
    plan = sim.plan_batch([a, a.with_changes(name="b")], replicates=2, seed=4)
    assert [(r.scenario_name, r.replicate) for r in plan] == [("a", 0), ("a", 1), ("b", 0),
                                                              ("b", 1)]
    from_file = sim.plan_batch(BATCHES / "demo.toml", replicates=1, sweep={})
    assert len(from_file) == 1 and from_file[0].parameters == {}


def test_run_ids_match_what_a_run_reports(tmp_path):
    spec = sim.BatchSpec(scenarios=(scenario_file(tmp_path, "a"),), replicates=1, seed=3,
                         sweep={"migration_rate": [0.04]})
    [planned] = sim.plan_batch(spec)
    result = sim.run(planned.scenario, seed=planned.seed, replicate=planned.replicate,
                     parameters=planned.parameters)
    assert result.manifest["run_id"] == planned.run_id
    assert (result.region_year["run_id"] == planned.run_id).all()


# -- seeds ---------------------------------------------------------------------------------


def test_common_random_numbers_give_replicate_k_one_seed(tmp_path):
    a = scenario_file(tmp_path, "a")
    b = scenario_file(tmp_path, "b", "[parameters]\nstay_bonus = 3.5\n")
    plan = sim.plan_batch(sim.BatchSpec(scenarios=(a, b), replicates=4, seed=11,
                                        sweep={"migration_rate": [0.03, 0.06]}))
    seeds: dict[int, set[int]] = {}
    for r in plan:
        seeds.setdefault(r.replicate, set()).add(r.seed)
    assert all(len(s) == 1 for s in seeds.values())
    assert len({s.pop() for s in seeds.values()}) == 4
    # replicate k's seed is SeedSequence(root) child k, whatever else the batch holds
    expected = np.random.SeedSequence(11).spawn(4)[2].generate_state(1, np.uint64)[0] >> 1
    assert seeds.keys() == {0, 1, 2, 3} and run_seed(11, 2) == int(expected)


def test_seeds_do_not_depend_on_order_or_batch_size(tmp_path):
    a = scenario_file(tmp_path, "a")
    b = scenario_file(tmp_path, "b", "[parameters]\nstay_bonus = 3.5\n")
    big = sim.plan_batch(sim.BatchSpec(scenarios=(a, b), replicates=5, seed=11,
                                       common_random_numbers=False,
                                       sweep={"migration_rate": [0.03, 0.06]}))
    small = sim.plan_batch(sim.BatchSpec(scenarios=(b,), replicates=2, seed=11,
                                         common_random_numbers=False,
                                         sweep={"migration_rate": [0.06]}))
    by_key = {(r.scenario_name, r.parameters["migration_rate"], r.replicate): (r.seed, r.run_id)
              for r in big}
    for r in small:
        assert by_key[("b", 0.06, r.replicate)] == (r.seed, r.run_id)
    # without common random numbers, scenarios and parameter points get their own streams
    assert by_key[("a", 0.03, 0)][0] != by_key[("b", 0.03, 0)][0]
    assert by_key[("a", 0.03, 0)][0] != by_key[("a", 0.06, 0)][0]


def test_default_root_seed_and_replicates_come_from_the_scenarios(tmp_path):
    a = scenario_file(tmp_path, "a", "replicates = 2\n")
    spec = sim.BatchSpec(scenarios=(a,))
    assert spec.seed == sim.load_scenario(SCENARIOS / "baseline.toml").seed
    assert len(sim.plan_batch(spec)) == 2
    assert len(sim.plan_batch(sim.BatchSpec(scenarios=(a,), deterministic=True))) == 1


def test_sweep_ranges():
    assert sweep_values("migration_rate", "0.02:0.1:5") == (0.02, 0.04, 0.06, 0.08, 0.1)
    assert sweep_values("stay_bonus", [3, 4.5]) == (3.0, 4.5)


def test_sweep_of_an_unknown_name_points_to_the_parameter_list():
    with pytest.raises(sim.InputError) as err:
        sweep_values("zzzz", [1.0], "b.toml")
    assert str(err.value) == ("b.toml: sweep.zzzz: unknown parameter; see docs/parameters.md "
                              "for the list")
    with pytest.raises(sim.InputError, match=r"sweep\.svc\.services_boost: unknown parameter"):
        sweep_values("svc.services_boost", [0.1], "b.toml")  # a sweep has no lever factors


def test_planning_validates_parameters_once_per_point(monkeypatch):
    calls = []
    real = sim.Parameters.replace

    def replace(self, **overrides):
        calls.append(overrides)
        return real(self, **overrides)

    monkeypatch.setattr(sim.Parameters, "replace", replace)
    spec = sim.BatchSpec(scenarios=(SCENARIOS / "baseline.toml",), replicates=4, seed=1,
                         sweep={"migration_rate": [0.03, 0.06]})
    calls.clear()
    plan = sim.plan_batch(spec)
    assert len(plan) == 8
    # (the scenario's own parameters are made with no overrides, once)
    assert [c for c in calls if c] == [{"migration_rate": 0.03}, {"migration_rate": 0.06}]


# -- bad batch files: one line, exit code 2 --------------------------------------------------


def test_unknown_scenario_path(tmp_path, capsys):
    scenario_file(tmp_path, "a")
    batch = write_batch(tmp_path, 'scenarios = ["a.toml", "nope.toml"]\n')
    line = one_line_error(capsys, ["batch", str(batch), "--out", str(tmp_path / "r")])
    assert line == (f"countysim: error: {batch}: scenarios[1]: scenario file 'nope.toml' not "
                    f"found (looked for {tmp_path / 'nope.toml'})")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("value, message", [
    ('"0.1:0.02:5"', "sweep.migration_rate: bad range '0.1:0.02:5': need lo < hi and n ≥ 2; "
                     "write 'lo:hi:n' (n evenly spaced values from lo to hi, n a whole number "
                     "≥ 2, e.g. '0.02:0.1:5') or a list of numbers"),
    ('"0.02:0.1"', "sweep.migration_rate: bad range '0.02:0.1'; write 'lo:hi:n' (n evenly "
                   "spaced values from lo to hi, n a whole number ≥ 2, e.g. '0.02:0.1:5') or "
                   "a list of numbers"),
    ('"0.02:0.1:x"', "sweep.migration_rate: bad range '0.02:0.1:x'; write 'lo:hi:n'"),
    ("[0.05, 2.0]", "sweep.migration_rate: 2 is outside the allowed range [0, 1] (1/year) "
                    "of migration_rate"),
    ("[]", "sweep.migration_rate: empty list; write 'lo:hi:n'"),
    ('[0.05, "a"]', "sweep.migration_rate: 'a' is not a number; write 'lo:hi:n'"),
])
def test_bad_sweep(tmp_path, capsys, value, message):
    scenario_file(tmp_path, "a")
    batch = write_batch(tmp_path, f'scenarios = ["a.toml"]\n[sweep]\nmigration_rate = {value}\n')
    line = one_line_error(capsys, ["batch", str(batch)])
    assert line.startswith(f"countysim: error: {batch}: {message}")


def test_unknown_parameter(tmp_path, capsys):
    scenario_file(tmp_path, "a")
    batch = write_batch(tmp_path, 'scenarios = ["a.toml"]\n[sweep]\nmigraton_rate = [0.1]\n')
    line = one_line_error(capsys, ["batch", str(batch)])
    assert line == (f"countysim: error: {batch}: sweep.migraton_rate: unknown parameter; did "
                    "you mean 'migration_rate'?")


@pytest.mark.parametrize("text, message", [
    ('scenarios = ["a.toml"]\nreplicate = 3\n',
     "replicate: unknown field; did you mean 'replicates'? allowed here: name, description, "
     "scenarios, seed, replicates, deterministic, common_random_numbers, ensemble, "
     "ensemble_file, sweep, output"),
    ('scenarios = ["a.toml"]\nreplicates = 0\n',
     "replicates: expected a whole number from 1 to 100000, got 0"),
    ('scenarios = ["a.toml"]\nseed = -4\n',
     "seed: expected a whole number from 0 to 9223372036854775807, got -4"),
    ('scenarios = ["a.toml"]\n[output]\ntables = ["county_years"]\n',
     "output.tables: unknown table 'county_years'; allowed: county_year, region_year, "
     "levers_year (flows: set output.flows = true)"),
    ('scenarios = ["a.toml", "a.toml"]\n',
     "scenarios[1]: a second scenario named 'a' (also scenarios[0]); names label the rows "
     "of the results, so each scenario needs its own name"),
    ("seed = 1\n", "scenarios: required field missing; list scenario files, e.g. "
                   'scenarios = ["../baseline.toml"]'),
    ('scenarios = "a.toml"\n', "scenarios: expected a list, got 'a.toml'"),
    ('scenarios = ["a.toml"]\ndeterministic = "yes"\n',
     "deterministic: expected true or false, got 'yes'"),
])
def test_bad_fields(tmp_path, capsys, text, message):
    scenario_file(tmp_path, "a")
    batch = write_batch(tmp_path, text)
    assert one_line_error(capsys, ["batch", str(batch)]) == (
        f"countysim: error: {batch}: {message}")


def test_different_scenario_seeds_need_a_batch_seed(tmp_path, capsys):
    scenario_file(tmp_path, "a", "seed = 1\n")
    scenario_file(tmp_path, "b", "seed = 2\n")
    batch = write_batch(tmp_path, 'scenarios = ["a.toml", "b.toml"]\n')
    assert one_line_error(capsys, ["batch", str(batch)]) == (
        f"countysim: error: {batch}: seed: the scenarios have different seeds (a: 1, b: 2); "
        "set seed in the batch file so that replicate k shares its seed across scenarios")


def test_bad_scenario_inside_a_batch_names_the_scenario_file(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\nstart_yaer = 2020\n')
    batch = write_batch(tmp_path, 'scenarios = ["bad.toml"]\n')
    line = one_line_error(capsys, ["batch", str(batch)])
    assert line.startswith(f"countysim: error: {bad}: start_yaer: unknown field")


def test_missing_and_malformed_batch_file(tmp_path, capsys):
    assert one_line_error(capsys, ["batch", str(tmp_path / "none.toml")]) == (
        f"countysim: error: {tmp_path / 'none.toml'}: batch file not found")
    batch = write_batch(tmp_path, "scenarios = [\n")
    assert "malformed TOML" in one_line_error(capsys, ["batch", str(batch)])


def test_status_of_a_folder_without_a_batch(tmp_path, capsys):
    assert one_line_error(capsys, ["status", str(tmp_path)]) == (
        f"countysim: error: {tmp_path}: not a results folder: expected county_year.parquet (a "
        "run), manifest.json with county_year/ (a batch), sensitivity.json (a sensitivity "
        "analysis) or subfolders holding them")
    assert one_line_error(capsys, ["status", str(tmp_path / "nope")]) == (
        f"countysim: error: {tmp_path / 'nope'}: results folder not found")
