"""countysim: coordinated county development in the Chengdu–Chongqing Economic Circle.

Mesa county agents exchange population (migration) and investment over a
networkx infrastructure graph; reform levers of Sichuan's 2020 pilot county
reform change the network and the counties' policies. Start with
:func:`load_scenario` and :func:`run`, or :func:`run_batch` for many runs; see
README.md and docs/.
"""

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
    "load_batch",
    "load_batch_spec",
    "load_region",
    "load_results",
    "load_scenario",
    "plan_batch",
    "run",
    "run_batch",
]
