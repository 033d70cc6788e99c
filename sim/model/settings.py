"""What a :class:`~sim.model.shell.CountyModel` is built from: keywords, or Mesa's scenario.

Mesa models take their set-up as keyword arguments, so that ``mesa.batch_run`` can sweep
them and SolaraViz can rebuild the model on Reset; Mesa 3.5 also passes a
``mesa.experimental.scenarios.Scenario`` as ``scenario=``. A county model accepts both
(docs/mesa.md):

* ``scenario``: the countysim scenario — a :class:`~sim.model.scenario.Scenario`, the
  name of a file in ``scenarios/`` (``"pilot_programme"``) or a path — or a Mesa
  scenario object whose attributes are read as the keywords below;
* the scenario's main fields, changed with :meth:`Scenario.with_changes`: ``region``,
  ``start_year``, ``end_year`` (and ``sim_scenario``, the countysim scenario, for use
  inside a Mesa scenario or SolaraViz's ``model_params``);
* the run's options: ``seed`` (or Mesa's ``rng``: an integer), ``replicate``,
  ``deterministic``, ``record_flows``, ``parameters`` (a full
  :class:`~sim.model.parameters.Parameters` or overrides);
* any parameter by name (``migration_rate=0.04``), on top of the scenario's.

:func:`resolve_setup` checks every name and value (one-line
:class:`~sim.base.errors.InputError`, with a suggestion for a misspelt name) and returns
one :class:`Setup`. A value given both as a keyword and in a Mesa scenario must agree.
"""

from __future__ import annotations

import difflib
import numbers
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from mesa.experimental.scenarios import Scenario as MesaScenario

from sim.base.errors import InputError
from sim.model.parameters import Parameters
from sim.model.scenario import Scenario, find_scenario_file, load_scenario

#: Fields of the countysim scenario a keyword changes.
SCENARIO_FIELDS = ("region", "start_year", "end_year")
#: Options of the run (besides ``scenario``), with their defaults.
RUN_OPTIONS: dict[str, Any] = {"seed": None, "rng": None, "replicate": 0,
                               "deterministic": False, "record_flows": False,
                               "parameters": None}
#: Seeds are what ``numpy.random.SeedSequence`` and the output tables (int64) take.
SEED_RANGE = (0, 2**63 - 1)


class CountyScenario(MesaScenario):
    """Mesa's scenario object for a county model, carrying countysim's scenario.

    ``CountyModel(scenario=CountyScenario(sim_scenario="pilot_programme", end_year=2030,
    rng=7))`` is ``CountyModel(scenario="pilot_programme", end_year=2030, seed=7)``. A
    model built from keywords makes one of these as its ``model.scenario`` (Mesa's
    attribute), holding what it was built from. SolaraViz's Reset builds a new object of
    the model's scenario class from the ``model_params`` that are fields here (and passes
    the others as keywords), so a subclass with other defaults survives Reset::

        class Pilots(CountyScenario):
            sim_scenario: str = "pilot_programme"
            end_year: int = 2030

    Any parameter may be given too (``CountyScenario(migration_rate=0.04)``).

    Attributes:
        rng: root seed of the run (an integer; None: the countysim scenario's seed).
        sim_scenario: the countysim scenario: a Scenario, a name of a file in
            ``scenarios/`` or a path (None: an empty baseline).
        region, start_year, end_year: change the countysim scenario's fields (None: keep).
        replicate, deterministic, record_flows: as the model's keywords (None: default).
    """

    sim_scenario: Scenario | str | Path | None = None
    region: str | None = None
    start_year: int | None = None
    end_year: int | None = None
    replicate: int | None = None
    deterministic: bool | None = None
    record_flows: bool | None = None


@dataclass(frozen=True)
class Setup:
    """Everything a county model is built from, checked.

    Attributes:
        scenario: the countysim scenario, with the keyword changes applied.
        parameters: the full parameter set.
        seed: root seed of the run.
        replicate: replicate number.
        deterministic: expected flows instead of draws.
        record_flows: keep the yearly origin–destination flows.
        mesa_scenario: the Mesa scenario object the model exposes as ``model.scenario``.
    """

    scenario: Scenario
    parameters: Parameters
    seed: int
    replicate: int
    deterministic: bool
    record_flows: bool
    mesa_scenario: MesaScenario


def keyword_names() -> tuple[str, ...]:
    """Every keyword a county model takes (besides ``scenario``)."""
    return ("sim_scenario", *SCENARIO_FIELDS, *RUN_OPTIONS, *Parameters.specs())


