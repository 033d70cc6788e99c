"""Maps of lines between counties: the infrastructure network and the largest flows."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import BoundaryNorm
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch

from sim.analysis import as_results_set
from sim.base.errors import InputError
from sim.figures import basemap, style
from sim.model.network import great_circle_km

#: Rail colours by opening period (plasma, without its pale yellow end).
_RAIL_BINS = (2000, 2010, 2015, 2020, 2023, 2026, 2036)


def network_map(network: Any, *, ax: Axes | None = None, region: Sequence[int] | None = None,
                title: str | None = None, legend: bool = True,
                bounds: tuple[float, float, float, float] | None = None) -> Axes:
    """The infrastructure graph on the map: roads grey, rail by opening year, width by speed.

    Args:
        network: a :class:`~sim.model.network.Network` (e.g. from :func:`network_for`).
        ax: where to draw.
        region: counties shaded as the simulated region (default: the network's).
        title: axes title (default: names the year).
        legend: legends for modes, speeds and opening years.
        bounds: map extent (default: around the region).

    Returns:
        The Axes, with LineCollections gid ``road:national``, ``road:expressway``,
        ``road:link`` and ``rail`` (one segment per edge).
    """
    from sim.model.network import county_edge_pairs

    edges = county_edge_pairs(network.edges)
    region_codes = [int(c) for c in (network.region.codes if region is None else region)]
    cells = basemap.county_cells().set_index("code")
    ax = ax if ax is not None else style.figure("single", aspect=0.72)[1]
    basemap.background(ax, cells, region_codes, outside="white", inside="#F0F0F0", edge="none")
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
    basemap.set_map_frame(ax, bounds or basemap.extent(region_codes))
    year = network.year
    ax.set_title(f"Infrastructure network, {year}" if title is None else title)
    if legend:
        for v in (160, 250, 350):
            handles.append(Line2D([], [], color="#444444", lw=float(width([v])[0]),
                                  label=f"rail {v} km/h"))
        style.legend_below(ax, handles, ncols=2)
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
    cells = basemap.county_cells().set_index("code")
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
    basemap.background(ax, cells, region_codes, outside=style.OUTSIDE_COLOR, inside="#F7F7F7",
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
    basemap.set_map_frame(ax, bounds or basemap.extent(region_codes))
    unit = "persons per year" if kind == "migrants" else "bn yuan per year"
    what = "Migration" if kind == "migrants" else "Investment"
    span = f"{f['year'].min()}–{f['year'].max()}" if n_years > 1 else f"{f['year'].min()}"
    apart = f" ≥ {min_km:g} km" if min_km > 0 else ""
    ax.set_title(f"{what}, {scenario}: top {len(volume)}{apart}" if title is None else title)
    if legend:
        steps = _nice_steps(vmax)
        handles = [Line2D([], [], color=color, lw=lw(v), label=f"{v:,.{_digits(v)}f}")
                   for v in steps]
        style.legend_below(ax, handles, title=f"{unit}, mean {span}")
    return ax


def _nice_steps(vmax: float) -> list[float]:
    """Three round legend values up to ``vmax``."""
    exp = 10 ** math.floor(math.log10(vmax))
    top = math.floor(vmax / exp) * exp
    return [v for v in (top / 4, top / 2, top) if v > 0]


def _digits(v: float) -> int:
    return 0 if v >= 10 else (1 if v >= 1 else 2)
