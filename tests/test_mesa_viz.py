"""Mesa's SolaraViz with the county model, driven without a browser: Step and Reset."""

from __future__ import annotations

import pandas as pd
import pytest

import sim
from sim.model.settings import CountyScenario

solara = pytest.importorskip("solara", reason="SolaraViz needs the 'explore' extra")
v = pytest.importorskip("ipyvuetify")
widgets = pytest.importorskip("ipywidgets")
pytest.importorskip("altair", reason="mesa.visualization imports altair")
from mesa.visualization import SolaraViz, make_plot_component  # noqa: E402

from sim.apps.mesaviz import make_map_component, model_params  # noqa: E402


def render(model, params=None):
    """SolaraViz of ``model`` inside an app layout (its controls live in the sidebar)."""
    reactive = solara.reactive(model)

    @solara.component
    def Page():
        with solara.AppLayout():
            SolaraViz(reactive, components=[make_plot_component(["theil", "gini"]),
                                            make_map_component("gdp_per_capita_yuan")],
                      model_params=params)

    _, rc = solara.render(Page(), handle_error=False)
    return reactive, rc


def click(rc, label: str) -> None:
    rc.find(v.Btn, children=[label]).widget.click()


def images(rc) -> list[bytes]:
    return [bytes(w.value) for w in rc.find(widgets.Image).widgets]


def errors(rc) -> list:
    return [a.children for a in rc.find(v.Alert).widgets]


def test_step_and_reset_drive_the_model_and_redraw_plot_and_map():
    model = sim.CountyModel(scenario="pilot_programme", end_year=2022, seed=1)
    reactive, rc = render(model, model_params(model, "migration_rate"))
    try:
        start = images(rc)
        assert len(start) == 2
        click(rc, "Step")
        assert reactive.value is model and model.year == 2021
        assert len(model.datacollector.get_model_vars_dataframe()) == 2
        stepped = images(rc)
        assert all(a != b for a, b in zip(start, stepped, strict=True))

        slider = rc.find(v.Slider, label="migration_rate (1/year)").widget
        slider.v_model = 0.05
        click(rc, "Reset")
        fresh = reactive.value
        assert fresh is not model and fresh.year == 2020
        assert (fresh.sim_scenario, fresh.seed) == (model.sim_scenario, 1)
        assert fresh.params == model.params.replace(migration_rate=0.05)
        click(rc, "Step")
        click(rc, "Step")
        assert not fresh.running
        assert rc.find(v.Btn, children=["Step"]).widget.disabled
        same = sim.CountyModel(scenario="pilot_programme", end_year=2022, seed=1,
                               migration_rate=0.05)
        same.run_model()
        pd.testing.assert_frame_equal(fresh.county_year(), same.county_year())
        assert errors(rc) == []
    finally:
        rc.close()


def test_reset_without_model_params_keeps_what_a_scenario_subclass_holds():
    # Reset builds the model from a new object of its scenario class (the crash).
    class Pilots(CountyScenario):
        sim_scenario: str = "pilot_programme"
        end_year: int = 2021

    model = sim.CountyModel(scenario=Pilots())
    reactive, rc = render(model)
    try:
        click(rc, "Step")
        click(rc, "Reset")
        fresh = reactive.value
        assert fresh is not model and isinstance(fresh.scenario, Pilots)
        assert fresh.run_id == model.run_id and fresh.year == 2020
        assert errors(rc) == []
    finally:
        rc.close()


def test_a_map_of_an_unknown_column_is_refused_in_one_line():
    with pytest.raises(sim.InputError, match="unknown map measure 'gdp'; allowed: population"):
        make_map_component("gdp")
    with pytest.raises(sim.InputError, match="did you mean 'migration_rate'"):
        model_params(sim.CountyModel(end_year=2021), "migraton_rate")


def test_the_mesa_geo_page_resets_to_the_same_model():
    pytest.importorskip("mesa_geo", reason="the mesa-geo map needs the 'geo' extra")
    from sim.apps import geomap
    from sim.model.geospace import GeoCountyModel

    model = GeoCountyModel("pilot_programme", end_year=2021, seed=2, deterministic=True)
    reactive = solara.reactive(model)

    @solara.component
    def Page():  # geomap.viz's page, with a model we can look at after Reset
        with solara.AppLayout():
            SolaraViz(reactive, components=[geomap.map_component("gdp_bn_yuan")],
                      model_params=geomap.reset_parameters(model))

    _, rc = solara.render(Page(), handle_error=False)
    try:
        click(rc, "Step")
        assert model.year == 2021
        click(rc, "Reset")
        fresh = reactive.value
        assert isinstance(fresh, GeoCountyModel) and fresh is not model
        assert fresh.run_id == model.run_id and fresh.year == 2020
        assert errors(rc) == []
    finally:
        rc.close()
