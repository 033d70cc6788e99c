"""mesa-geo: county agents as GeoAgents in a GeoSpace, and the Leaflet map (headless)."""

from __future__ import annotations

import warnings

import ipyleaflet
import mesa_geo as mg
import numpy as np
import pandas as pd
import pytest
import reacton
import solara
from mesa_geo.visualization import MapModule

import sim
from sim.apps import geomap
from sim.base import sources
from sim.model.geospace import GeoCountyAgent, GeoCountyModel

LINSHUI, DAZHU = 511623, 511724


@pytest.fixture(scope="module")
def model(baseline):
    return GeoCountyModel(baseline, deterministic=True)


def widgets(root):
    """Every widget under ``root``."""
    yield root
    for child in getattr(root, "children", ()):
        yield from widgets(child)


def by_code(model, code):
    return next(a for a in model.agents if a.code == code)


def test_every_county_agent_is_a_geoagent_in_the_space(model):
    agents = list(model.agents)
    assert len(agents) == len(model.space.agents) == 140
    assert all(isinstance(a, sim.CountyAgent) and isinstance(a, mg.GeoAgent) for a in agents)
    assert {a.code for a in model.space.agents} == set(sim.load_region("ccec").codes)
    # The space is in metres (regional Albers): polygon areas are the counties' areas.
    area = pd.Series({a.code: a.geometry.area / 1e6 for a in agents})
    listed = sources.counties().set_index("code")["area_km2"].loc[area.index]
    assert (area / listed - 1).abs().median() < 0.01


def test_geospace_neighbours_are_the_bordering_counties(model):
    with warnings.catch_warnings():  # libpysal: one CCEC county borders none of the rest
        warnings.simplefilter("ignore", UserWarning)
        found = {tuple(sorted((a.code, b.code))) for a in model.space.agents
                 for b in model.space.get_neighbors(a)}
    table = sources.county_adjacency()
    codes = {a.code for a in model.agents}
    rook = {(a, b) for a, b in zip(table["code_a"], table["code_b"], strict=True)
            if a in codes and b in codes}
    # mesa-geo's neighbours are queen contiguity: also the two point contacts of
    # central Chengdu, which the road network leaves out.
    assert found - rook == {(510104, 510106), (510105, 510108)}
    assert rook <= found
    assert (LINSHUI, DAZHU) in found


def test_the_geo_model_runs_the_same_as_the_county_model(baseline):
    geo = GeoCountyModel(baseline, deterministic=True)
    geo.run_model()
    plain = sim.CountyModel(baseline, deterministic=True)
    plain.run_model()
    pd.testing.assert_frame_equal(geo.county_year(), plain.county_year())
    gdf = geo.space.get_agents_as_GeoDataFrame()
    assert len(gdf) == 140 and gdf.crs.equals(geo.space.crs)


def test_portrayal_follows_the_model_and_map_renders_without_tiles(baseline):
    model = GeoCountyModel(baseline, deterministic=True)
    portray = geomap.portrayal("population")
    before = portray(by_code(model, LINSHUI))
    assert before["fillColor"].startswith("#") and "邻水县" in before["description"]
    model.step()
    after = portray(by_code(model, LINSHUI))
    assert after["description"] != before["description"]  # the population changed
    features, markers = MapModule(portrayal_method=portray, tiles=None).render(model)["agents"]
    assert len(features["features"]) == 140 and markers == []
    box, context = reacton.render(solara.Column(children=[geomap.map_component()(model)]),
                                  handle_error=False)
    (leaflet,) = [w for w in widgets(box) if isinstance(w, ipyleaflet.Map)]
    assert not [t for t in leaflet.layers if isinstance(t, ipyleaflet.TileLayer)]  # no fetch
    (counties,) = [t for t in leaflet.layers if isinstance(t, ipyleaflet.GeoJSON)]
    assert len(counties.data["features"]) == 140
    lat, lon = leaflet.center  # the view is around the region, in degrees
    assert 28 < lat < 33 and 103 < lon < 109
    context.close()
    box, context = reacton.render(geomap.viz(model, "gdp_bn_yuan"), handle_error=False)
    context.close()
    again = GeoCountyModel(**geomap.reset_parameters(model))  # what Reset builds
    assert again.year == baseline.start_year and again.seed == model.seed


def test_colours_span_the_values_and_bad_variables_are_refused(model):
    portray = geomap.portrayal("gdp_bn_yuan")
    agents = sorted(model.agents, key=lambda a: a.gdp_bn_yuan)
    assert portray(agents[0])["fillColor"] != portray(agents[-1])["fillColor"]
    with pytest.raises(sim.InputError, match="unknown map variable 'gpd'"):
        geomap.portrayal("gpd")


def test_geoagents_keep_the_county_agent_interface(model):
    agent = by_code(model, LINSHUI)
    assert agent.snapshot()["code"] == LINSHUI
    assert agent.is_pilot and np.isfinite(agent.travel_time_to_core_h)
    assert isinstance(agent, GeoCountyAgent) and agent.geometry.is_valid
