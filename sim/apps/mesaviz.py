"""Mesa's SolaraViz for the county model: a county map component, and model_params.

Mesa's own components draw a model's ``grid`` or ``space``; counties are places on a
map, so :func:`make_map_component` is a component of the same form as Mesa's
``make_plot_component`` that draws the counties coloured by a column of their row
(with :func:`sim.figures.county_map`). :func:`model_params` gives SolaraViz the fixed
values that rebuild the model on Reset, and sliders for the parameters named::

    from mesa.visualization import SolaraViz, make_plot_component
    from sim.apps.mesaviz import make_map_component, model_params

    model = sim.CountyModel(scenario="pilot_programme", seed=1)
    SolaraViz(model, components=[make_plot_component("theil"),
                                 make_map_component("gdp_per_capita_yuan")],
              model_params=model_params(model, "migration_rate"))

Needs Solara (the ``explore`` extra). See docs/mesa.md.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import solara
from matplotlib.figure import Figure
from mesa.visualization import Slider
from mesa.visualization.utils import update_counter

from sim import figures
from sim.apps.explorer.views import new_figure
from sim.base.errors import InputError
from sim.figures import style
from sim.model.parameters import Parameters, check_parameter_name
from sim.model.rows import ROW_COLUMNS
from sim.model.schema import COUNTY_YEAR, axis_label, display_scale
from sim.model.shell import CountyModel

#: County columns a map can show (numbers only).
MAP_COLUMNS = tuple(c.name for c in COUNTY_YEAR.columns
                    if c.name in ROW_COLUMNS and c.dtype == "float64")
#: Steps of a parameter slider across its plausible range.
SLIDER_STEPS = 20


def make_map_component(measure: str = "gdp_per_capita_yuan", page: int = 0,
                       **county_map_kwargs: Any) -> tuple[Any, int]:
    """A SolaraViz component: the model's counties coloured by one column of their row.

    Args:
        measure: a numeric ``county_year`` column (:data:`MAP_COLUMNS`), read from the
            agents (``agent.<measure>``) in the model's current year.
        page: the SolaraViz page to show it on.
        **county_map_kwargs: passed to :func:`sim.figures.county_map` (``cmap``,
            ``vmin``, ``vmax``, ``label_pilots``, …).

    Returns:
        ``(component, page)``, as Mesa's ``make_plot_component`` returns.

    Raises:
        InputError: ``measure`` is not a numeric county column.
    """
    if measure not in MAP_COLUMNS:
        raise InputError(f"unknown map measure '{measure}'; allowed: {', '.join(MAP_COLUMNS)}")

    def MakeCountyMap(model: CountyModel) -> Any:
        return CountyMap(model, measure, county_map_kwargs)

    return MakeCountyMap, page


@solara.component
def CountyMap(model: CountyModel, measure: str, options: dict[str, Any]) -> None:
    """The counties of ``model`` coloured by ``measure`` (redrawn after every step)."""
    update_counter.get()
    fig = county_map_figure(model, measure, **options)
    solara.FigureMatplotlib(fig, format="png", bbox_inches="tight")


def county_map_figure(model: CountyModel, measure: str, **county_map_kwargs: Any) -> Figure:
    """The map :func:`make_map_component` shows, as a matplotlib Figure (outside pyplot)."""
    scale = display_scale(measure)
    values = pd.Series({a.code: getattr(a, measure) * scale for a in model.agents})
    options = {"label": axis_label(measure), "title": f"{model.sim_scenario.name}, "
               f"{model.year}", **county_map_kwargs}
    fig = new_figure(4.6, 3.6)
    with style.paper_style():
        figures.county_map(values, ax=fig.add_subplot(), **options)
    return fig


def model_params(model: CountyModel, *sliders: str) -> dict[str, Any]:
    """SolaraViz's ``model_params`` that rebuild ``model`` on Reset, with sliders.

    Args:
        model: the model shown.
        *sliders: parameters (docs/parameters.md) to offer as sliders over their
            plausible range (widened to include the model's value).

    Returns:
        The countysim scenario (as ``sim_scenario``: Reset replaces any ``scenario``
        entry by a new Mesa scenario object), seed, replicate, mode and parameter set
        as fixed values, and one ``mesa.visualization.Slider`` per name.

    Raises:
        InputError: a name that is not a parameter.
    """
    specs = Parameters.specs()
    params: dict[str, Any] = {
        "sim_scenario": model.sim_scenario, "seed": model.seed,
        "replicate": model.replicate, "deterministic": model.deterministic,
        "record_flows": model.recorder.record_flows, "parameters": model.params}
    for name in sliders:
        check_parameter_name(name)
        spec, value = specs[name], getattr(model.params, name)
        lo, hi = min(spec.plausible[0], value), max(spec.plausible[1], value)
        params[name] = Slider(f"{name} ({spec.unit})", value=float(value), min=float(lo),
                              max=float(hi), step=(hi - lo) / SLIDER_STEPS, dtype=float)
    return params
