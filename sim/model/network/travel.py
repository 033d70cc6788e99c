"""A run's network: the edges of a year and the travel times they imply.

The graph is built deterministically from data for all 221 units (so that paths
may pass through counties outside the simulated region):

* **county nodes** at their seats;
* **road edges**: one between every two units that share a border
  (``county_adjacency.csv``, from the county boundaries), seat to seat, class
  ``national`` at ``national_road_speed_kmh``; plus ``expressway`` edges between
  consecutive counties of the expressways in ``expressways.csv`` from their
  opening year at ``expressway_speed_kmh`` (that list is partial: see its sources);
* **rail**: one station node per county served by a line of ``rail_lines.csv``,
  joined to its county by an access edge (half the station access time each
  way, so a trip pays it once, not at every stop) and to the next *open* station
  of each line. A station opens in its row's ``open_year``; lines marked planned
  open only when a scenario gives them a year;
* an extra **ROC** node (rest of China) joined to the gateway counties.

Travel time τ between counties is the shortest path (``scipy.sparse.csgraph``),
recomputed only in years when the set of edges or their times change. The
internal time of a county is 0.4·sqrt(area)/local speed (docs/model.md §2).
"""

from __future__ import annotations

from collections.abc import Iterable

import networkx as nx
import numpy as np
import pandas as pd

from sim.base import sources
from sim.model.network.changes import NetworkChanges
from sim.model.network.edges import candidates, geometry
from sim.model.network.paths import PATHS, add_edges, all_pairs, remember
from sim.model.parameters import Parameters
from sim.model.region import CORE_CODES, Region


