"""countysim: coordinated county development in the Chengdu–Chongqing Economic Circle.

Mesa county agents exchange population (migration) and investment over a
networkx infrastructure graph; reform levers of Sichuan's 2020 pilot county
reform change the network and the counties' policies. Start with
:func:`load_scenario` and :func:`run`, or :func:`run_batch` for many runs; see
README.md, docs/architecture.md (the layers of this package) and docs/model.md.

The names below are imported when first used, so ``import sim`` (or importing
one layer, such as :mod:`sim.figures`) does not load the layers above it.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim import _compat
from sim.base.version import __version__ as __version__

#: Public name → the module that defines it.
_EXPORTS: dict[str, str] = {
    "InputError": "sim.base.errors",
    "Parameters": "sim.model.parameters",
    "default_parameters": "sim.model.parameters",
    "Region": "sim.model.region",
    "load_region": "sim.model.region",
    "county_boundaries": "sim.model.geography",
    "Scenario": "sim.model.scenario",
    "build_scenario": "sim.model.scenario",
    "load_scenario": "sim.model.scenario",
    "CountyAgent": "sim.model.shell",
    "CountyModel": "sim.model.shell",
    "CountyScenario": "sim.model.settings",
    "Results": "sim.outputs.results",
    "Batch": "sim.outputs.store",
    "load_batch": "sim.outputs.reader",
    "load_results": "sim.outputs.reader",
    "read_results": "sim.outputs.reader",
    "run": "sim.studies.run",
    "BatchAborted": "sim.studies.batch.execute",
    "run_batch": "sim.studies.batch.execute",
    "BatchSpec": "sim.studies.batch.spec",
    "RunSpec": "sim.studies.batch.spec",
    "load_batch_spec": "sim.studies.batch.spec",
    "plan_batch": "sim.studies.batch.spec",
}

__all__ = [
    "Batch",
    "BatchAborted",
    "BatchSpec",
    "CountyAgent",
    "CountyModel",
    "CountyScenario",
    "InputError",
    "Parameters",
    "Region",
    "Results",
    "RunSpec",
    "Scenario",
    "build_scenario",
    "county_boundaries",
    "default_parameters",
    "explore",
    "load_batch",
    "load_batch_spec",
    "load_region",
    "load_results",
    "load_scenario",
    "plan_batch",
    "read_results",
    "run",
    "run_batch",
]

_compat.install()


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # for type checkers and IDEs; at run time __getattr__ imports
    from sim.base.errors import InputError
    from sim.model.geography import county_boundaries
    from sim.model.parameters import Parameters, default_parameters
    from sim.model.region import Region, load_region
    from sim.model.scenario import Scenario, build_scenario, load_scenario
    from sim.model.settings import CountyScenario
    from sim.model.shell import CountyAgent, CountyModel
    from sim.outputs.reader import load_batch, load_results, read_results
    from sim.outputs.results import Results
    from sim.outputs.store import Batch
    from sim.studies.batch.execute import BatchAborted, run_batch
    from sim.studies.batch.spec import BatchSpec, RunSpec, load_batch_spec, plan_batch
    from sim.studies.run import run


def explore(scenario: str | Path = "baseline.toml", *, scenarios_dir: str | Path | None = None,
            seed: int | None = None, deterministic: bool = False) -> Any:
    """The interactive explorer, for a Jupyter notebook (make it the last line of a cell).

    Pick a scenario file, edit levers (type, targets, years, intensities),
    region and years; Run, Step or Reset; county and network maps and indicator
    series against the same set-up without levers; export the set-up as a
    scenario file. ``countysim explore`` serves the same app in the browser.
    See docs/explore.md.

    Args:
        scenario: scenario to start from: a file of ``scenarios/`` (``.toml``
            optional) or a path. An unknown one shows its error in the app,
            which then starts from the baseline.
        scenarios_dir: folder of scenario files the picker offers (default:
            ``$COUNTYSIM_SCENARIOS``, else ``./scenarios``, else the checkout's).
        seed: root seed (default: the scenario's).
        deterministic: expected flows instead of random draws.

    Returns:
        The Solara element of the app (Jupyter displays it).

    Raises:
        InputError: Solara is not installed (``pip install 'countysim[explore]'``).
    """
    from sim.apps.explorer import require_solara

    require_solara()
    from sim.apps.explorer.app import Explorer

    return Explorer(scenario=str(scenario),
                    scenarios_dir=None if scenarios_dir is None else str(scenarios_dir),
                    seed=seed, deterministic=deterministic)
