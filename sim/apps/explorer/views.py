"""The explorer's figures, drawn by :mod:`sim.figures` into PNG images.

Figures are made on plain :class:`~matplotlib.figure.Figure` objects (no
pyplot, nothing left open) so they can be drawn in a worker thread; a lock
keeps two drawings from changing matplotlib's style settings at once. The
``*_figure`` functions return the figure (for tests and notebooks), the
``*_png`` ones the image the explorer shows.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Sequence

import cachetools
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim import figures
from sim.apps.explorer.session import Snapshot
from sim.base.errors import InputError
from sim.figures import style
from sim.model.scenario import Scenario
from sim.model.schema import COUNTY_YEAR_COLUMNS, REGION_YEAR_COLUMNS, VARIABLES, axis_label

#: County-year columns a map can show, with their labels and units.
COUNTY_VARIABLES = {name: axis_label(name) for name in VARIABLES
                    if name in COUNTY_YEAR_COLUMNS}
#: Region-year indicators the time series can show.
REGION_VARIABLES = {name: axis_label(name) for name in VARIABLES
                    if name in REGION_YEAR_COLUMNS}
DEFAULT_MAP_VARIABLE = "gdp_per_capita_yuan"
DEFAULT_INDICATORS = ("gdp_bn_yuan", "gdp_per_capita_yuan", "urbanisation_rate", "theil")
#: Resolution of the images (journal-sized figures, sharp on screen).
DPI = style.SCREEN_DPI

_DRAW = threading.RLock()
#: Network images by (scenario digest, year); read and written under ``_DRAW``.
_NETWORKS: cachetools.LRUCache[tuple[str, int], bytes] = cachetools.LRUCache(maxsize=64)


def new_figure(width: float, height: float) -> Figure:
    """A figure in the paper style, outside pyplot (safe in a worker thread)."""
    with style.paper_style():
        fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    return fig


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    with _DRAW, style.paper_style():
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": "countysim"})
    return buf.getvalue()


def county_map_figure(snap: Snapshot, variable_name: str, *, year: int | None = None,
                      difference: bool = False) -> Figure:
    """The county map of ``variable_name`` in ``year`` (default: the model's year).

    Args:
        snap: the session's results (:meth:`Session.snapshot`).
        variable_name: a county-year column (see :data:`COUNTY_VARIABLES`).
        year: a simulated year; later years are clamped to the model's year.
        difference: map the difference from the reference run (diverging scale).

    Raises:
        InputError: a variable that is not a county-year column.
    """
    _check(variable_name, COUNTY_VARIABLES, "map variable")
    year = snap.year if year is None else max(snap.scenario.start_year, min(year, snap.year))
    with _DRAW, style.paper_style():
        fig = new_figure(4.3, 3.5)
        figures.scenario_map(snap.comparison, variable_name, scenario=snap.scenario.name,
                           baseline=snap.reference_name if difference else None, year=year,
                           ax=fig.add_subplot())
    return fig


def county_map_png(snap: Snapshot, variable_name: str, *, year: int | None = None,
                   difference: bool = False) -> bytes:
    """:func:`county_map_figure` as a PNG image."""
    return png(county_map_figure(snap, variable_name, year=year, difference=difference))


def network_png(scenario: Scenario, year: int) -> bytes:
    """The infrastructure network of ``scenario`` in ``year`` (cached by scenario and year).

    The network is rebuilt from the scenario (a few ms), so drawing never
    touches a model that a run may be stepping.
    """
    key = (scenario.digest(), year)
    with _DRAW:
        image = _NETWORKS.get(key)
    if image is None:
        network = figures.network_for(scenario, year)
        with _DRAW, style.paper_style():
            fig = new_figure(4.3, 3.5)
            figures.network_map(network, ax=fig.add_subplot(),
                              title=f"{scenario.name}: network, {year}")
            image = _NETWORKS[key] = png(fig)
    return image


def indicators_figure(snap: Snapshot, variables: Sequence[str], *,
                      difference: bool = False) -> Figure:
    """Region indicators over the years, the run against the reference run.

    Args:
        snap: the session's results.
        variables: region-year columns (see :data:`REGION_VARIABLES`), one panel each.
        difference: plot the run minus the reference instead of both levels.

    Raises:
        InputError: no variable, or one that is not a region-year column.
    """
    if not variables:
        raise InputError("choose at least one indicator")
    for name in variables:
        _check(name, REGION_VARIABLES, "indicator")
    with _DRAW, style.paper_style():
        ncols = min(len(variables), 4)
        nrows = math.ceil(len(variables) / ncols)
        fig = new_figure(2.3 * ncols + 0.3, 1.9 * nrows + 0.3)
        figures.indicator_panels(fig, snap.comparison, variables,
                                 reference=snap.reference_name, difference=difference,
                                 years=(snap.scenario.start_year, snap.scenario.end_year),
                                 reference_label=f"{snap.reference_name} (no levers)")
    return fig


def indicators_png(snap: Snapshot, variables: Sequence[str], *,
                   difference: bool = False) -> bytes:
    """:func:`indicators_figure` as a PNG image."""
    return png(indicators_figure(snap, variables, difference=difference))


def _check(name: str, allowed: dict[str, str], what: str) -> None:
    if name not in allowed:
        raise InputError(f"unknown {what} '{name}'; allowed: " + ", ".join(allowed))