class Network:
    """The network of one run: edges for a year, travel times between counties.

    Args:
        region: the simulated region (τ is reported for its counties and ROC).
        params: speeds, circuity and access times.
        changes: scenario changes (new links, line openings, time factors).

    Attributes:
        year: the year the current edges and travel times belong to.
        travel_time: (N+1)×(N+1) hours between the region's counties, ROC last;
            the diagonal holds internal times (0 for ROC).
        time_to_core: (N,) hours from each county to the nearest core district.
        version: incremented whenever ``travel_time`` changes.
        travel_time_key: identifies ``travel_time`` within this process (for
            memoising kernels across runs).
    """

    def __init__(self, region: Region, params: Parameters,
                 changes: NetworkChanges | None = None) -> None:
        self.region = region
        self.params = params
        self.changes = changes or NetworkChanges()
        self._geo = geometry()
        self._cand = candidates(self.changes)
        self._base_times = self._cand.times(params)
        # Identifies the graph's ingredients that are fixed for this network.
        self._base_key = (self.changes, self._base_times.tobytes())
        self._tf_masks = [
            (tf, np.isin(self._geo.node_codes, list(tf.codes))) for tf in
            self.changes.time_factors
        ]
        node_county = self._geo.node_county
        self._cand_county_u = node_county[self._cand.u]
        self._cand_county_v = node_county[self._cand.v]
        self._movable = self._cand.is_road | self._cand.is_rail
        self._sources = np.append(region.full_index, self._geo.roc_node)
        # Flat positions of the (sources × sources) block in the node × node matrix.
        self._source_block = self._sources[:, None] * self._geo.n_nodes + self._sources[None, :]
        self._core_nodes = np.flatnonzero(np.isin(self._geo.node_codes, CORE_CODES))
        self._is_core = np.isin(region.codes, CORE_CODES)
        area = self._geo.county_area[region.full_index]
        self._internal = 0.4 * np.sqrt(area) / params.local_speed_kmh
        self._region_key = (region.name, self._internal.tobytes())
        self.year: int | None = None
        self.version = 0
        self._active = np.zeros(len(self._cand.u), dtype=bool)
        self._times = self._base_times.copy()
        self._signature: tuple | None = None
        self._dist: np.ndarray | None = None
        self.travel_time_key: tuple = ()
        self.travel_time = np.zeros((region.n + 1, region.n + 1))
        self.time_to_core = np.zeros(region.n)

    def _year_times(self, year: int) -> np.ndarray:
        times = self._base_times
        active = [(tf, mask) for tf, mask in self._tf_masks if tf.active(year)]
        if active:
            times = times.copy()
            for tf, target in active:
                hit = self._movable & (target[self._cand_county_u] | target[self._cand_county_v])
                times[hit] *= tf.factor
        return times

    def set_year(self, year: int) -> bool:
        """Move the network to ``year``; return True if travel times changed.

        Nothing is recomputed unless an edge opens or closes or a time factor
        starts or ends; when edges only open or get faster, shortest paths are
        updated in place instead of recomputed.
        """
        self.year = year
        c = self._cand
        active = (c.start <= year) & (year < c.end)
        factors_on = tuple(tf.active(year) for tf, _ in self._tf_masks)
        signature = (active.tobytes(), factors_on)
        if signature == self._signature:
            return False
        self._signature = signature
        times = self._year_times(year)
        key = (self._base_key, active.tobytes(), factors_on)
        paths = PATHS.get(key)
        if paths is None:
            was = self._active
            only_gains = (
                self._dist is not None
                and not (was & ~active).any()
                and not (times[was] > self._times[was]).any()
            )
            if only_gains:
                new = active & (~was | (times < self._times))
                dist = add_edges(self._dist, c.u[new], c.v[new], times[new])
            else:
                dist = all_pairs(self._geo.n_nodes, c.u[active], c.v[active], times[active])
            paths = remember(key, dist)
        self._active, self._times, self._dist = active, times, paths.dist
        view = paths.regions.get(self._region_key)
        if view is None:
            view = paths.regions[self._region_key] = self._region_view(paths.dist)
        self.travel_time, self.time_to_core = view
        self.travel_time_key = (key, self._region_key)
        self.version += 1
        return True

    def _region_view(self, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Travel times among the region's counties and ROC, and to the cores."""
        m = self.region.n
        tt = dist.take(self._source_block)
        tt[np.arange(m), np.arange(m)] = self._internal
        tt[m, m] = 0.0
        to_core = dist[np.ix_(self.region.full_index, self._core_nodes)].min(axis=1)
        to_core = np.where(self._is_core, self._internal, to_core)
        tt.flags.writeable = False
        to_core.flags.writeable = False
        return tt, to_core

    # -- inspection and export ---------------------------------------------------------

    @property
    def edges(self) -> pd.DataFrame:
        """Edges existing in the current year, with ``time_h`` (hours).

        Columns: ``u``, ``v`` (node ids), ``mode`` (road, rail, access, roc),
        ``road_class``, ``line``, ``open_year``, ``end_year``, ``length_km``
        (great circle), ``speed_kmh`` (design speed for rail, the class's
        speed for roads), ``confidence``
        (see :data:`CONFIDENCE_ORDER`) and ``time_h``.
        """
        e = self._cand.table[self._active].copy()
        p = self.params
        # Roads of a class travel at that class's speed (a parameter).
        cls = e["road_class"].to_numpy()
        e.loc[cls == "national", "speed_kmh"] = p.national_road_speed_kmh
        e.loc[cls == "expressway", "speed_kmh"] = p.expressway_speed_kmh
        e["time_h"] = self._times[self._active]
        return e.reset_index(drop=True)

    def graph(self) -> nx.MultiGraph:
        """Return the current network as a networkx graph with map attributes.

        County nodes are keyed by administrative code, stations as
        ``"station:<code>"`` and the rest of China as ``"ROC"``. Parallel edges
        are kept (a ``MultiGraph``), each with ``mode``, ``road_class``,
        ``line``, ``open_year``, ``confidence``, ``speed_kmh``, ``length_km``
        and ``time_h``.
        """
        geo = self._geo
        counties = sources.counties()
        g = nx.MultiGraph(year=self.year if self.year is not None else -1)
        in_region = set(int(c) for c in self.region.codes)
        for row in counties.itertuples(index=False):
            g.add_node(int(row.code), kind="county", name_zh=row.name_zh,
                       name_en=row.name_en, lon=float(row.lon), lat=float(row.lat),
                       prefecture=row.prefecture_en, province=row.province_en,
                       in_region=int(row.code) in in_region)
        for county in geo.station_county:
            code = int(geo.node_codes[county])
            g.add_node(f"station:{code}", kind="station", county=code,
                       lon=float(geo.county_lon[county]), lat=float(geo.county_lat[county]))
        g.add_node("ROC", kind="roc", name_en="rest of China")
        labels: list = [int(c) for c in geo.node_codes]
        labels.append("ROC")
        labels += [f"station:{int(geo.node_codes[c])}" for c in geo.station_county]
        for e in self.edges.itertuples(index=False):
            g.add_edge(labels[e.u], labels[e.v], mode=e.mode, road_class=e.road_class,
                       line=e.line, open_year=int(e.open_year), confidence=e.confidence,
                       speed_kmh=float(np.nan_to_num(e.speed_kmh)),
                       length_km=float(e.length_km), time_h=float(e.time_h))
        return g

    def write_graphml(self, path) -> None:
        """Write the current network to a GraphML file."""
        nx.write_graphml(self.graph(), path)


def county_edge_pairs(edges: pd.DataFrame, modes: Iterable[str] = ("road", "rail")
                      ) -> pd.DataFrame:
    """Map edges onto county pairs (stations to their county), for maps.

    Returns the edges of the given modes with two more columns, ``a`` and ``b``
    (administrative codes of the counties at either end).
    """
    geo = geometry()
    e = edges[edges["mode"].isin(list(modes))].copy()
    e["a"] = geo.node_codes[geo.node_county[e["u"].to_numpy(dtype=np.int64)]]
    e["b"] = geo.node_codes[geo.node_county[e["v"].to_numpy(dtype=np.int64)]]
    return e.reset_index(drop=True)
