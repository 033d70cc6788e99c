"""Layer 4, figures: every figure of countysim, in one style.

Figure functions read results tables (never a live model; a network map reads the
network a scenario implies), take an optional ``ax``, return the Axes and never
show or save; :mod:`.style` holds the journal settings and
:func:`~sim.figures.style.save_figure`. Use them from here::

    from sim import figures
    ax = figures.fan_chart("results/levers", "gdp_bn_yuan", baseline="baseline")
    figures.style.save_figure(ax.figure, "figures/gdp")

Modules: :mod:`.style` (palettes, sizes, saving, legends), :mod:`.basemap` (county
shapes, borders, frame, scale bar), :mod:`.charts` (series over years and across
scenarios), :mod:`.maps` (county maps), :mod:`.network_maps` (network and flows),
:mod:`.sensitivity` (indices, convergence, discovery boxes), :mod:`.validation`
(the validation report's scatter plots and residual map), :mod:`.standard` (the
standard set that ``countysim compare`` writes). See docs/figures.md.
"""

from sim.figures import style
from sim.figures.charts import (
    beta_chart,
    fan_chart,
    indicator_panels,
    lever_comparison,
    pilot_effect_chart,
    sigma_chart,
)
from sim.figures.maps import county_map, county_values, label_points, scenario_map, scenario_maps
from sim.figures.network_maps import flow_map, network_map
from sim.figures.sensitivity import convergence_chart, discovery_chart, indices_chart, morris_chart
from sim.figures.standard import Written, scenario_definition, write_comparison
from sim.model.scenario import network_for

__all__ = [
    "Written",
    "beta_chart",
    "convergence_chart",
    "county_map",
    "county_values",
    "discovery_chart",
    "fan_chart",
    "flow_map",
    "indicator_panels",
    "indices_chart",
    "label_points",
    "lever_comparison",
    "morris_chart",
    "network_for",
    "network_map",
    "pilot_effect_chart",
    "scenario_definition",
    "scenario_map",
    "scenario_maps",
    "sigma_chart",
    "style",
    "write_comparison",
]
