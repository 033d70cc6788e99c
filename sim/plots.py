"""Publication figures from results: charts over years, lever comparisons, maps.

Every function draws into ``ax`` (or a new figure of journal width when
``ax`` is None) and returns the Axes; none shows or saves a figure (use
:func:`sim.style.save_figure`). Functions that take ``results`` accept a
results folder, a :class:`~sim.analysis.ResultsSet`, a :class:`~sim.Results`
or a list of them. Labels carry units from :mod:`sim.analysis.variables`;
colours come from :mod:`sim.style`, so a scenario has the same colour in
every figure of a set.

Charts: :func:`fan_chart`, :func:`lever_comparison`, :func:`pilot_effect_chart`,
:func:`sigma_chart`, :func:`beta_chart`. Maps: :func:`county_map` (values by
county), :func:`scenario_map` and :func:`scenario_maps` (small multiples on one
colour scale), :func:`network_map`, :func:`flow_map`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.colors import BoundaryNorm, Colormap, Normalize
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch, PathPatch

from sim import analysis, maps, style
from sim.analysis import as_results_set
from sim.analysis.compare import BAND, final_year
from sim.analysis.variables import axis_label, difference_unit, display_scale, variable
from sim.errors import InputError
from sim.model import network_for  # noqa: F401 - part of the plotting API
from sim.network import great_circle_km

_HALO = [patheffects.withStroke(linewidth=1.8, foreground="white")]


# --------------------------------------------------------------------------------------
# Charts over years and across scenarios
# --------------------------------------------------------------------------------------


def fan_chart(results: Any, variable_name: str, *, baseline: str | None = None,
              relative: bool = False, scenarios: Sequence[str] | None = None,
              band: tuple[float, float] = BAND, ax: Axes | None = None,
              title: str | None = None, legend: bool = True) -> Axes:
    """A region indicator over years per scenario: mean line and percentile band.

    Args:
        results: results folder, :class:`~sim.analysis.ResultsSet` or runs.
        variable_name: a region-year column (e.g. ``theil``, ``gdp_bn_yuan``).
        baseline: if given, plot each scenario's paired difference from it.
        relative: differences in % of the baseline.
        scenarios: scenarios to draw (default: all; the baseline is left out
            when plotting differences).
        band: percentiles of the shaded band over replicates.
        ax: where to draw (default: a new single-column figure).
        title: axes title (default: the variable's name).
        legend: draw a legend of the scenarios.

    Returns:
        The Axes, with one line per scenario (gid ``scenario:<name>``).
    """
    rs = as_results_set(results)
    if baseline is None:
        summary = analysis.levels(rs, variable_name, scenarios=scenarios, band=band)
    else:
        summary = analysis.compare(rs, variable_name, baseline, relative=relative,
                                   scenarios=scenarios, band=band)
    ax = ax if ax is not None else style.figure("single")[1]
    scale = display_scale(variable_name, relative=relative)
    styles = style.scenario_styles(rs.scenarios, baseline or "baseline")
    _draw_fan(ax, summary, scale, styles)
    if baseline is not None:
        ax.axhline(0, color=style.BASELINE_COLOR, lw=0.6, zorder=1)
    ax.set_xlabel("Year")
    ax.set_ylabel(axis_label(variable_name, difference=baseline is not None,
                             relative=relative, baseline=baseline or "baseline"))
    ax.set_title(variable(variable_name).label if title is None else title)
    if legend:
        _band_legend(ax, summary)
    return ax


def _draw_fan(ax: Axes, summary: pd.DataFrame, scale: float,
              styles: dict[str, dict[str, Any]]) -> None:
    years = sorted(summary["year"].unique())
    present = set(summary["scenario"])
    for name in [s for s in styles if s in present]:
        part = summary[summary["scenario"] == name].sort_values("year").dropna(subset=["mean"])
        st = styles[name]
        if (part["n"] > 1).any():
            ax.fill_between(part["year"], part["low"] * scale, part["high"] * scale,
                            color=st["color"], alpha=0.18, lw=0, zorder=2)
        ax.plot(part["year"], part["mean"] * scale, color=st["color"],
                linestyle=st["linestyle"], lw=1.3, label=name, gid=f"scenario:{name}",
                zorder=3)
    ax.set_xticks(years)
    ax.set_xticklabels([str(y) for y in years])
    ax.set_xlim(years[0], years[-1])
    ax.grid(axis="y")


def _band_legend(ax: Axes, summary: pd.DataFrame) -> None:
    lo, hi = summary.attrs.get("band", BAND)
    n = int(summary["n"].max()) if len(summary) else 0
    title = f"mean and {lo:g}–{hi:g} % band over n = {n} replicates" if n > 1 else None
    handles, _ = ax.get_legend_handles_labels()
    _legend_under_axis(ax, handles, title=title, ncols=2 if len(handles) > 3 else 1)


def _legend_under_axis(ax: Axes, handles: Sequence[Any], title: str | None = None,
                       ncols: int = 1) -> None:
    """A legend under the x-axis label, a fixed distance in points below the axes."""
    ax.legend(handles=handles, title=title, loc="upper center", bbox_to_anchor=(0.5, 0.0),
              ncols=ncols, fontsize=6, title_fontsize=6, borderaxespad=4.8, frameon=False,
              handlelength=1.8, columnspacing=1.0)


def lever_comparison(results: Any, variable_name: str, baseline: str = "baseline", *,
                     year: int | None = None, relative: bool = False,
                     band: tuple[float, float] = BAND, order: Sequence[str] | None = None,
                     ax: Axes | None = None, title: str | None = None,
                     xlabel: str | None = None) -> Axes:
    """Each scenario's difference from the baseline in one year, with its band, sorted.

    Args:
        results: results folder, ResultsSet or runs.
        variable_name: a region-year column.
        baseline: the reference scenario.
        year: the year compared (default: the last).
        relative: differences in % of the baseline.
        band: percentiles of the interval over paired replicates.
        order: scenarios from top to bottom (default: by mean difference, largest on top).
        ax: where to draw.
        title: axes title.
        xlabel: axis label (default: the variable's difference with its unit).

    Returns:
        The Axes, with one marker and interval per scenario (gid ``scenario:<name>``).
    """
    rs = as_results_set(results)
    year = final_year(rs, year)
    summary = analysis.compare(rs, variable_name, baseline, relative=relative, band=band,
                               years=[year])
    scale = display_scale(variable_name, relative=relative)
    ax = ax if ax is not None else style.figure("single")[1]
    _draw_dots(ax, summary, scale, style.scenario_styles(rs.scenarios, baseline), order)
    ax.set_xlabel(axis_label(variable_name, difference=True, relative=relative,
                             baseline=baseline) if xlabel is None else xlabel)
    ax.set_title(f"{variable(variable_name).label}, {year}" if title is None else title)
    return ax


def _draw_dots(ax: Axes, summary: pd.DataFrame, scale: float,
               styles: dict[str, dict[str, Any]], order: Sequence[str] | None,
               marker: str = "o", zero_line: bool = True) -> list[str]:
    """A dot and whisker per scenario, top to bottom in ``order``; returns the order."""
    summary = summary.set_index("scenario")
    if order is None:
        order = list(summary.sort_values("mean", ascending=False).index)
    order = [s for s in order if s in summary.index]
    y = np.arange(len(order))[::-1]
    for yi, name in zip(y, order, strict=True):
        row = summary.loc[name]
        color = styles.get(name, {"color": "black"})["color"]
        mean = row["mean"] * scale
        if row["n"] > 1:
            err = [[mean - row["low"] * scale], [row["high"] * scale - mean]]
            ax.errorbar([mean], [yi], xerr=np.abs(err), fmt=marker, color=color, ms=4,
                        elinewidth=1.1, capsize=0, gid=f"scenario:{name}")
        else:
            ax.plot([mean], [yi], marker, color=color, ms=4, gid=f"scenario:{name}")
    if zero_line:
        ax.axvline(0, color=style.BASELINE_COLOR, lw=0.6, zorder=0)
    ax.set_yticks(y)
    ax.set_yticklabels(order)
    ax.set_ylim(-0.6, len(order) - 0.4)
    ax.grid(axis="x")
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    return order


def pilot_effect_chart(results: Any, variable_name: str = "gdp_per_capita_yuan",
                       baseline: str = "baseline", *, band: tuple[float, float] = BAND,
                       order: Sequence[str] | None = None, ax: Axes | None = None,
                       title: str | None = None, legend: bool = True,
                       **effect_kw: Any) -> Axes:
    """The simulated DiD pilot effect per scenario, with the true effect on pilots.

    Dots with bands: the difference-in-differences a field study would estimate
    (scenario minus baseline, pilots against matched non-pilots). Open diamonds:
    the true simulated effect on the pilots (``att``); a gap between them is the
    spill-over onto the controls. Extra keywords go to
    :func:`sim.analysis.pilot_effect` (``treated``, ``matches``, ``k``, ``log``,
    ``end``). Effects are in log points, or (``log=False``, outcomes that are not
    positive, flow columns) in the outcome's display unit.

    Returns:
        The Axes, one interval per scenario.
    """
    rs = as_results_set(results)
    effect = analysis.pilot_effect(rs, variable_name, baseline, band=band, **effect_kw)
    ax = ax if ax is not None else style.figure("single")[1]
    styles = style.scenario_styles(rs.scenarios, baseline)
    log_points = effect["unit"].iloc[0] == "log points"
    scale = 1.0 if log_points else display_scale(variable_name)
    unit = "log points" if log_points else difference_unit(variable_name)
    did = effect[effect["measure"] == "effect"]
    order = _draw_dots(ax, did, scale, styles, order)
    att = effect[effect["measure"] == "att"].set_index("scenario")
    y = np.arange(len(order))[::-1]
    ax.plot(att.loc[order, "mean"] * scale, y, "D", mfc="white", mec="black", ms=3.5,
            mew=0.8, zorder=4, gid="att")
    what = variable(variable_name).label
    ax.set_xlabel(f"Effect on {what} growth ({unit})" if unit else
                  f"Effect on {what} growth")
    ax.set_title("Pilot effect (simulated DiD)" if title is None else title)
    if legend:
        lo, hi = effect.attrs.get("band", band)
        handles = [
            Line2D([], [], marker="o", color="#555555", ms=4, lw=1.1,
                   label=f"DiD vs matched non-pilots ({lo:g}–{hi:g} %)"),
            Line2D([], [], marker="D", ls="none", mfc="white", mec="black", ms=3.5,
                   label="true effect on pilots"),
        ]
        _legend_under_axis(ax, handles)
    return ax


def sigma_chart(results: Any, *, scenarios: Sequence[str] | None = None,
                baseline: str = "baseline", band: tuple[float, float] = BAND,
                weighted: bool = False, ax: Axes | None = None, title: str | None = None,
                legend: bool = True) -> Axes:
    """σ-convergence: dispersion of log GDP per capita across counties over years.

    Returns:
        The Axes, one line per scenario.
    """
    rs = as_results_set(results)
    cy = rs.county_year if scenarios is None else rs.select(scenarios).county_year
    sigma = analysis.sigma_convergence(cy, weighted=weighted)
    summary = analysis.summarise(sigma, "sigma", ["scenario", "year"], band)
    ax = ax if ax is not None else style.figure("single")[1]
    _draw_fan(ax, summary, variable("sigma").scale, style.scenario_styles(rs.scenarios,
                                                                          baseline))
    ax.set_xlabel("Year")
    ax.set_ylabel(axis_label("sigma"))
    ax.set_title("σ-convergence" if title is None else title)
    if legend:
        _band_legend(ax, summary)
    return ax


def beta_chart(results: Any, *, scenarios: Sequence[str] | None = None,
               baseline: str = "baseline", band: tuple[float, float] = BAND,
               order: Sequence[str] | None = None, ax: Axes | None = None,
               title: str | None = None) -> Axes:
    """β-convergence per scenario: slope of yearly growth on initial log level.

    ``scenarios`` limits the scenarios drawn (default: all).

    Returns:
        The Axes, one interval per scenario (more negative: faster convergence).
    """
    rs = as_results_set(results)
    cy = rs.county_year if scenarios is None else rs.select(scenarios).county_year
    beta = analysis.beta_convergence(cy)
    summary = analysis.summarise(beta, "beta", ["scenario"], band)
    ax = ax if ax is not None else style.figure("single")[1]
    _draw_dots(ax, summary, variable("beta").scale, style.scenario_styles(rs.scenarios,
                                                                          baseline),
               order, zero_line=False)
    start, end = int(beta["start_year"].iloc[0]), int(beta["end_year"].iloc[0])
    ax.set_xlabel(axis_label("beta"))
    ax.set_title(f"β-convergence, {start}–{end}" if title is None else title)
    return ax


# --------------------------------------------------------------------------------------
# Maps
# --------------------------------------------------------------------------------------


def county_map(values: pd.Series, *, ax: Axes | None = None, label: str = "",
               diverging: bool = False, cmap: Colormap | str | None = None,
               vmin: float | None = None, vmax: float | None = None,
               region: Sequence[int] | None = None, pilots: Sequence[int] | None = None,
               label_pilots: bool = True, colorbar: bool = True, title: str = "",
               bounds: tuple[float, float, float, float] | None = None,
               ticks: bool = True, scale_bar: bool = True, legend: bool = True,
               robust: bool = True, line_scale: float = 1.0,
               outline_label: str = "pilot county (2020)") -> Axes:
    """Counties coloured by a value, drawn as Voronoi cells of their seats.

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
        scale_bar: draw a scale bar.
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
    cells = maps.county_cells()
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

    ax.add_collection(_patches(outside["geometry"], facecolor=style.OUTSIDE_COLOR,
                               edgecolor="white", linewidth=0.25, gid="other_counties",
                               zorder=1))
    coloured = _patches(inside["geometry"], cmap=cmap, norm=norm, edgecolor="white",
                        linewidth=0.25, gid="counties", zorder=2)
    coloured.set_array(np.ma.masked_invalid(data))
    ax.add_collection(coloured)
    _draw_borders(ax, line_scale)
    outline = maps.region_outline(region_codes)
    ax.add_collection(LineCollection(maps.boundary_lines(outline), colors="#555555",
                                     linewidths=0.6 * line_scale, zorder=3,
                                     gid="region_outline"))

    pilot_codes = (inside.loc[inside["is_pilot"], "code"].tolist() if pilots is None
                   else [int(c) for c in pilots])
    pilot_rows = cells[cells["code"].isin(pilot_codes)]
    outlines = _patches(pilot_rows["geometry"], facecolor="none", edgecolor="black",
                        linewidth=0.9 * line_scale, gid="pilots", zorder=5)
    outlines.set_path_effects([patheffects.withStroke(linewidth=2.2 * line_scale,
                                                      foreground="white")])
    ax.add_collection(outlines)
    maps.set_map_frame(ax, bounds or maps.extent(region_codes), ticks=ticks,
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
                                    path_effects=_HALO, zorder=6, gid="pilot_label")
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


def _patches(geometries: Any, **kw: Any) -> PatchCollection:
    """One patch per polygon (holes kept), as a single collection."""
    return PatchCollection([PathPatch(maps.to_path(g)) for g in geometries], **kw)


def _background(ax: Axes, cells: pd.DataFrame, region_codes: Sequence[int], *, outside: str,
                inside: str, edge: str) -> None:
    """Counties as plain cells (the region in ``inside``), then the borders."""
    rest = cells.drop(index=list(region_codes))
    ax.add_collection(_patches(rest["geometry"], facecolor=outside, edgecolor="white",
                               linewidth=0.25, zorder=0))
    ax.add_collection(_patches(cells.loc[list(region_codes), "geometry"], facecolor=inside,
                               edgecolor=edge, linewidth=0.25, zorder=0, gid="region"))
    _draw_borders(ax)


def _default_scenario(rs: Any, baseline: str | None) -> str:
    """The first scenario that is not the baseline (or the first, if it is alone)."""
    return next((s for s in rs.scenarios if s != baseline), rs.scenarios[0])


def _extend(finite: np.ndarray, norm: Normalize) -> str:
    if finite.size == 0:
        return "neither"
    low, high = finite.min() < norm.vmin, finite.max() > norm.vmax
    return {(True, True): "both", (True, False): "min", (False, True): "max"}.get(
        (bool(low), bool(high)), "neither")


def _draw_borders(ax: Axes, scale: float = 1.0) -> None:
    """Prefecture borders (thin grey) and the Sichuan–Chongqing border (bold)."""
    lines = [line for g in maps.prefecture_shapes().values() for line in maps.boundary_lines(g)]
    ax.add_collection(LineCollection(lines, colors="#8C8C8C", linewidths=0.35 * scale,
                                     gid="prefectures", zorder=3))
    provinces = maps.province_shapes()
    outer = [line for g in provinces.values() for line in maps.boundary_lines(g)]
    ax.add_collection(LineCollection(outer, colors=style.BORDER_COLOR, linewidths=0.6 * scale,
                                     zorder=4, gid="province_outline"))
    border = maps.shared_border(provinces["Sichuan"], provinces["Chongqing"])
    ax.add_collection(LineCollection(border, colors=style.BORDER_COLOR, linewidths=1.4 * scale,
                                     zorder=4, gid="province_border"))


def _map_legend(ax: Axes, *, pilots: str | None, outside: bool) -> None:
    handles = []
    if pilots:
        handles.append(Patch(facecolor="none", edgecolor="black", lw=1.0, label=pilots))
    if outside:
        handles.append(Patch(facecolor=style.OUTSIDE_COLOR, edgecolor="#BBBBBB", lw=0.4,
                             label="outside the region"))
    handles.append(Line2D([], [], color=style.BORDER_COLOR, lw=1.4,
                          label="Sichuan–Chongqing border"))
    _legend_below(ax, handles, ncols=2)


def _legend_below(ax: Axes, handles: Sequence[Any], title: str | None = None,
                  ncols: int | None = None) -> None:
    """A legend in a row under a map, outside the drawing."""
    ax.legend(handles=handles, title=title, loc="upper center", bbox_to_anchor=(0.5, -0.07),
              ncols=ncols or len(handles), fontsize=6, title_fontsize=6, frameon=False,
              handlelength=1.6, columnspacing=1.2, borderaxespad=0.0)


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


# --------------------------------------------------------------------------------------
# Network and flows
# --------------------------------------------------------------------------------------


#: Rail colours by opening period (plasma, without its pale yellow end).
_RAIL_BINS = (2000, 2010, 2015, 2020, 2023, 2026, 2036)


def network_map(network: Any, *, ax: Axes | None = None, region: Sequence[int] | None = None,
                title: str | None = None, legend: bool = True,
                bounds: tuple[float, float, float, float] | None = None) -> Axes:
    """The infrastructure graph on the map: roads grey, rail by opening year, width by speed.

    Args:
        network: a :class:`~sim.network.Network` (e.g. from :func:`network_for`).
        ax: where to draw.
        region: counties shaded as the simulated region (default: the network's).
        title: axes title (default: names the year).
        legend: legends for modes, speeds and opening years.
        bounds: map extent (default: around the region).

    Returns:
        The Axes, with LineCollections gid ``road:national``, ``road:expressway``,
        ``road:link`` and ``rail`` (one segment per edge).
    """
    from sim.network import county_edge_pairs

    edges = county_edge_pairs(network.edges)
    region_codes = [int(c) for c in (network.region.codes if region is None else region)]
    cells = maps.county_cells().set_index("code")
    ax = ax if ax is not None else style.figure("single", aspect=0.72)[1]
    _background(ax, cells, region_codes, outside="white", inside="#F0F0F0", edge="none")
    xy = cells[["lon", "lat"]]
    p = network.params
    speed = edges["speed_kmh"].to_numpy(dtype=float).copy()
    road_speed = np.where(edges["road_class"] == "expressway", p.expressway_speed_kmh,
                          p.national_road_speed_kmh)
    speed = np.where(np.isnan(speed), road_speed, speed)
    edges = edges.assign(speed=speed)

    def segments(rows: pd.DataFrame) -> np.ndarray:
        a = xy.loc[rows["a"]].to_numpy()
        b = xy.loc[rows["b"]].to_numpy()
        return np.stack([a, b], axis=1)

    def width(v: np.ndarray) -> np.ndarray:
        return 0.3 + np.asarray(v, dtype=float) / 150

    roads = edges[edges["mode"] == "road"]
    road_styles = {"national": ("#BDBDBD", "national road"), "expressway": ("#707070",
                                                                            "expressway")}
    handles = []
    for cls, rows in roads.groupby(roads["road_class"].fillna("link"), sort=False):
        color, label = road_styles.get(cls, ("#404040", "new road link"))
        ax.add_collection(LineCollection(segments(rows), colors=color,
                                         linewidths=width(rows["speed"]), zorder=5,
                                         gid=f"road:{cls}", capstyle="round"))
        handles.append(Line2D([], [], color=color, lw=float(width([rows["speed"].iloc[0]])[0]),
                              label=f"{label} ({rows['speed'].iloc[0]:g} km/h)"))
    rail = edges[edges["mode"] == "rail"].sort_values("open_year")
    cmap = mpl.colormaps["plasma"].resampled(256)
    colors = cmap(np.linspace(0.0, 0.85, len(_RAIL_BINS) - 1))
    rail_cmap = mpl.colors.ListedColormap(colors)
    norm = BoundaryNorm(_RAIL_BINS, rail_cmap.N)
    rail_lines = LineCollection(segments(rail), cmap=rail_cmap, norm=norm,
                                linewidths=width(rail["speed"]), zorder=6, gid="rail",
                                capstyle="round")
    rail_lines.set_array(rail["open_year"].to_numpy(dtype=float))
    ax.add_collection(rail_lines)
    seats = cells.loc[region_codes]
    ax.scatter(seats["lon"], seats["lat"], s=1.5, color="#303030", lw=0, zorder=7,
               gid="seats")
    maps.set_map_frame(ax, bounds or maps.extent(region_codes))
    year = network.year
    ax.set_title(f"Infrastructure network, {year}" if title is None else title)
    if legend:
        for v in (160, 250, 350):
            handles.append(Line2D([], [], color="#444444", lw=float(width([v])[0]),
                                  label=f"rail {v} km/h"))
        _legend_below(ax, handles, ncols=2)
        cb = ax.figure.colorbar(rail_lines, ax=ax, shrink=0.75, pad=0.02, aspect=25,
                                spacing="uniform")
        cb.set_ticks([(a + b) / 2 for a, b in itertools.pairwise(_RAIL_BINS)])
        cb.set_ticklabels(_bin_labels(_RAIL_BINS))
        cb.set_label("Rail section opened")
        cb.ax.tick_params(labelsize=6, length=0)
        cb.outline.set_linewidth(0.4)
    return ax


def _bin_labels(bins: Sequence[int]) -> list[str]:
    labels = []
    for a, b in itertools.pairwise(bins):
        labels.append(f"before {b}" if a == bins[0] else (
            f"{a}" if b - a == 1 else f"{a}–{b - 1}"))
    return labels


def flow_map(results: Any, *, kind: str = "migrants", top: int = 20,
             scenario: str | None = None, years: Sequence[int] | None = None,
             min_km: float = 0.0, ax: Axes | None = None, title: str | None = None,
             legend: bool = True, bounds: tuple[float, float, float, float] | None = None
             ) -> Axes:
    """The largest county-to-county flows as arcs, width by yearly volume.

    Flows are averaged over the chosen years and over replicates. Flows with
    the rest of China (code 0) and within a county are left out (see the
    region-year table for ROC totals).

    Args:
        results: results with flows (``record_flows=True`` or ``--flows``).
        kind: ``migrants`` or ``investment_bn_yuan``.
        top: number of flows drawn.
        scenario: the scenario (default: the first).
        years: years averaged (default: all simulated years).
        min_km: only flows between seats at least this far apart (the largest
            flows are often between neighbouring districts of one city).
        ax: where to draw.
        title: axes title.
        legend: a legend of arc widths with units.
        bounds: map extent (default: around the region).

    Returns:
        The Axes, with one arrow patch per flow (gid ``flow``).
    """
    rs = as_results_set(results)
    kinds = ("migrants", "investment_bn_yuan")
    if kind not in kinds:
        raise InputError(f"unknown flow kind '{kind}'; allowed: {', '.join(kinds)}")
    if rs.flows is None or rs.flows.empty:
        raise InputError("these results have no flows; run with --flows (countysim run) "
                         "or record_flows=True", source=rs.label)
    scenario = scenario or rs.scenarios[0]
    rs.require_scenario(scenario)
    f = rs.flows[(rs.flows["scenario"] == scenario) & (rs.flows["origin"] != 0)
                 & (rs.flows["destination"] != 0)
                 & (rs.flows["origin"] != rs.flows["destination"])]
    if years is not None:
        f = f[f["year"].isin(list(years))]
    n_years = f["year"].nunique()
    n_runs = f["run_id"].nunique()
    if f.empty:
        raise InputError(f"no county-to-county flows of '{scenario}' in the chosen years",
                         source=rs.label)
    volume = (f.groupby(["origin", "destination"])[kind].sum() / (n_years * n_runs))
    cells = maps.county_cells().set_index("code")
    if min_km > 0:
        o = cells.loc[volume.index.get_level_values(0)]
        d = cells.loc[volume.index.get_level_values(1)]
        km = great_circle_km(o["lon"].to_numpy(), o["lat"].to_numpy(), d["lon"].to_numpy(),
                             d["lat"].to_numpy())
        volume = volume[km >= min_km]
    if volume.empty:
        raise InputError(f"no flows of '{scenario}' between counties {min_km:g} km or more "
                         "apart", source=rs.label)
    volume = volume.sort_values(ascending=False).head(top)
    region_codes = sorted(rs.county_year["code"].unique())
    ax = ax if ax is not None else style.figure("single", aspect=0.72)[1]
    _background(ax, cells, region_codes, outside=style.OUTSIDE_COLOR, inside="#F7F7F7",
                edge="#DDDDDD")
    vmax = float(volume.max())
    color = style.OKABE_ITO["blue"] if kind == "migrants" else style.OKABE_ITO["vermillion"]

    def lw(v: float) -> float:
        return 0.4 + 3.2 * v / vmax

    for (o, d), v in volume[::-1].items():  # largest drawn last, on top
        a, b = cells.loc[o, ["lon", "lat"]], cells.loc[d, ["lon", "lat"]]
        ax.add_patch(FancyArrowPatch(
            (a["lon"], a["lat"]), (b["lon"], b["lat"]), connectionstyle="arc3,rad=0.25",
            arrowstyle="-|>,head_length=0.5,head_width=0.25", mutation_scale=4 + 1.5 * lw(v),
            lw=lw(v), color=color, alpha=0.8, zorder=8, gid="flow", shrinkA=1, shrinkB=1))
    ends = sorted(set(volume.index.get_level_values(0)) | set(volume.index.get_level_values(1)))
    ax.scatter(cells.loc[ends, "lon"], cells.loc[ends, "lat"], s=4, color="black", lw=0,
               zorder=9)
    maps.set_map_frame(ax, bounds or maps.extent(region_codes))
    unit = "persons per year" if kind == "migrants" else "bn yuan per year"
    what = "Migration" if kind == "migrants" else "Investment"
    span = f"{f['year'].min()}–{f['year'].max()}" if n_years > 1 else f"{f['year'].min()}"
    apart = f" ≥ {min_km:g} km" if min_km > 0 else ""
    ax.set_title(f"{what}, {scenario}: top {len(volume)}{apart}" if title is None else title)
    if legend:
        steps = _nice_steps(vmax)
        handles = [Line2D([], [], color=color, lw=lw(v), label=f"{v:,.{_digits(v)}f}")
                   for v in steps]
        _legend_below(ax, handles, title=f"{unit}, mean {span}")
    return ax


def _nice_steps(vmax: float) -> list[float]:
    """Three round legend values up to ``vmax``."""
    exp = 10 ** math.floor(math.log10(vmax))
    top = math.floor(vmax / exp) * exp
    return [v for v in (top / 4, top / 2, top) if v > 0]


def _digits(v: float) -> int:
    return 0 if v >= 10 else (1 if v >= 1 else 2)

