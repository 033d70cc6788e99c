"""A Leaflet map of the county model with mesa-geo (the geo extra), for SolaraViz.

::

    from sim.apps import geomap
    from sim.model.geospace import GeoCountyModel

    model = GeoCountyModel(sim.load_scenario("scenarios/pilot_programme.toml"))
    geomap.viz(model, "gdp_per_capita_yuan")      # last line of a Jupyter cell

:func:`portrayal` colours each county by one of its agent's values;
:func:`map_component` is ``mesa_geo.visualization.make_geospace_component``
with it and **no tile layer** (``tiles=None``: nothing is fetched from the
internet); :func:`viz` is Mesa's ``SolaraViz`` page with that map. Step the
model on the page and the colours follow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.colors import Normalize, to_hex

from sim.base.errors import InputError
from sim.model.geospace import GeoCountyModel

#: Agent values a map can show: attribute → label with unit.
VARIABLES: dict[str, str] = {
    "population": "Population (persons)",
    "urban_population": "Urban population (persons)",
    "gdp_bn_yuan": "GDP (bn yuan)",
    "income_per_capita_yuan": "Income per resident (yuan)",
    "market_access": "Market access (census-year mean = 1)",
    "travel_time_to_core_h": "Travel time to the nearest core (h)",
    "capital_bn_yuan": "Capital (bn yuan)",
    "land_km2": "Construction land (km²)",
}


def portrayal(variable: str = "population", cmap: str = "viridis"
              ) -> Callable[[Any], dict[str, Any]]:
    """A mesa-geo portrayal: Leaflet style options of a county by its value of ``variable``.

    The colour scale spans the 2nd–98th percentile of the model's counties at the
    time of drawing; the popup names the county and gives the value.

    Raises:
        InputError: an unknown variable (allowed: :data:`VARIABLES`).
    """
    if variable not in VARIABLES:
        raise InputError(f"unknown map variable '{variable}'; allowed: "
                         + ", ".join(VARIABLES))
    colours = mpl.colormaps[cmap]

    def portray(agent: Any) -> dict[str, Any]:
        values = np.array([getattr(a, variable) for a in agent.model.agents], dtype=float)
        lo, hi = np.percentile(values, [2, 98])
        value = float(getattr(agent, variable))
        norm = Normalize(lo, hi if hi > lo else lo + 1, clip=True)
        return {"color": "#FFFFFF", "weight": 0.6, "fillOpacity": 0.8,
                "fillColor": to_hex(colours(norm(value))),
                "description": f"{agent.name_zh} {agent.name_en}: {VARIABLES[variable]} "
                               + (f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}")}

    return portray


def map_component(variable: str = "population", **map_kw: Any) -> Callable[[Any], Any]:
    """The mesa-geo Leaflet component of the model's counties, without tiles.

    Other keywords go to ``ipyleaflet.Map`` (e.g. ``zoom=6``).
    """
    from mesa_geo.visualization import make_geospace_component

    map_kw.setdefault("zoom", 6)
    return make_geospace_component(portrayal(variable), tiles=None, **map_kw)


def viz(model: GeoCountyModel, variable: str = "population", **map_kw: Any) -> Any:
    """Mesa's ``SolaraViz`` page of ``model`` with the county map (Step, Play, Reset).

    Reset starts the same set-up again (scenario, seed, mode, parameters).
    """
    from mesa.visualization import SolaraViz

    return SolaraViz(model, components=[map_component(variable, **map_kw)],
                     model_params=reset_parameters(model),
                     name=f"countysim: {model.sim_scenario.name}")


def reset_parameters(model: GeoCountyModel) -> dict[str, Any]:
    """The keywords that rebuild ``model`` as it started (SolaraViz's fixed parameters).

    They are :func:`sim.apps.mesaviz.model_params`: the countysim scenario goes in as
    ``sim_scenario``, as Reset replaces a ``scenario`` entry with a new Mesa scenario
    object (docs/mesa.md).
    """
    from sim.apps.mesaviz import model_params

    return model_params(model)
