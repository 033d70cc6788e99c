"""County maps: values by county, scenario maps and small multiples on one colour scale.

Counties are drawn as the shapes of :mod:`sim.figures.basemap`, with prefecture and
province borders; functions return the Axes and never show or save.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import Colormap, Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim import analysis
from sim.analysis import as_results_set
from sim.analysis.compare import final_year
from sim.base.errors import InputError
from sim.figures import basemap, style
from sim.model.schema import axis_label, display_scale, variable


def county_map(values: pd.Series, *, ax: Axes | None = None, label: str = "",
               diverging: bool = False, cmap: Colormap | str | None = None,
               vmin: float | None = None, vmax: float | None = None,
               region: Sequence[int] | None = None, pilots: Sequence[int] | None = None,
               label_pilots: bool = True, colorbar: bool = True, title: str = "",
               bounds: tuple[float, float, float, float] | None = None,
               ticks: bool = True, scale_bar: bool = True, legend: bool = True,
               robust: bool = True, line_scale: float = 1.0,
               outline_label: str = "pilot county (2020)") -> Axes:
    """Counties coloured by a value, drawn with their shapes (:mod:`.basemap`).

    Args:
        values: one value per county, indexed by administrative code.
        ax: where to draw (default: a new single-column figure).
        label: colour-bar label, with the unit.
        diverging: a diverging scale centred at 0 (for differences).
        cmap: colour map (default: viridis, or Tol's sunset if ``diverging``).
        vmin: lower end of the colour scale (default: the data's; −``vmax`` if diverging).
        vmax: upper end (default: the data's, or max |value| if diverging).
        region: counties drawn in colour (default: those in ``values``); other
            counties of Sichuan and Chongqing are light grey.
        pilots: counties outlined and labelled (default: the nine 2020 pilots in
            the region; ``[]`` for none).
        label_pilots: write the pilots' names.
        colorbar: add a colour bar.
        title: axes title.
        bounds: (lon_min, lon_max, lat_min, lat_max) (default: around the region).
        ticks: degree ticks on the frame.
        scale_bar: draw a scale bar (and, with Voronoi shapes, the note that
            they are approximate).
        legend: a legend for the pilot outline, other counties and the border.
        robust: let the default colour scale span the 2nd–98th percentile, so a
            few extreme counties (the cores) do not wash out the rest; values
            beyond show as colour-bar extensions.
        line_scale: factor on border and outline widths (below 1 for small panels).
        outline_label: legend text of the outlined counties.

    Returns:
        The Axes. Its collections have gids ``counties`` (one path per county
        in the region), ``other_counties``, ``prefectures``, ``province_border``
        and ``pilots``.
    """
    values = pd.Series(values, dtype=float)
    cells = basemap.county_cells()
    region_codes = [int(c) for c in (values.index if region is None else region)]
    unknown = sorted(set(region_codes) - set(cells["code"]))
    if unknown:
        raise InputError(f"county code {unknown[0]} is not a county of Sichuan or Chongqing")
    in_region = cells["code"].isin(region_codes)
    inside = cells[in_region].set_index("code").loc[region_codes].reset_index()
    outside = cells[~in_region]
    data = values.reindex(region_codes).to_numpy(dtype=float)
    ax = ax if ax is not None else style.figure("single", aspect=0.72)[1]

    finite = data[np.isfinite(data)]
    q = (2, 98) if robust and finite.size else (0, 100)
    if diverging:
        limit = vmax if vmax is not None else style.symmetric_limit(finite, q[1] / 100)
        norm = Normalize(-limit, limit)
        cmap = cmap or style.DIVERGING
    else:
        lo = vmin if vmin is not None else (np.percentile(finite, q[0]) if finite.size else 0.0)
        hi = vmax if vmax is not None else (np.percentile(finite, q[1]) if finite.size else 1.0)
        norm = Normalize(lo, hi if hi > lo else lo + 1)
        cmap = cmap or style.SEQUENTIAL
    cmap = mpl.colormaps[cmap] if isinstance(cmap, str) else cmap

    ax.add_collection(basemap.patches(outside["geometry"], facecolor=style.OUTSIDE_COLOR,
                               edgecolor="white", linewidth=0.25, gid="other_counties",
                               zorder=1))
    coloured = basemap.patches(inside["geometry"], cmap=cmap, norm=norm, edgecolor="white",
                        linewidth=0.25, gid="counties", zorder=2)
    coloured.set_array(np.ma.masked_invalid(data))
    ax.add_collection(coloured)
    basemap.draw_borders(ax, line_scale)
    outline = basemap.region_outline(region_codes)
    ax.add_collection(LineCollection(basemap.boundary_lines(outline), colors="#555555",
                                     linewidths=0.6 * line_scale, zorder=3,
                                     gid="region_outline"))

    pilot_codes = (inside.loc[inside["is_pilot"], "code"].tolist() if pilots is None
                   else [int(c) for c in pilots])
    pilot_rows = cells[cells["code"].isin(pilot_codes)]
    outlines = basemap.patches(pilot_rows["geometry"], facecolor="none", edgecolor="black",
                        linewidth=0.9 * line_scale, gid="pilots", zorder=5)
    outlines.set_path_effects([patheffects.withStroke(linewidth=2.2 * line_scale,
                                                      foreground="white")])
    ax.add_collection(outlines)
    basemap.set_map_frame(ax, bounds or basemap.extent(region_codes), ticks=ticks,
                       scale_bar=scale_bar)
    if colorbar:
        extend = _extend(finite, norm)
        cb = ax.figure.colorbar(coloured, ax=ax, shrink=0.75, pad=0.02, aspect=25,
                                extend=extend)
        cb.set_label(label)
        cb.ax.tick_params(labelsize=6)
        cb.outline.set_linewidth(0.4)
    if legend:
        _map_legend(ax, pilots=outline_label if pilot_codes else None,
                    outside=not outside.empty)
    ax.set_title(title)
    if label_pilots:
        label_points(ax, [short_name(n) for n in pilot_rows["name_en"]],
                     pilot_rows["lon"].to_numpy(), pilot_rows["lat"].to_numpy())
    return ax


#: Label positions tried in turn: (direction of the offset, alignment).
_LABEL_SPOTS = (((1, 0.6), "left", "bottom"), ((1, -0.6), "left", "top"),
                ((-1, 0.6), "right", "bottom"), ((-1, -0.6), "right", "top"),
                ((0, 1), "center", "bottom"), ((0, -1), "center", "top"),
                ((1, 0), "left", "center"), ((-1, 0), "right", "center"))


def label_points(ax: Axes, labels: Sequence[str], lon: np.ndarray, lat: np.ndarray) -> None:
    """Name points on a map, moving each label around its point to avoid the others.

    Each label tries eight spots around its point, near and then farther, and
    takes the first that overlaps no label placed before it (else the spot with
    the least overlap). Call last: the figure is laid out first so that the
    labels' sizes on the map are final.
    """
    ax.figure.draw_without_rendering()
    renderer = ax.figure.canvas.get_renderer()
    placed: list[Any] = []
    for text, x, y in zip(labels, lon, lat, strict=True):
        best = None
        for distance in (3.0, 7.0):
            for (dx, dy), ha, va in _LABEL_SPOTS:
                label = ax.annotate(text, (x, y), xytext=(dx * distance, dy * distance),
                                    textcoords="offset points", ha=ha, va=va, fontsize=6,
                                    path_effects=style.HALO, zorder=6, gid="pilot_label")
                box = label.get_window_extent(renderer)
                overlap = sum(_overlap_area(box, other) for other in placed)
                if best is None or overlap < best[0]:
                    if best is not None:
                        best[1].remove()
                    best = (overlap, label, box)
                else:
                    label.remove()
                if overlap == 0:
                    break
            if best[0] == 0:
                break
        placed.append(best[2])


def _overlap_area(a: Any, b: Any) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w * h if w > 0 and h > 0 else 0.0


def short_name(name_en: str) -> str:
    """A county's name without its type ("Hejiang County" -> "Hejiang")."""
    for suffix in (" Autonomous County", " County", " District", " City"):
        if name_en.endswith(suffix):
            return name_en.removesuffix(suffix)
    return name_en




def _default_scenario(rs: Any, baseline: str | None) -> str:
    """The first scenario that is not the baseline (or the first, if it is alone)."""
    return next((s for s in rs.scenarios if s != baseline), rs.scenarios[0])


def _extend(finite: np.ndarray, norm: Normalize) -> str:
    if finite.size == 0:
        return "neither"
    low, high = finite.min() < norm.vmin, finite.max() > norm.vmax
    return {(True, True): "both", (True, False): "min", (False, True): "max"}.get(
        (bool(low), bool(high)), "neither")




def _map_legend(ax: Axes, *, pilots: str | None, outside: bool) -> None:
    handles = []
    if pilots:
        handles.append(Patch(facecolor="none", edgecolor="black", lw=1.0, label=pilots))
    if outside:
        handles.append(Patch(facecolor=style.OUTSIDE_COLOR, edgecolor="#BBBBBB", lw=0.4,
                             label="outside the region"))
    handles.append(Line2D([], [], color=style.BORDER_COLOR, lw=1.4,
                          label="Sichuan–Chongqing border"))
    style.legend_below(ax, handles, ncols=2)


def county_values(results: Any, variable_name: str, *, scenario: str | None = None,
                  baseline: str | None = None, relative: bool = False,
                  year: int | None = None) -> pd.Series:
    """Per county: mean over replicates of a value, or of a paired difference.

    Args:
        results: results folder, ResultsSet or runs.
        variable_name: a county-year column.
        scenario: the scenario (default: the first, or the first non-baseline).
        baseline: if given, the difference ``scenario − baseline``.
        relative: differences in % of the baseline.
        year: the year (default: the last).

    Returns:
        Values in display units, indexed by county code.
    """
    rs = as_results_set(results)
    year = final_year(rs, year)
    if scenario is None:
        scenario = _default_scenario(rs, baseline)
    if baseline is None:
        s = analysis.levels(rs, variable_name, level="county", scenarios=[scenario],
                            years=[year])
    else:
        s = analysis.compare(rs, variable_name, baseline, level="county", relative=relative,
                             scenarios=[scenario], years=[year])
    s = s.set_index("code")["mean"]
    return s * display_scale(variable_name, relative=relative)


def scenario_map(results: Any, variable_name: str, *, scenario: str | None = None,
                 baseline: str | None = None, relative: bool = False,
                 year: int | None = None, ax: Axes | None = None, title: str | None = None,
                 **map_kw: Any) -> Axes:
    """Map of one scenario's county values, or of its difference from the baseline.

    Differences use a diverging colour scale centred at 0. Other keywords go to
    :func:`county_map`.

    Returns:
        The Axes.
    """
    rs = as_results_set(results)
    year = final_year(rs, year)
    values = county_values(rs, variable_name, scenario=scenario, baseline=baseline,
                           relative=relative, year=year)
    scenario = scenario or _default_scenario(rs, baseline)
    label = axis_label(variable_name, difference=baseline is not None, relative=relative,
                       baseline=baseline or "baseline")
    if title is None:
        title = f"{scenario}: {variable(variable_name).label}, {year}"
    map_kw.setdefault("diverging", baseline is not None)
    return county_map(values, ax=ax, label=label, title=title, **map_kw)


def scenario_maps(results: Any, variable_name: str, *, baseline: str | None = None,
                  relative: bool = False, year: int | None = None,
                  scenarios: Sequence[str] | None = None, ncols: int | None = None,
                  axes: Any = None, quantile: float = 1.0) -> np.ndarray:
    """Small multiples: one county map per scenario on one shared colour scale.

    Args:
        results: results folder, ResultsSet or runs.
        variable_name: a county-year column.
        baseline: if given, map differences from it (diverging scale centred at 0).
        relative: differences in % of the baseline.
        year: the year (default: the last).
        scenarios: panels (default: all, or all but the baseline).
        ncols: panels per row (default: up to 4).
        axes: an array of Axes to draw into (default: a new double-column figure).
        quantile: share of |values| the shared scale covers (clip outliers below 1).

    Returns:
        The array of Axes (unused panels hidden); one colour bar for all.
    """
    rs = as_results_set(results)
    year = final_year(rs, year)
    if scenarios is None:
        scenarios = [s for s in rs.scenarios if s != baseline]
    if not scenarios:
        raise InputError("no scenario to map besides the baseline", source=rs.label)
    values = {s: county_values(rs, variable_name, scenario=s, baseline=baseline,
                               relative=relative, year=year) for s in scenarios}
    every = np.concatenate([v.to_numpy() for v in values.values()])
    every = every[np.isfinite(every)]
    if axes is None:
        ncols = ncols or min(4, len(scenarios))
        nrows = math.ceil(len(scenarios) / ncols)
        width = style.WIDTHS["double"] if ncols > 1 else style.WIDTHS["single"]
        height = width / ncols * 0.68 * nrows + 0.55
        _, axes = style.figure(width, height, nrows=nrows, ncols=ncols, squeeze=False)
    flat = np.ravel(axes)
    if baseline is not None:
        limit = style.symmetric_limit(every, quantile)
        scale = {"diverging": True, "vmax": limit}
    else:
        scale = {"vmin": float(np.quantile(every, 1 - quantile)) if every.size else 0.0,
                 "vmax": float(np.quantile(every, quantile)) if every.size else 1.0}
    for i, (name, vals) in enumerate(values.items()):
        county_map(vals, ax=flat[i], colorbar=False, label_pilots=False, title=name,
                   ticks=False, scale_bar=i == 0, legend=False, line_scale=0.6, **scale)
    for extra in flat[len(values):]:
        extra.set_visible(False)
    coll = next(c for c in flat[0].collections if c.get_gid() == "counties")
    label = axis_label(variable_name, difference=baseline is not None, relative=relative,
                       baseline=baseline or "baseline")
    cb = flat[0].figure.colorbar(coll, ax=list(flat), orientation="horizontal",
                                 fraction=0.04, shrink=0.5, aspect=40, pad=0.02,
                                 extend=_extend(every, coll.norm))
    cb.set_label(f"{label}, {year}")
    cb.ax.tick_params(labelsize=6)
    cb.outline.set_linewidth(0.4)
    return axes
