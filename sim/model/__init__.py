"""Layer 1, the model: region, network, parameters, core, levers, scenario, Mesa shell.

Read bottom-up (each module imports only those above it in this list):

* :mod:`.parameters`, :mod:`.region`: behavioural parameters; the counties and their
  initial data;
* :mod:`.geography`: the county boundaries (read from the optional geo extra) and
  the contiguity table the road network is built on;
* :mod:`.network`: the infrastructure graph and travel times;
* :mod:`.selection`: county selections (``targets = ["pilots", "Nanbu", …]``);
* :mod:`.core`: the pure, vectorised equations of one simulated year;
* :mod:`.levers`: the reform levers, one module per lever type;
* :mod:`.resolve`: a scenario's selections as masks, its network changes;
* :mod:`.scenario`: scenario files validated into typed objects;
* :mod:`.schema`: the one definition of every output table's columns;
* :mod:`.indicators`, :mod:`.recorder`: regional indicators; output buffers;
* :mod:`.runid`, :mod:`.shell`: run ids; the Mesa shell (:class:`CountyModel`,
  :class:`CountyAgent`);
* :mod:`.geospace`: the shell with mesa-geo GeoAgents in a GeoSpace (geo extra);
* :mod:`.reference`: reference pages generated from the code (docs/parameters.md,
  docs/levers.md, docs/outputs.md).

``from sim.model import CountyModel`` works as in countysim 0.1; the shell is
imported only when one of its names is used, so importing a lower module (the
network, say) does not load Mesa.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "CountyAgent": "sim.model.shell",
    "CountyModel": "sim.model.shell",
    "make_run_id": "sim.model.runid",
    "network_changes": "sim.model.resolve",
    "resolve_lever_masks": "sim.model.resolve",
    "network_for": "sim.model.scenario",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sim.model' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
