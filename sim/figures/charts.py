"""Charts over years and across scenarios: fan charts, lever comparisons, pilot effect, convergence.

Every function draws into ``ax`` (or a new figure of journal width when ``ax`` is
None) and returns the Axes; none shows or saves a figure (use
:func:`sim.figures.style.save_figure`). ``results`` is a results folder, a
:class:`~sim.outputs.reader.ResultsSet`, a :class:`~sim.Results` or a list of them.
Labels carry units from :mod:`sim.model.schema`; colours come from
:mod:`sim.figures.style`, so a scenario has the same colour in every figure of a set.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from sim import analysis
from sim.analysis import as_results_set
from sim.analysis.compare import BAND, final_year
from sim.figures import style
from sim.model.schema import axis_label, difference_unit, display_scale, variable


def fan_chart(results: Any, variable_name: str, *, baseline: str | None = None,
              relative: bool = False, scenarios: Sequence[str] | None = None,
              band: tuple[float, float] = BAND, ax: Axes | None = None,
              title: str | None = None, legend: bool = True,
              parameter_band: bool = True) -> Axes:
    """A region indicator over years per scenario: mean line and percentile band.

    The light band is over every run. With an ensemble (a batch with
    ``ensemble`` > 1) it holds parameter uncertainty and stochastic noise, and a
    darker band inside shows parameter uncertainty alone: the band of the parameter
    sets' means (``parameter_band=False`` leaves it out). The legend says which is
    which.

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
        legend: draw a legend of the scenarios (and of the bands).
        parameter_band: with an ensemble, draw the parameter band too (gid
            ``parameter_band:<name>``).

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
    _draw_fan(ax, summary, scale, styles, parameter_band=parameter_band)
    if baseline is not None:
        ax.axhline(0, color=style.BASELINE_COLOR, lw=0.6, zorder=1)
    ax.set_xlabel("Year")
    ax.set_ylabel(axis_label(variable_name, difference=baseline is not None,
                             relative=relative, baseline=baseline or "baseline"))
    ax.set_title(variable(variable_name).label if title is None else title)
    if legend:
        _band_legend(ax, summary, parameter_band=parameter_band)
    return ax


def _draw_fan(ax: Axes, summary: pd.DataFrame, scale: float,
              styles: dict[str, dict[str, Any]], parameter_band: bool = False) -> None:
    years = sorted(summary["year"].unique())
    present = set(summary["scenario"])
    for name in [s for s in styles if s in present]:
        part = summary[summary["scenario"] == name].sort_values("year").dropna(subset=["mean"])
        st = styles[name]
        if (part["n"] > 1).any():
            ax.fill_between(part["year"], part["low"] * scale, part["high"] * scale,
                            color=st["color"], alpha=0.18, lw=0, zorder=2)
        if parameter_band and summary.attrs.get("ensemble"):
            ax.fill_between(part["year"], part["parameter_low"] * scale,
                            part["parameter_high"] * scale, color=st["color"], alpha=0.32,
                            lw=0, zorder=2, gid=f"parameter_band:{name}")
        ax.plot(part["year"], part["mean"] * scale, color=st["color"],
                linestyle=st["linestyle"], lw=1.3, label=name, gid=f"scenario:{name}",
                zorder=3)
    ax.set_xticks(years)
    ax.set_xticklabels([str(y) for y in years])
    ax.set_xlim(years[0], years[-1])
    ax.grid(axis="y")


def _band_legend(ax: Axes, summary: pd.DataFrame, parameter_band: bool = False) -> None:
    lo, hi = summary.attrs.get("band", BAND)
    n = int(summary["n"].max()) if len(summary) else 0
    title = f"mean and {lo:g}–{hi:g} % band over n = {n} replicates" if n > 1 else None
    handles, _ = ax.get_legend_handles_labels()
    if summary.attrs.get("ensemble"):
        sets = int(summary["parameter_sets"].max())
        title = (f"mean and {lo:g}–{hi:g} % bands over n = {n} runs "
                 f"({sets} parameter sets × replicates)")
        handles = [*handles, Patch(color=style.BASELINE_COLOR, alpha=0.18, lw=0,
                                   label="all runs: parameters and random draws")]
        if parameter_band:
            handles.append(Patch(color=style.BASELINE_COLOR, alpha=0.5, lw=0,
                                 label="parameter sets' means: parameters alone"))
    style.legend_under_axis(ax, handles, title=title, ncols=2 if len(handles) > 3 else 1)


