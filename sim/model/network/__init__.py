"""The infrastructure network: roads, rail lines opening in their years, and ROC.

* :mod:`.edges`: nodes and candidate edges from the data (every edge that exists
  in some year), built once per set of scenario changes;
* :mod:`.changes`: what a scenario changes (links, line openings, time factors);
* :mod:`.paths`: all-pairs shortest travel times, memoised by graph;
* :mod:`.travel`: :class:`Network`, a run's edges of a year and its travel times,
  with its networkx graph and GraphML export.

docs/model.md section 2 gives the construction; the internal time of a county is
0.4·√area / ``local_speed_kmh``.
"""

from sim.model.network.changes import Link, NetworkChanges, TimeFactor
from sim.model.network.edges import (
    ALWAYS,
    CONFIDENCE_ORDER,
    NEVER,
    great_circle_km,
    line_names,
    line_station_codes,
)
from sim.model.network.travel import Network, county_edge_pairs

__all__ = [
    "ALWAYS",
    "CONFIDENCE_ORDER",
    "NEVER",
    "Link",
    "Network",
    "NetworkChanges",
    "TimeFactor",
    "county_edge_pairs",
    "great_circle_km",
    "line_names",
    "line_station_codes",
]
