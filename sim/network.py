"""The infrastructure graph and the travel-time matrix it implies.

The graph is built deterministically from data for all 221 units (so that paths
may pass through counties outside the simulated region):

* **county nodes** at their seats;
* **road edges**: the Gabriel graph of the seats (a Delaunay triangulation
  pruned so that no other seat lies in the circle on each edge), class
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
internal time of a county is 0.4·sqrt(area)/local speed (DESIGN §3).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

import networkx as nx
import numpy as np
import pandas as pd
from cachetools import LRUCache
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import Delaunay

from sim import sources
from sim.parameters import Parameters
from sim.region import CORE_CODES, GATEWAY_CODES, Region

EARTH_RADIUS_KM = 6371.0
#: Confidence labels of the data, lowest first. Edges carry one: the data's for
#: rail and listed expressways; "derived" for proximity roads (built from seat
#: locations, not from a road map), "model" for station access and ROC links, and
#: "scenario" for links a scenario adds.
CONFIDENCE_ORDER = ("low", "medium", "high")
ALWAYS = -10_000  # opening year of edges that exist in every simulated year
NEVER = 10_000  # opening year of planned lines no scenario has opened


def great_circle_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Haversine distance in km (vectorised)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=float)) for a in
                              (lon1, lat1, lon2, lat2))
    h = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h))


@dataclass(frozen=True)
class Link:
    """A new link between two counties that a scenario adds.

    Attributes:
        a, b: administrative codes of the two counties.
        mode: ``"road"`` or ``"rail"``.
        speed_kmh: design speed (rail) or average speed (road).
        open_year: first year the link exists.
        label: free text shown in the graph and plots.
    """

    a: int
    b: int
    mode: str
    speed_kmh: float
    open_year: int
    label: str = "scenario link"


@dataclass(frozen=True)
class TimeFactor:
    """Multiply the travel time of edges touching some counties, in some years.

    Attributes:
        codes: counties whose incident road and rail edges are affected.
        factor: multiplier of edge time (< 1 is faster).
        start_year, end_year: inclusive years the factor applies (end None = open).
    """

    codes: frozenset[int]
    factor: float
    start_year: int
    end_year: int | None = None

    def active(self, year: int) -> bool:
        """Whether the factor applies in ``year``."""
        return self.start_year <= year and (self.end_year is None or year <= self.end_year)


@dataclass(frozen=True)
class NetworkChanges:
    """What a scenario changes in the network (the connectivity lever fills it).

    Hashable, so that the candidate edges of a set of changes are built once.

    Attributes:
        line_open_years: (line name, year) pairs: all stations of the line
            (``line_name_en`` in ``rail_lines.csv``) open in that year.
        line_year_shifts: (line name, years) pairs: every station of the line
            opens that many years later (negative: earlier) than in the data.
        links: new links between counties.
        time_factors: travel-time multipliers.
        frozen_after: if set, no road, rail or scenario link opens after this
            year (the network stays as it was; a counterfactual).
    """

    line_open_years: tuple[tuple[str, int], ...] = ()
    line_year_shifts: tuple[tuple[str, int], ...] = ()
    links: tuple[Link, ...] = ()
    time_factors: tuple[TimeFactor, ...] = ()
    frozen_after: int | None = None


# --------------------------------------------------------------------------------------
# Static geometry, shared by every run (parameters only set speeds on it).
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Geometry:
    """Nodes and candidate edges of the full network, independent of parameters."""

    node_codes: np.ndarray  # county code per county node
    station_county: np.ndarray  # full county index of each station node
    n_nodes: int
    roc_node: int
    county_lon: np.ndarray
    county_lat: np.ndarray
    county_area: np.ndarray
    roads: pd.DataFrame  # u, v (county index), length_km, road_class, open_year, label
    stations: pd.DataFrame  # line, order, county (full index), open_year, speed, planned

    @property
    def node_county(self) -> np.ndarray:
        """Full county index of every node (stations: their county; ROC: -1)."""
        return np.concatenate([np.arange(len(self.node_codes)), [-1], self.station_county])

    def station_node(self, county_index: np.ndarray) -> np.ndarray:
        """Node id of the station in each county (counties must have one)."""
        lookup = np.full(len(self.node_codes), -1, dtype=np.int64)
        lookup[self.station_county] = self.roc_node + 1 + np.arange(len(self.station_county))
        return lookup[county_index]


@cache
def _geometry() -> _Geometry:
    counties = sources.counties()
    codes = counties["code"].to_numpy()
    lon = counties["lon"].to_numpy(dtype=float)
    lat = counties["lat"].to_numpy(dtype=float)
    index_of = {int(c): i for i, c in enumerate(codes)}

    roads = _gabriel_roads(lon, lat)
    roads = pd.concat([roads, _expressway_roads(counties, index_of, lon, lat)],
                      ignore_index=True)

    rail = sources.rail_lines()
    stations = pd.DataFrame({
        "line": rail["line_name_en"],
        "order": rail["station_order"],
        "county": rail["county_code"].map(index_of),
        "open_year": np.where(rail["planned"].eq("yes"), NEVER, rail["open_year"]),
        "data_open_year": rail["open_year"],
        "speed_kmh": rail["design_speed_kmh"].astype(float),
        "planned": rail["planned"].eq("yes"),
        # The data's confidence: the lower of the line's and the station's county.
        "confidence": rail["confidence"],
    })
    if stations["county"].isna().any():
        bad = rail.loc[stations["county"].isna(), "county_code"].unique()
        raise ValueError(f"rail_lines.csv has county codes not in counties.csv: {bad}")
    stations["county"] = stations["county"].astype(np.int64)
    stations = stations.sort_values(["line", "order"], kind="stable").reset_index(drop=True)
    station_county = np.unique(stations["county"].to_numpy())
    n_nodes = len(codes) + len(station_county) + 1
    return _Geometry(
        node_codes=codes, station_county=station_county, n_nodes=n_nodes,
        roc_node=len(codes), county_lon=lon, county_lat=lat,
        county_area=counties["area_km2"].to_numpy(dtype=float),
        roads=roads, stations=stations,
    )


def _gabriel_roads(lon: np.ndarray, lat: np.ndarray) -> pd.DataFrame:
    """Gabriel graph of the seats: Delaunay edges with an empty diametral circle."""
    lat0 = np.radians(lat.mean())
    xy = np.column_stack([lon * np.cos(lat0), lat]) * (np.pi / 180 * EARTH_RADIUS_KM)
    tri = Delaunay(xy)
    s = tri.simplices
    pairs = np.concatenate([s[:, [0, 1]], s[:, [1, 2]], s[:, [0, 2]]])
    pairs = np.unique(np.sort(pairs, axis=1), axis=0)
    mid = (xy[pairs[:, 0]] + xy[pairs[:, 1]]) / 2
    radius2 = ((xy[pairs[:, 0]] - xy[pairs[:, 1]]) ** 2).sum(axis=1) / 4
    d2 = ((mid[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)
    d2[np.arange(len(pairs)), pairs[:, 0]] = np.inf
    d2[np.arange(len(pairs)), pairs[:, 1]] = np.inf
    keep = d2.min(axis=1) >= radius2 * (1 - 1e-9)
    u, v = pairs[keep, 0], pairs[keep, 1]
    return pd.DataFrame({
        "u": u, "v": v,
        "length_km": great_circle_km(lon[u], lat[u], lon[v], lat[v]),
        "road_class": "national", "open_year": ALWAYS, "label": "", "confidence": "derived",
    })


def _expressway_roads(counties: pd.DataFrame, index_of: dict[int, int],
                      lon: np.ndarray, lat: np.ndarray) -> pd.DataFrame:
    """Links between consecutive counties of each listed expressway segment."""
    ex = sources.expressways()
    pref = counties["prefecture_zh"].str.replace("(直辖)", "", regex=False)
    by_name: dict[str, list[int]] = {}
    for i, name in enumerate(counties["name_zh"]):
        by_name.setdefault(name, []).append(i)

    def locate(name: str, prefecture: str) -> int | None:
        hits = by_name.get(name, [])
        if len(hits) > 1:
            p = prefecture.replace("(直辖)", "")
            hits = [i for i in hits if pref.iloc[i] == p]
        return hits[0] if len(hits) == 1 else None

    ex["county"] = [locate(n, p) for n, p in zip(ex["county_name_zh"], ex["prefecture"],
                                                 strict=True)]
    rows = []
    for (code, _segment), g in ex.groupby(["expressway_code", "segment_zh"], sort=False):
        g = g.sort_values("county_order").dropna(subset=["county"])
        seq = g["county"].astype(int).to_numpy()
        years = g["open_year"].to_numpy()
        conf = g["confidence"].to_numpy()
        for k in range(len(seq) - 1):
            if seq[k] != seq[k + 1]:
                rows.append((seq[k], seq[k + 1], int(years[k]), f"{code} {g['name_en'].iloc[0]}",
                             min(conf[k], conf[k + 1], key=CONFIDENCE_ORDER.index)))
    u = np.array([r[0] for r in rows], dtype=np.int64)
    v = np.array([r[1] for r in rows], dtype=np.int64)
    return pd.DataFrame({
        "u": u, "v": v,
        "length_km": great_circle_km(lon[u], lat[u], lon[v], lat[v]),
        "road_class": "expressway",
        "open_year": [r[2] for r in rows],
        "label": [r[3] for r in rows],
        "confidence": [r[4] for r in rows],
    })


def line_names(planned: bool | None = None) -> list[str]:
    """Names of the rail lines in the data (optionally only planned / only opened)."""
    st = _geometry().stations
    if planned is not None:
        st = st[st["planned"] == planned]
    return sorted(st["line"].unique())


def line_station_codes(line: str) -> list[int]:
    """Codes of the counties with a station of ``line``."""
    geo = _geometry()
    st = geo.stations
    return sorted({int(geo.node_codes[c]) for c in st.loc[st["line"] == line, "county"]})


# --------------------------------------------------------------------------------------
# Candidate edges: every edge that exists in some year, with its years of existence.
# --------------------------------------------------------------------------------------


class _Candidates:
    """Edges over all years for one set of network changes (no parameters yet).

    Built once per set of changes; the per-run and per-year work uses the numpy
    arrays only.
    """

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table  # u, v, mode, road_class, line, open_year, end_year,
        # length_km (great circle), speed_kmh (design or scenario), station_penalty
        self.u = table["u"].to_numpy()
        self.v = table["v"].to_numpy()
        self.start = table["open_year"].to_numpy()
        self.end = table["end_year"].to_numpy()
        mode = table["mode"].to_numpy()
        road_class = table["road_class"].to_numpy()
        self.is_road = mode == "road"
        self.is_rail = mode == "rail"
        self.is_access = mode == "access"
        self.is_roc = mode == "roc"
        self.is_expressway = road_class == "expressway"
        self.is_national = road_class == "national"
        self.length = table["length_km"].to_numpy(dtype=float)
        self.speed = table["speed_kmh"].to_numpy(dtype=float)
        self.penalty = table["station_penalty"].to_numpy(dtype=float)

    def times(self, p: Parameters) -> np.ndarray:
        """Travel time of every candidate edge (hours) under parameters ``p``."""
        time = np.zeros(len(self.u))
        road_speed = np.where(self.is_expressway, p.expressway_speed_kmh,
                              np.where(self.is_national, p.national_road_speed_kmh, self.speed))
        road, rail = self.is_road, self.is_rail
        time[road] = self.length[road] * p.road_circuity / road_speed[road]
        time[rail] = (self.length[rail] * p.rail_circuity
                      / (self.speed[rail] * p.rail_speed_factor)
                      + self.penalty[rail] * p.station_access_h)
        time[self.is_access] = p.station_access_h / 2
        time[self.is_roc] = p.roc_access_h
        return time


@cache
def _candidates(changes: NetworkChanges) -> _Candidates:
    geo = _geometry()
    parts = [geo.roads.assign(mode="road", line=geo.roads["label"], end_year=NEVER,
                              speed_kmh=np.nan, station_penalty=0.0)
             .drop(columns="label")]
    parts.append(_rail_candidates(geo, changes))
    parts.append(_link_candidates(geo, changes))
    parts.append(pd.DataFrame({
        "u": geo.station_county, "v": geo.station_node(geo.station_county),
        "mode": "access", "road_class": "", "line": "", "open_year": ALWAYS,
        "end_year": NEVER, "length_km": 0.0, "speed_kmh": np.nan, "station_penalty": 0.0,
        "confidence": "model",
    }))
    gates = np.flatnonzero(np.isin(geo.node_codes, GATEWAY_CODES))
    parts.append(pd.DataFrame({
        "u": gates, "v": geo.roc_node, "mode": "roc", "road_class": "", "line": "",
        "open_year": ALWAYS, "end_year": NEVER, "length_km": 0.0, "speed_kmh": np.nan,
        "station_penalty": 0.0, "confidence": "model",
    }))
    table = pd.concat([p for p in parts if len(p)], ignore_index=True)
    table["u"] = table["u"].astype(np.int64)
    table["v"] = table["v"].astype(np.int64)
    table["open_year"] = table["open_year"].astype(np.int64)
    table["end_year"] = table["end_year"].astype(np.int64)
    if changes.frozen_after is not None:
        # Edges opening later never open; edges they would have replaced stay.
        later = table["open_year"] > changes.frozen_after
        table.loc[later, "open_year"] = NEVER
        table.loc[table["end_year"] > changes.frozen_after, "end_year"] = NEVER
        table = table[table["open_year"] < NEVER].reset_index(drop=True)
    return _Candidates(table)


def _station_years(geo: _Geometry, changes: NetworkChanges) -> np.ndarray:
    st = geo.stations
    years = st["open_year"].to_numpy().copy()
    line = st["line"].to_numpy()
    data_years = st["data_open_year"].to_numpy()
    for name, shift in changes.line_year_shifts:
        sel = line == name
        years[sel] = data_years[sel] + shift
    for name, year in changes.line_open_years:
        years[line == name] = year
    return years


def _rail_candidates(geo: _Geometry, changes: NetworkChanges) -> pd.DataFrame:
    """Edges between consecutive open stations of each line, by years of validity.

    When a station opens between two open ones, the edge that bypassed it ends
    and two edges through it begin (e.g. Emeishan station reopening in 2017).
    """
    st = geo.stations.assign(open_year=_station_years(geo, changes))
    rows: dict[tuple, list] = {}
    trust: dict[tuple, str] = {}
    for line, g in st.groupby("line", sort=True):
        county = g["county"].to_numpy()
        speed = g["speed_kmh"].to_numpy()
        years = g["open_year"].to_numpy()
        conf = g["confidence"].to_numpy()
        breaks = sorted(y for y in set(years.tolist()) if y < NEVER)
        for k, year in enumerate(breaks):
            until = breaks[k + 1] if k + 1 < len(breaks) else NEVER
            idx = np.flatnonzero(years <= year)
            for a, b in pairwise(idx):
                if county[a] == county[b]:
                    continue
                key = (line, int(county[a]), int(county[b]), float(min(speed[a], speed[b])))
                trust[key] = min(conf[a], conf[b], key=CONFIDENCE_ORDER.index)
                spans = rows.setdefault(key, [])
                if spans and spans[-1][1] == year:
                    spans[-1][1] = until
                else:
                    spans.append([year, until])
    out = [(line, a, b, sp, s, e, trust[line, a, b, sp])
           for (line, a, b, sp), spans in rows.items() for s, e in spans]
    a = np.array([r[1] for r in out], dtype=np.int64)
    b = np.array([r[2] for r in out], dtype=np.int64)
    return pd.DataFrame({
        "u": geo.station_node(a), "v": geo.station_node(b), "mode": "rail",
        "road_class": "", "line": [r[0] for r in out],
        "open_year": [r[4] for r in out], "end_year": [r[5] for r in out],
        "length_km": great_circle_km(geo.county_lon[a], geo.county_lat[a],
                                     geo.county_lon[b], geo.county_lat[b]),
        "speed_kmh": [r[3] for r in out], "station_penalty": 0.0,
        "confidence": [r[6] for r in out],
    })


def _link_candidates(geo: _Geometry, changes: NetworkChanges) -> pd.DataFrame:
    """Scenario links between counties.

    Rail links join stations; a county without one is joined at its seat and
    the link carries the whole station access time.
    """
    index_of = {int(c): i for i, c in enumerate(geo.node_codes)}
    rows = []
    for link in changes.links:
        a, b = index_of[link.a], index_of[link.b]
        u, v, penalty = a, b, 0.0
        if link.mode == "rail":
            if a in geo.station_county and b in geo.station_county:
                u, v = geo.station_node(np.array([a, b]))
            else:
                penalty = 1.0
        rows.append({
            "u": u, "v": v, "mode": link.mode,
            "road_class": "scenario" if link.mode == "road" else "",
            "line": link.label, "open_year": link.open_year, "end_year": NEVER,
            "length_km": float(great_circle_km(geo.county_lon[a], geo.county_lat[a],
                                               geo.county_lon[b], geo.county_lat[b])),
            "speed_kmh": float(link.speed_kmh), "station_penalty": penalty,
            "confidence": "scenario",
        })
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------
# Shortest paths
# --------------------------------------------------------------------------------------

#: Shortest paths by graph (the candidate edges, their base times, which are
#: active, which time factors apply). Batches of runs share networks (replicates,
#: scenarios that leave the network alone), so each graph is solved once per
#: process, and each region's view of it is cut once. A run meets a new graph
#: almost every year and batches alternate scenarios, so the least recently used
#: are dropped beyond 64 MB (≈ 37 graphs of 329 nodes with their region views).
_PATHS: LRUCache = LRUCache(maxsize=64 * 2**20, getsizeof=lambda paths: 2 * paths.dist.nbytes)


@dataclass(eq=False)
class _Paths:
    """All-pairs travel times of one graph, and region views of them."""

    dist: np.ndarray
    regions: dict[tuple, tuple[np.ndarray, np.ndarray]]


def _remember(key: tuple, dist: np.ndarray) -> _Paths:
    dist.flags.writeable = False
    paths = _PATHS[key] = _Paths(dist=dist, regions={})
    return paths


def _all_pairs(n_nodes: int, u: np.ndarray, v: np.ndarray, t: np.ndarray) -> np.ndarray:
    """All-pairs shortest travel times on an undirected graph."""
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    # Parallel edges (a road and an expressway between two seats): keep the
    # fastest, since building a sparse matrix would add them up.
    order = np.lexsort((t, hi, lo))
    lo, hi, ts = lo[order], hi[order], t[order]
    first = np.ones(len(lo), dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    graph = csr_matrix((ts[first], (lo[first], hi[first])), shape=(n_nodes, n_nodes))
    return dijkstra(graph, directed=False)


def _add_edges(dist: np.ndarray, u: np.ndarray, v: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Shortest paths after adding (or speeding up) edges, exactly, in O(n²) each.

    With one new edge (a, b, w) a path either avoids it or crosses it once, so
    d'(i, j) = min(d(i, j), d(i, a) + w + d(b, j), d(i, b) + w + d(a, j)).
    """
    d = dist.copy()
    for a, b, w in zip(u, v, t, strict=True):
        if d[a, b] <= w:
            continue
        via = d[:, a, None] + w + d[None, b, :]
        np.minimum(d, via, out=d)
        np.minimum(d, via.T, out=d)
    return d


# --------------------------------------------------------------------------------------
# A run's network
# --------------------------------------------------------------------------------------


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
        self._geo = _geometry()
        self._cand = _candidates(self.changes)
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
        paths = _PATHS.get(key)
        if paths is None:
            was = self._active
            only_gains = (
                self._dist is not None
                and not (was & ~active).any()
                and not (times[was] > self._times[was]).any()
            )
            if only_gains:
                new = active & (~was | (times < self._times))
                dist = _add_edges(self._dist, c.u[new], c.v[new], times[new])
            else:
                dist = _all_pairs(self._geo.n_nodes, c.u[active], c.v[active], times[active])
            paths = _remember(key, dist)
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
    geo = _geometry()
    e = edges[edges["mode"].isin(list(modes))].copy()
    e["a"] = geo.node_codes[geo.node_county[e["u"].to_numpy(dtype=np.int64)]]
    e["b"] = geo.node_codes[geo.node_county[e["v"].to_numpy(dtype=np.int64)]]
    return e.reset_index(drop=True)
