"""The network's nodes and candidate edges, built once from the data.

Nodes are the 221 county seats, one station node per county served by rail and
the rest-of-China (ROC) node. Candidate edges are every edge that exists in some
year (roads, rail sections between consecutive open stations, station access,
ROC links, scenario links), each with the years it exists; parameters only set
their travel times (:meth:`Candidates.times`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import pairwise

import numpy as np
import pandas as pd

from sim.base import sources
from sim.model.network.changes import NetworkChanges
from sim.model.parameters import Parameters
from sim.model.region import GATEWAY_CODES

EARTH_RADIUS_KM = 6371.0
#: Confidence labels of the data, lowest first. Edges carry one: the data's for
#: rail and listed expressways; "derived" for national roads (built from which
#: counties share a border, not from a road map), "model" for station access and ROC links, and
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


# --------------------------------------------------------------------------------------
# Static geometry, shared by every run (parameters only set speeds on it).
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Geometry:
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
def geometry() -> Geometry:
    """The nodes and static edges of the full 221-unit network (built once per process)."""
    counties = sources.counties()
    codes = counties["code"].to_numpy()
    lon = counties["lon"].to_numpy(dtype=float)
    lat = counties["lat"].to_numpy(dtype=float)
    index_of = {int(c): i for i, c in enumerate(codes)}

    roads = _contiguity_roads(index_of, lon, lat)
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
    return Geometry(
        node_codes=codes, station_county=station_county, n_nodes=n_nodes,
        roc_node=len(codes), county_lon=lon, county_lat=lat,
        county_area=counties["area_km2"].to_numpy(dtype=float),
        roads=roads, stations=stations,
    )


def _contiguity_roads(index_of: dict[int, int], lon: np.ndarray, lat: np.ndarray
                      ) -> pd.DataFrame:
    """A national road between every two units that share a border.

    ``county_adjacency.csv`` lists the pairs (a shared border longer than 0.5 km);
    each road runs seat to seat, its length the great circle between the seats.
    """
    adjacency = sources.county_adjacency()
    u = adjacency["code_a"].map(index_of)
    v = adjacency["code_b"].map(index_of)
    if u.isna().any() or v.isna().any():
        raise ValueError("county_adjacency.csv has county codes not in counties.csv")
    u, v = u.to_numpy(dtype=np.int64), v.to_numpy(dtype=np.int64)
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
    st = geometry().stations
    if planned is not None:
        st = st[st["planned"] == planned]
    return sorted(st["line"].unique())


def line_station_codes(line: str) -> list[int]:
    """Codes of the counties with a station of ``line``."""
    geo = geometry()
    st = geo.stations
    return sorted({int(geo.node_codes[c]) for c in st.loc[st["line"] == line, "county"]})


# --------------------------------------------------------------------------------------
# Candidate edges: every edge that exists in some year, with its years of existence.
# --------------------------------------------------------------------------------------


class Candidates:
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
def candidates(changes: NetworkChanges) -> Candidates:
    """Every edge of the network over all years, for one set of scenario changes."""
    geo = geometry()
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
    return Candidates(table)


def _station_years(geo: Geometry, changes: NetworkChanges) -> np.ndarray:
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


def _rail_candidates(geo: Geometry, changes: NetworkChanges) -> pd.DataFrame:
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


def _link_candidates(geo: Geometry, changes: NetworkChanges) -> pd.DataFrame:
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