def lever_comparison(results: Any, variable_name: str, baseline: str = "baseline", *,
                     year: int | None = None, relative: bool = False,
                     band: tuple[float, float] = BAND, order: Sequence[str] | None = None,
                     ax: Axes | None = None, title: str | None = None,
                     xlabel: str | None = None, legend: bool = True) -> Axes:
    """Each scenario's difference from the baseline in one year, with its band, sorted.

    With a calibrated ensemble the whisker is the band over all runs and a thick bar
    on it the band of the parameter sets' means (parameter uncertainty alone).

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
        legend: with an ensemble, a legend of the two bands under the axis.

    Returns:
        The Axes, with one marker and interval per scenario (gid ``scenario:<name>``;
        the parameter band's gid is ``parameter_band:<name>``).
    """
    rs = as_results_set(results)
    year = final_year(rs, year)
    summary = analysis.compare(rs, variable_name, baseline, relative=relative, band=band,
                               years=[year])
    scale = display_scale(variable_name, relative=relative)
    ax = ax if ax is not None else style.figure("single")[1]
    _draw_dots(ax, summary, scale, style.scenario_styles(rs.scenarios, baseline), order,
               parameter_band=True)
    if legend and summary.attrs.get("ensemble") and (summary["n"] > 1).any():
        lo, hi = summary.attrs.get("band", band)
        sets = int(summary["parameter_sets"].max())
        style.legend_under_axis(ax, [
            Line2D([], [], color=style.BASELINE_COLOR, lw=1.1,
                   label=f"{lo:g}–{hi:g} %, all runs: parameters and draws"),
            Line2D([], [], color=style.BASELINE_COLOR, lw=4.0, alpha=0.45,
                   label=f"{lo:g}–{hi:g} %, the {sets} parameter sets' means")])
    ax.set_xlabel(axis_label(variable_name, difference=True, relative=relative,
                             baseline=baseline) if xlabel is None else xlabel)
    ax.set_title(f"{variable(variable_name).label}, {year}" if title is None else title)
    return ax


def _draw_dots(ax: Axes, summary: pd.DataFrame, scale: float,
               styles: dict[str, dict[str, Any]], order: Sequence[str] | None,
               marker: str = "o", zero_line: bool = True, parameter_band: bool = False
               ) -> list[str]:
    """A dot and whisker per scenario, top to bottom in ``order``; returns the order.

    ``parameter_band``: with an ensemble, also a thick bar of the parameter sets' means.
    """
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
            if (parameter_band and summary.attrs.get("ensemble")
                    and np.isfinite(row.get("parameter_low", np.nan))):
                # The band of the parameter sets' means: parameter uncertainty alone.
                ax.plot([row["parameter_low"] * scale, row["parameter_high"] * scale], [yi, yi],
                        color=color, lw=4.0, alpha=0.45, solid_capstyle="butt", zorder=1,
                        gid=f"parameter_band:{name}")
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
        style.legend_under_axis(ax, handles)
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


def indicator_panels(fig: Figure, results: Any, variables: Sequence[str], *,
                     reference: str | None = None, difference: bool = False,
                     years: tuple[int, int] | None = None,
                     reference_label: str | None = None) -> list[Axes]:
    """Small multiples of region indicators over the years, one fan chart per panel.

    Args:
        fig: the figure to fill (a grid of up to four columns).
        results: the runs (see :func:`fan_chart`).
        variables: region-year columns, one panel each.
        reference: the reference scenario: drawn beside the others, or subtracted
            from them if ``difference``.
        difference: plot each scenario minus ``reference`` instead of levels.
        years: x-axis limits (default: the recorded years).
        reference_label: legend text of the reference (default: its name).

    Returns:
        The panels' Axes (one per variable).
    """
    ncols = min(len(variables), 4)
    nrows = math.ceil(len(variables) / ncols)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax, name in zip(axes, variables, strict=False):
        fan_chart(results, name, ax=ax, legend=False,
                  baseline=reference if difference else None)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        if years is not None:
            ax.set_xlim(*years)
        ax.set_xlabel("")
        meta = variable(name)
        ax.set_ylabel(meta.diff_unit if difference else meta.unit)
        if difference:
            ax.set_title(f"Δ {meta.label} vs {reference}")
    for ax in axes[len(variables):]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    if not difference and reference_label:
        labels = [reference_label if label == reference else label for label in labels]
    fig.legend(handles, labels, loc="outside upper center", ncols=max(len(handles), 1),
               frameon=False)
    return list(axes[:len(variables)])
