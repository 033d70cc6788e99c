"""The infrastructure graph: built from data, openings in their years, τ consistent."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from sim.model.network import NEVER, Network, NetworkChanges, line_names, line_station_codes
from sim.model.network.paths import PATHS
from sim.model.parameters import Parameters
from sim.model.region import load_region

CDW = "Chengdu–Dazhou–Wanzhou high-speed railway"
CCHSR = "Chengdu–Chongqing intercity railway (Chengdu–Chongqing HSR)"
JINNIU, YUZHONG, WANZHOU, SHUANGLIU = 510106, 500103, 500101, 510116
CHENGHUA, BISHAN = 510108, 500120  # ends of the 2015 section of the Chengdu–Chongqing HSR


def _tt(network: Network, a: int, b: int) -> float:
    r = network.region
    return float(network.travel_time[r.index_of(a), r.index_of(b)])


@pytest.fixture(scope="module")
def region():
    return load_region("sichuan_chongqing", 2010)


def test_every_county_is_reachable(region):
    n = Network(region, Parameters())
    n.set_year(2010)
    assert np.isfinite(n.travel_time).all()
    assert (n.travel_time[:-1, :-1] > 0).all()
    np.testing.assert_allclose(n.travel_time, n.travel_time.T)


def test_rail_line_exists_from_its_opening_year(region):
    n = Network(region, Parameters())
    n.set_year(2014)
    assert CCHSR not in set(n.edges["line"])
    before = _tt(n, CHENGHUA, BISHAN), _tt(n, JINNIU, YUZHONG)
    assert n.set_year(2015)
    assert CCHSR in set(n.edges["line"])
    assert _tt(n, CHENGHUA, BISHAN) < before[0] - 1.0  # the HSR saves hours end to end
    assert _tt(n, JINNIU, YUZHONG) < before[1]


def test_planned_lines_open_only_when_a_scenario_opens_them(region):
    assert CDW in line_names(planned=True)
    base = Network(region, Parameters())
    base.set_year(2030)
    assert CDW not in set(base.edges["line"])
    opened = Network(region, Parameters(), NetworkChanges(line_open_years=((CDW, 2024),)))
    opened.set_year(2023)
    assert CDW not in set(opened.edges["line"])
    opened.set_year(2024)
    assert CDW in set(opened.edges["line"])
    assert _tt(opened, SHUANGLIU, WANZHOU) < _tt(base, SHUANGLIU, WANZHOU)
    for a in line_station_codes(CDW):
        for b in line_station_codes(CDW):
            assert _tt(opened, a, b) <= _tt(base, a, b) + 1e-12


def test_network_without_rail_is_slower(region):
    params = Parameters()
    with_rail = Network(region, params)
    with_rail.set_year(2025)
    no_rail = Network(region, params, NetworkChanges(
        line_open_years=tuple((name, NEVER) for name in line_names())))
    no_rail.set_year(2025)
    assert (no_rail.edges["mode"] != "rail").all()
    assert no_rail.travel_time[:-1, :-1].mean() > with_rail.travel_time[:-1, :-1].mean()
    assert (no_rail.travel_time >= with_rail.travel_time - 1e-12).all()


def test_incremental_update_equals_full_recomputation(region):
    PATHS.clear()
    stepwise = Network(region, Parameters())
    for year in range(2010, 2026):
        stepwise.set_year(year)
    PATHS.clear()
    direct = Network(region, Parameters())
    direct.set_year(2025)
    np.testing.assert_allclose(stepwise.travel_time, direct.travel_time, rtol=1e-12)


def test_travel_times_are_recomputed_only_when_the_network_changes(region):
    n = Network(region, Parameters())
    assert n.set_year(2020)
    version = n.version
    assert not n.set_year(2020)
    assert n.version == version


def test_faster_roads_shorten_travel(region):
    slow = Network(region, Parameters(national_road_speed_kmh=40))
    fast = Network(region, Parameters(national_road_speed_kmh=60))
    slow.set_year(2020)
    fast.set_year(2020)
    assert fast.travel_time[:-1, :-1].mean() < slow.travel_time[:-1, :-1].mean()


def test_graphml_export_round_trips(region, tmp_path):
    n = Network(region, Parameters())
    n.set_year(2020)
    path = tmp_path / "network.graphml"
    n.write_graphml(path)
    g = nx.read_graphml(path)
    counties = [v for v, d in g.nodes(data=True) if d["kind"] == "county"]
    assert len(counties) == 221
    modes = {d["mode"] for _, _, d in g.edges(data=True)}
    assert {"road", "rail", "access", "roc"} <= modes
    # Uncertain facts stay marked: each edge says how sure its data are.
    trust = {(d["mode"], d["confidence"]) for _, _, d in g.edges(data=True)}
    assert {("rail", "low"), ("rail", "high"), ("road", "derived"), ("roc", "model")} <= trust
    national = [d for _, _, d in g.edges(data=True) if d.get("road_class") == "national"]
    assert {d["speed_kmh"] for d in national} == {Parameters().national_road_speed_kmh}