def resolve_setup(scenario: Any = None, **keywords: Any) -> Setup:
    """Check a model's ``scenario`` argument and keywords and resolve them into a Setup.

    Args:
        scenario: a countysim Scenario, a scenario name or path, a Mesa scenario object,
            or None (an empty baseline scenario, or ``sim_scenario``).
        **keywords: the model's keywords (see the module docstring); None means not given.

    Raises:
        InputError: an unknown keyword (with the closest name), a value of the wrong
            type or out of range, or one given twice with different values.
    """
    given = {k: _plain(v) for k, v in keywords.items() if v is not None}
    mesa_scenario = scenario if isinstance(scenario, MesaScenario) else None
    if mesa_scenario is not None:
        scenario = None
        for name, value in mesa_scenario.__dict__.items():
            if value is not None:
                _merge(given, name, _plain(value), where="scenario")
    _check_names(given)
    sim_scenario = _sim_scenario(scenario, given.pop("sim_scenario", None))
    changes = {k: given[k] for k in SCENARIO_FIELDS if k in given}
    if changes:
        try:
            sim_scenario = sim_scenario.with_changes(**changes)
        except InputError as err:
            raise InputError(err.message) from None
    seed = _seed(given, sim_scenario)
    overrides = {k: v for k, v in given.items() if k in Parameters.specs()}
    parameters = _parameters(given.get("parameters"), sim_scenario).replace(**overrides)
    replicate = given.get("replicate", 0)
    if isinstance(replicate, bool) or not isinstance(replicate, int) or replicate < 0:
        raise InputError(f"replicate: expected a whole number ≥ 0, got {replicate!r}")
    flags = {}
    for name in ("deterministic", "record_flows"):
        flags[name] = given.get(name, False)
        if not isinstance(flags[name], bool):
            raise InputError(f"{name}: expected True or False, got {flags[name]!r}")
    if mesa_scenario is None:
        mesa_scenario = CountyScenario(
            rng=seed, sim_scenario=sim_scenario, region=sim_scenario.region,
            start_year=sim_scenario.start_year, end_year=sim_scenario.end_year,
            replicate=replicate, **flags, **overrides,
            **({"parameters": given["parameters"]} if "parameters" in given else {}))
    return Setup(scenario=sim_scenario, parameters=parameters, seed=seed,
                 replicate=replicate, mesa_scenario=mesa_scenario, **flags)


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number it holds (sweeps often give numpy values)."""
    return value.item() if isinstance(value, np.generic) else value


def _merge(given: dict[str, Any], name: str, value: Any, where: str) -> None:
    """Add a Mesa scenario's value to the keywords (``rng`` is the seed)."""
    key = "seed" if name == "rng" and "seed" in given else name
    if key in given and not _same(given[key], value):
        raise InputError(f"{where}.{name}: {value!r} differs from the keyword {key}="
                         f"{given[key]!r}; give it once")
    given.setdefault(key, value)


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except ValueError:  # arrays and other values without one truth value
        return a is b


def _check_names(given: dict[str, Any]) -> None:
    allowed = keyword_names()
    for name in sorted(given):
        if name in allowed:
            continue
        close = difflib.get_close_matches(name, allowed, n=1)
        hint = (f"did you mean '{close[0]}'?" if close else
                "allowed: sim_scenario, " + ", ".join((*SCENARIO_FIELDS, *RUN_OPTIONS))
                + " or a parameter (docs/parameters.md)")
        raise InputError(f"unknown keyword '{name}'; {hint}")


def _sim_scenario(scenario: Any, named: Any) -> Scenario:
    """The countysim scenario from the ``scenario`` argument or ``sim_scenario``."""
    if scenario is not None and named is not None and not _same(scenario, named):
        raise InputError("sim_scenario: give the countysim scenario once, as scenario= or "
                         "as sim_scenario=")
    value = scenario if scenario is not None else named
    if value is None:
        return Scenario(name="baseline")
    if isinstance(value, Scenario):
        return value
    if isinstance(value, str | Path):
        return load_scenario(find_scenario_file(value) if isinstance(value, str) else value)
    raise InputError(f"scenario: expected a countysim Scenario, the name or path of a "
                     f"scenario file, or a Mesa scenario object; got {value!r}")


def _seed(given: dict[str, Any], scenario: Scenario) -> int:
    """The root seed: ``seed`` or Mesa's ``rng`` (an integer), else the scenario's."""
    if "seed" in given and "rng" in given and not _same(given["seed"], given["rng"]):
        raise InputError(f"rng: {given['rng']!r} differs from seed={given['seed']!r}; "
                         "give the seed once")
    name = "seed" if "seed" in given else "rng"
    seed = given.get(name, scenario.seed)
    lo, hi = SEED_RANGE
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not lo <= seed <= hi:
        raise InputError(f"{name}: expected a whole number from {lo} to {hi} (countysim "
                         f"derives every random draw from one integer seed, docs/model.md "
                         f"§8), got {seed!r}")
    return int(seed)


def _parameters(value: Any, scenario: Scenario) -> Parameters:
    """The parameter set the keyword overrides apply to."""
    if value is None:
        return scenario.model_parameters()
    if isinstance(value, Parameters):
        return value
    if isinstance(value, dict):
        return scenario.model_parameters().replace(**{k: _plain(v) for k, v in value.items()})
    raise InputError(f"parameters: expected a Parameters object or a dict of overrides, got "
                     f"{value!r}")
