"""Run one scenario and collect its results."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sim.model.parameters import Parameters
from sim.model.scenario import Scenario, load_scenario
from sim.model.shell import CountyModel
from sim.outputs.provenance import environment, git_commit, versions
from sim.outputs.results import Results


def run(scenario: Scenario | str | Path, seed: int | None = None,
        deterministic: bool = False, *, replicate: int = 0,
        parameters: Parameters | dict[str, float] | None = None,
        record_flows: bool = False, record_ages: bool = False) -> Results:
    """Simulate a scenario from its start year to its end year.

    Args:
        scenario: a :class:`~sim.model.scenario.Scenario` or the path of a scenario file.
        seed: root seed of the run (default: the scenario's ``seed``).
        deterministic: use expected flows instead of random draws (seed-independent).
        replicate: replicate number recorded in the tables.
        parameters: a full :class:`~sim.model.parameters.Parameters` or overrides on top of
            the scenario's parameters.
        record_flows: also return yearly origin–destination flows.
        record_ages: also return residents by year, county, sex and age group
            (``age_year``).

    Returns:
        :class:`~sim.outputs.results.Results` with ``county_year``, ``region_year``,
        ``levers_year``, ``manifest`` (and ``flows``).
    """
    started = datetime.now(UTC)
    model = simulate(scenario, seed, deterministic, replicate=replicate,
                     parameters=parameters, record_flows=record_flows,
                     record_ages=record_ages)
    return results_of(model, started)


def simulate(scenario: Scenario | str | Path, seed: int | None = None,
             deterministic: bool = False, *, replicate: int = 0,
             parameters: Parameters | dict[str, float] | None = None,
             record_flows: bool = False, record_ages: bool = False) -> CountyModel:
    """Build a model of a scenario and run it to the end year (arguments as :func:`run`).

    Returns:
        The finished model; :func:`results_of` makes its tables and manifest.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if isinstance(parameters, dict):
        parameters = scenario.model_parameters().replace(**parameters)
    model = CountyModel(scenario, seed=seed, replicate=replicate,
                        deterministic=deterministic, parameters=parameters,
                        record_flows=record_flows, record_ages=record_ages)
    model.run_model()
    return model


def results_of(model: CountyModel, started: datetime | None = None) -> Results:
    """The results of a model's years so far (all of them once it has run to the end).

    Args:
        model: a model, run to its end year or stepped part of the way.
        started: when the run started (recorded in the manifest; default: now).

    Returns:
        :class:`~sim.outputs.results.Results` exactly as :func:`run` returns them; flows
        only if the model records them.
    """
    scenario = model.sim_scenario
    started = started or datetime.now(UTC)
    manifest = {
        "kind": "countysim run",
        "run_id": model.run_id,
        "scenario": scenario.name,
        "scenario_file": scenario.source,
        "scenario_digest": scenario.digest(),
        "scenario_definition": scenario.canonical(),
        "region": scenario.region,
        "start_year": scenario.start_year,
        "end_year": scenario.end_year,
        "seed": model.seed,
        "replicate": model.replicate,
        "deterministic": model.deterministic,
        "parameters": model.params.to_dict(),
        "versions": versions(),
        "environment": environment(),
        "git_commit": git_commit(),
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "notes": "GDP in bn yuan at census-year prices; see docs/model.md for every column.",
    }
    return Results(county_year=model.county_year(), region_year=model.region_year(),
                   levers_year=model.levers_year(), manifest=manifest,
                   flows=model.flows() if model.recorder.record_flows else None,
                   age_year=model.age_year() if model.recorder.record_ages else None)
