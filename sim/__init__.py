"""countysim: coordinated county development in the Chengdu–Chongqing Economic Circle.

Mesa county agents exchange population (migration) and investment over a
networkx infrastructure graph; reform levers of Sichuan's 2020 pilot county
reform change the network and the counties' policies. Start with
:func:`load_scenario` and :func:`run`, or :func:`run_batch` for many runs; see
README.md and docs/.
"""

from pathlib import Path
from typing import Any

from sim.batch import (
    Batch,
    BatchAborted,
    BatchSpec,
    RunSpec,
    load_batch,
    load_batch_spec,
    plan_batch,
    run_batch,
)
from sim.errors import InputError
from sim.model import CountyAgent, CountyModel
from sim.parameters import Parameters, default_parameters
from sim.region import Region, load_region
from sim.results import Results, load_results
from sim.runner import run
from sim.scenario import Scenario, build_scenario, load_scenario

__version__ = "0.1.0"

__all__ = [
    "Batch",
    "BatchAborted",
    "BatchSpec",
    "CountyAgent",
    "CountyModel",
    "InputError",
    "Parameters",
    "Region",
    "Results",
    "RunSpec",
    "Scenario",
    "build_scenario",
    "default_parameters",
    "explore",
    "load_batch",
    "load_batch_spec",
    "load_region",
    "load_results",
    "load_scenario",
    "plan_batch",
    "run",
    "run_batch",
]


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
    from sim.explorer import require_solara

    require_solara()
    from sim.explorer.app import Explorer

    return Explorer(scenario=str(scenario),
                    scenarios_dir=None if scenarios_dir is None else str(scenarios_dir),
                    seed=seed, deterministic=deterministic)
