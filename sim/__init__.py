"""countysim: coordinated county development in the Chengdu–Chongqing Economic Circle.

Mesa county agents exchange population (migration) and investment over a
networkx infrastructure graph; reform levers of Sichuan's 2020 pilot county
reform change the network and the counties' policies. Start with
:func:`load_scenario` and :func:`run`; see README.md and docs/.
"""

from sim.errors import InputError
from sim.model import CountyAgent, CountyModel
from sim.parameters import Parameters, default_parameters
from sim.region import Region, load_region
from sim.results import Results, load_results
from sim.runner import run
from sim.scenario import Scenario, build_scenario, load_scenario

__version__ = "0.1.0"

__all__ = [
    "CountyAgent",
    "CountyModel",
    "InputError",
    "Parameters",
    "Region",
    "Results",
    "Scenario",
    "build_scenario",
    "default_parameters",
    "load_region",
    "load_results",
    "load_scenario",
    "run",
]
