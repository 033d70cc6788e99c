"""The standard figure set and tables of a results folder (``countysim compare``).

:func:`write_comparison` reads nothing but the results tables: it draws each
figure with the functions of :mod:`sim.figures` in the paper style, writes it in every requested
format, writes the tables of :mod:`sim.analysis`, and lists everything with a
caption in ``index.md``. Figures that need something the folder lacks (flows)
are skipped and say so in the index.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim import analysis
from sim.analysis import ResultsSet
from sim.analysis.compare import final_year
from sim.base.errors import InputError
from sim.figures import basemap, charts, maps, network_maps, style
from sim.model.scenario import network_for
from sim.model.schema import difference_unit, display_scale

#: Region indicators of the lever-comparison figure: (column, % of baseline?).
LEVER_PANELS: tuple[tuple[str, bool, str], ...] = (
    ("gdp_bn_yuan", True, "GDP"),
    ("theil", False, "Theil index"),
    ("urbanisation_rate", False, "Urbanisation rate"),
    ("core_share", False, "Core population share"),
)
#: Flows between seats closer than this (km) are left out of the flow maps.
FLOW_MIN_KM = 50.0
#: Region indicators written to differences_region.csv: column -> % of baseline?
DIFFERENCE_VARIABLES: dict[str, bool] = {
    "population": True, "gdp_bn_yuan": True, "gdp_per_capita_yuan": True,
    "urbanisation_rate": False, "theil": False, "theil_within_province": False,
    "theil_between_province": False, "gini": False, "cv": False, "core_share": False,
    "pilot_gap": False, "roc_net_migration": False,
}
#: County columns written to differences_county.csv (all in % of baseline).
COUNTY_VARIABLES = ("population", "gdp_bn_yuan", "gdp_per_capita_yuan",
                    "income_per_capita_yuan")


@dataclass
class Written:
    """What :func:`write_comparison` wrote, with captions for ``index.md``."""

    figures: dict[str, list[Path]] = field(default_factory=dict)
    tables: dict[str, Path] = field(default_factory=dict)
    captions: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def paths(self) -> list[Path]:
        """Every written file."""
        return [p for ps in self.figures.values() for p in ps] + list(self.tables.values())


def write_comparison(results: Any, baseline: str = "baseline", out: str | Path | None = None,
                     *, formats: Sequence[str] = style.FORMATS, dpi: int = style.DPI,
                     year: int | None = None, top: int = 6) -> Written:
    """Write the standard figures and tables comparing every scenario with the baseline.

    Args:
        results: results folder (run, batch, or folder of runs) or ResultsSet.
        baseline: the reference scenario; it must be in the results.
        out: output folder (default: ``<results folder>/figures``).
        formats: figure formats (``pdf``, ``svg``, ``png``).
        dpi: PNG resolution.
        year: the year compared (default: the last).
        top: at most this many scenarios in the fan charts (those with the
            largest GDP effect); every scenario is in the other figures.

    Returns:
        The written files by figure and table name.

    With the baseline alone, its sweep's points are compared with the first point
    (each point drawn as a scenario, e.g. ``baseline migration_rate=0.05``); with
    no sweep either, only the figures of levels are drawn (fan charts of the
    indicators, convergence, the map, the network and flows), and
    :attr:`Written.notes` says what was left out and why.

    Raises:
        InputError: the baseline is missing.
    """
    rs = analysis.as_results_set(results)
    rs.require_scenario(baseline, "baseline")
    written = Written()
    name = baseline  # the scenario whose definition draws the network
    others = [s for s in rs.scenarios if s != baseline]
    if not others:
        rs, baseline, others = _points_as_scenarios(rs, baseline, written)
    year = final_year(rs, year)
    if rs.parameter_sets > 1:
        written.notes.append(
            f"the runs hold {rs.parameter_sets} parameter sets of the calibrated ensemble: "
            "bands (low–high) are over every run, so parameter uncertainty and random draws; "
            "the fan charts' darker band and the tables' parameter_low–parameter_high are "
            "the band of the parameter sets' means (parameter uncertainty alone); "
            "var_parameter + var_stochastic split the variance over the runs, "
            "parameter_share is the parameters' part (docs/batches.md)")
    if out is None:
        if rs.source is None:
            raise InputError("give an output folder (out=...) for results made in memory")
        out = Path(rs.source) / "figures"
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    matches = analysis.match_controls(rs, baseline=baseline)
    if others:
        _write_tables(rs, baseline, year, out, written, matches)
    makers = _figure_makers(rs, baseline, year, others, top, matches, name)
    with style.paper_style():
        for figure, draw in makers.items():
            if not others and figure not in LEVEL_FIGURES:
                continue
            try:
                fig, caption = draw()
            except _Skip as why:
                written.skipped[figure] = str(why)
                continue
            written.figures[figure] = style.save_figure(fig, out / figure, formats, dpi)
            written.captions[figure] = caption
            plt.close(fig)
    _write_index(rs, baseline, year, out, written)
    return written


class _Skip(Exception):
    """A figure the results cannot support (e.g. no flows recorded)."""


#: Figures of one scenario's levels, drawn when there is nothing to compare it with.
LEVEL_FIGURES = ("fan_gdp", "fan_theil", "convergence", "map_gdp_per_capita", "network",
                 "flows")


def _points_as_scenarios(rs: ResultsSet, baseline: str, written: Written
                         ) -> tuple[ResultsSet, str, list[str]]:
    """One scenario's sweep points as scenarios, the first point the baseline.

    Without points to compare, the set itself, and a note of what is left out.
    """
    params = rs.parameter_columns
    points = (rs.region_year[params].drop_duplicates().sort_values(params)
              if params else pd.DataFrame())
    if len(points) < 2:
        left_out = [f for f in _FIGURE_NAMES if f not in LEVEL_FIGURES]
        written.notes.append(
            f"skipped {', '.join(left_out)} and the difference tables: the folder holds one "
            f"scenario ('{baseline}') and no sweep, so there is nothing to compare it with")
        return rs, baseline, []

    def label(table: pd.DataFrame | None) -> pd.DataFrame | None:
        if table is None or table.empty or not set(params) <= set(table.columns):
            return table
        names = pd.Series("", index=table.index)
        for i, p in enumerate(params):
            names = names + f"{', ' if i else ''}{p}=" + table[p].map(lambda v: f"{v:g}")
        return table.drop(columns=params).assign(scenario=names)

    relabelled = dataclasses.replace(
        rs, county_year=label(rs.county_year), region_year=label(rs.region_year),
        levers_year=label(rs.levers_year), flows=label(rs.flows), runs=label(rs.runs))
    first = label(points.head(1).assign(scenario=baseline))["scenario"].iloc[0]
    others = [s for s in relabelled.scenarios if s != first]
    written.notes.append(f"one scenario ('{baseline}'): its {len(points)} sweep points are "
                         f"compared with the first, '{first}'")
    return relabelled, first, others


def _figure_makers(rs: ResultsSet, baseline: str, year: int, others: list[str], top: int,
                   matches: pd.DataFrame, name: str
                   ) -> dict[str, Callable[[], tuple[Any, str]]]:
    n = rs.replicates(baseline)
    reference = baseline if others else None  # levels only, without others
    band = f"{analysis.BAND[0]:g}–{analysis.BAND[1]:g} % band over {n} paired replicates"
    if rs.parameter_sets > 1:
        band = (f"{analysis.BAND[0]:g}–{analysis.BAND[1]:g} % bands over {n} paired runs "
                f"({rs.parameter_sets} parameter sets × replicates; darker: the parameter "
                "sets' means, parameter uncertainty alone)")
    chosen = _largest_effects(rs, baseline, year, others, top)
    note = (f" The {len(chosen)} scenarios with the largest GDP effect of {len(others)} are "
            "shown." if len(chosen) < len(others) else "")

    def fan(variable: str, relative: bool) -> Callable[[], tuple[Any, str]]:
        def draw() -> tuple[Any, str]:
            fig, ax = style.figure("single", aspect=0.75)
            charts.fan_chart(rs, variable, baseline=reference, relative=relative and bool(others),
                            scenarios=[baseline, *chosen], ax=ax)
            what = analysis.VARIABLES[variable].label
            if reference is None:
                return fig, f"{what} of {baseline} by year (mean and {band})."
            return fig, (f"{what}: difference from {baseline} by year (mean and {band})."
                         + note)
        return draw

    def levers() -> tuple[Any, str]:
        height = 0.9 + 0.17 * len(others)
        fig, axes = style.figure("double", height, ncols=len(LEVER_PANELS), sharey=True)
        order = None
        for ax, (variable, relative, title) in zip(axes, LEVER_PANELS, strict=True):
            # The panel title names the indicator, so the axis label leaves it out.
            charts.lever_comparison(rs, variable, baseline, year=year, relative=relative,
                                   order=order, ax=ax, title=title, legend=False,
                                   xlabel=(f"Δ vs {baseline} " if len(baseline) <= 12
                                           else "Δ ")
                                          + f"({difference_unit(variable, relative)})")
            order = order or [t.get_text() for t in ax.get_yticklabels()]
        bars = (" Thick bars: the band of the parameter sets' means." if rs.parameter_sets > 1
                else "")
        return fig, (f"Difference from {baseline} in {year}, by scenario (mean and {band}); "
                     f"sorted by the GDP effect.{bars}")

    def pilot() -> tuple[Any, str]:
        fig, ax = style.figure("single", 0.9 + 0.2 * len(others))
        charts.pilot_effect_chart(rs, "gdp_per_capita_yuan", baseline, ax=ax, end=year,
                                 matches=matches)
        return fig, ("Pilot effect on GDP per capita growth, " f"{rs.years[0]}–{year}: "
                     "difference-in-differences of the nine pilots against matched "
                     "non-pilot counties (nearest neighbour on start-year population, GDP per "
                     f"capita and travel time to the cores), scenario minus {baseline} "
                     f"({band}); diamonds: the true simulated effect on the pilots.")

    def convergence() -> tuple[Any, str]:
        fig, (a, b) = style.figure("double", max(2.6, 1.0 + 0.16 * (len(chosen) + 1)), ncols=2)
        charts.sigma_chart(rs, scenarios=[baseline, *chosen], baseline=baseline, ax=a)
        charts.beta_chart(rs, scenarios=[baseline, *chosen], baseline=baseline, ax=b)
        return fig, ("Convergence of GDP per capita across counties. Left: σ, the standard "
                     "deviation of log GDP per capita, by year. Right: β, the slope of "
                     "yearly growth on the initial log level (negative: poorer counties "
                     f"grow faster), mean and {band}." + note)

    def level_map() -> tuple[Any, str]:
        fig, ax = style.figure("single", aspect=0.72)
        maps.scenario_map(rs, "gdp_per_capita_yuan", scenario=baseline, year=year, ax=ax)
        return fig, (f"GDP per capita by county in {year}, {baseline} (mean over replicates); "
                     "colour scale clipped to the 2nd–98th percentile. "
                     + basemap.shapes_note())

    def small_multiples(variable: str) -> Callable[[], tuple[Any, str]]:
        def draw() -> tuple[Any, str]:
            axes = maps.scenario_maps(rs, variable, baseline=baseline, relative=True,
                                       year=year, scenarios=others, quantile=0.98)
            what = analysis.VARIABLES[variable].label
            return np.ravel(axes)[0].figure, (
                f"{what}: difference from {baseline} in {year} by county, % (mean over paired "
                "replicates), one shared colour scale centred at 0 (clipped at the 98th "
                "percentile of |difference|).")
        return draw

    def network() -> tuple[Any, str]:
        definition = scenario_definition(rs, name)
        net = network_for(definition, year)
        fig, ax = style.figure("single", aspect=0.72)
        network_maps.network_map(net, ax=ax, title=f"{name}: network, {net.year}")
        return fig, (f"Infrastructure network of {name} in {year}: roads (grey) and rail "
                     "sections coloured by opening year, line width by design speed. Access "
                     "and rest-of-China links are not drawn.")

    def flows() -> tuple[Any, str]:
        if rs.flows is None or rs.flows.empty:
            raise _Skip("no flows recorded (run with --flows or record_flows=True)")
        years = sorted(int(y) for y in rs.flows["year"].unique() if y <= year)
        if not years:
            raise _Skip(f"no flows recorded up to {year}")
        span = f"{years[0]}–{years[-1]}" if len(years) > 1 else f"{years[0]}"
        fig, (a, b) = style.figure("double", 3.4, ncols=2)
        network_maps.flow_map(rs, kind="migrants", scenario=baseline, years=years, ax=a, top=20,
                       min_km=FLOW_MIN_KM, title=f"Migration, {baseline}")
        network_maps.flow_map(rs, kind="investment_bn_yuan", scenario=baseline, years=years, ax=b,
                       top=20, min_km=FLOW_MIN_KM, title=f"Investment, {baseline}")
        return fig, (f"The 20 largest flows of {baseline} between counties at least "
                     f"{FLOW_MIN_KM:g} km apart (shorter flows, mostly between neighbouring "
                     "districts of Chengdu and Chongqing, are left out), yearly mean over "
                     f"{span} and replicates: migrants (left) and investment "
                     "(right). Arcs bend clockwise from origin to destination.")

    return {  # the names are _FIGURE_NAMES
        "fan_gdp": fan("gdp_bn_yuan", True),
        "fan_theil": fan("theil", False),
        "levers": levers,
        "pilot_effect": pilot,
        "convergence": convergence,
        "map_gdp_per_capita": level_map,
        "maps_population": small_multiples("population"),
        "maps_gdp": small_multiples("gdp_bn_yuan"),
        "network": network,
        "flows": flows,
    }


_FIGURE_NAMES = ("fan_gdp", "fan_theil", "levers", "pilot_effect", "convergence",
                 "map_gdp_per_capita", "maps_population", "maps_gdp", "network", "flows")


def _largest_effects(rs: ResultsSet, baseline: str, year: int, others: list[str], top: int
                     ) -> list[str]:
    if len(others) <= top:
        return others
    d = analysis.compare(rs, "gdp_bn_yuan", baseline, relative=True, years=[year])
    d = d.set_index("scenario")["mean"].abs()
    keep = set(d.sort_values(ascending=False).index[:top])
    return [s for s in others if s in keep]


def scenario_definition(rs: ResultsSet, name: str) -> dict[str, Any]:
    """The definition of a scenario from the folder's manifests, else a plain one.

    Run manifests hold ``scenario_definition``; without one (e.g. a batch manifest
    of another shape) a scenario without levers is rebuilt from the region and
    years of the results (exact for a baseline with default parameters).

    Raises:
        InputError: no definition, and the scenario has levers.
    """
    manifests = [rs.manifest, *rs.manifest.get("runs", [])]
    listed = rs.manifest.get("scenarios")
    if isinstance(listed, dict):
        manifests += [v for v in listed.values() if isinstance(v, dict)]
    elif isinstance(listed, list):
        manifests += [s for s in listed if isinstance(s, dict)]
    for m in manifests:
        definition = m.get("scenario_definition") or m.get("definition")
        if isinstance(definition, dict) and definition.get("name") == name:
            return definition
    levers = rs.levers_year
    if levers is not None and not levers.empty and (levers["scenario"] == name).any():
        raise InputError(f"the manifests here do not define scenario '{name}', and it has "
                         "levers, so its network cannot be rebuilt; draw it from its file: "
                         "countysim plot network scenarios/<file>.toml", source=rs.label)
    n = rs.county_year["code"].nunique()
    return {"name": name, "region": "sichuan_chongqing" if n > 200 else "ccec",
            "start_year": rs.years[0], "end_year": rs.years[-1]}


def _write_tables(rs: ResultsSet, baseline: str, year: int, out: Path, written: Written,
                  matches: pd.DataFrame) -> None:
    key = analysis.key_numbers(rs, baseline, year=year, matches=matches)
    written.tables["key_numbers.csv"] = _csv(key, out / "key_numbers.csv")
    path = out / "key_numbers.tex"
    path.write_text(analysis.latex_table(key, baseline), encoding="utf-8")
    written.tables["key_numbers.tex"] = path

    parts = []
    for variable, relative in DIFFERENCE_VARIABLES.items():
        d = analysis.compare(rs, variable, baseline, relative=relative)
        scale = display_scale(variable, relative=relative)
        shown = [c for c in ("mean", "median", "low", "high", "parameter_low",
                             "parameter_high") if c in d.columns]
        d[shown] *= scale
        for c in ("var_parameter", "var_stochastic"):
            if c in d.columns:
                d[c] *= scale ** 2
        d.insert(2, "variable", variable)
        d.insert(3, "unit", difference_unit(variable, relative))
        parts.append(d)
    diff = pd.concat(parts, ignore_index=True)
    written.tables["differences_region.csv"] = _csv(diff, out / "differences_region.csv")

    parts = []
    for variable in COUNTY_VARIABLES:
        d = analysis.compare(rs, variable, baseline, level="county", relative=True,
                             years=[year])
        d.insert(3, "variable", variable)
        d.insert(4, "unit", "%")
        parts.append(d)
    county = pd.concat(parts, ignore_index=True)
    names = rs.county_year.drop_duplicates("code").set_index("code")
    county.insert(3, "name_en", county["code"].map(names["name_en"]))
    county.insert(4, "province", county["code"].map(names["province"]))
    written.tables["differences_county.csv"] = _csv(county, out / "differences_county.csv")

    written.tables["pilot_matches.csv"] = _csv(matches, out / "pilot_matches.csv")
    effects = pd.concat([analysis.pilot_effect(rs, v, baseline, matches=matches, end=year)
                         for v in ("gdp_per_capita_yuan", "population", "income_per_capita_yuan")],
                        ignore_index=True)
    written.tables["pilot_effect.csv"] = _csv(effects, out / "pilot_effect.csv")

    sigma = analysis.summarise(analysis.sigma_convergence(rs.county_year), "sigma",
                               ["scenario", "year"])
    beta = analysis.beta_convergence(rs.county_year)
    beta_summary = pd.concat([
        analysis.summarise(beta, col, ["scenario"]).assign(measure=col)
        for col in ("beta", "speed", "half_life_years", "r2")], ignore_index=True)
    sigma.insert(0, "measure", "sigma")
    conv = pd.concat([sigma, beta_summary], ignore_index=True)
    written.tables["convergence.csv"] = _csv(conv, out / "convergence.csv")


def _csv(table: pd.DataFrame, path: Path) -> Path:
    table.to_csv(path, index=False, float_format="%.6g")
    return path


def _write_index(rs: ResultsSet, baseline: str, year: int, out: Path, written: Written
                 ) -> None:
    others = [s for s in rs.scenarios if s != baseline]
    lines = [f"# Figures and tables: {rs.label}", "",
             (f"Scenarios compared with `{baseline}` in {year}: "
              + ", ".join(f"`{s}`" for s in others) if others else f"`{baseline}` alone")
             + f". Replicates per scenario: {rs.replicates(baseline)}.", "",
             *(f"Note: {n}.\n" for n in written.notes), "## Figures", "",
             f"Maps: {basemap.shapes_note()}", ""]
    for name, caption in written.captions.items():
        files = ", ".join(f"[{p.suffix[1:]}]({p.name})" for p in written.figures[name])
        lines.append(f"- **{name}** ({files}): {caption}")
    for name, why in written.skipped.items():
        lines.append(f"- **{name}**: not drawn, {why}.")
    lines += ["", "## Tables", ""]
    for name in written.tables:
        lines.append(f"- [{name}]({name})")
    lines.append("")
    path = out / "index.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    written.tables["index.md"] = path

