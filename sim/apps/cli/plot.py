"""``countysim plot``: one figure from a results folder (or a scenario, for networks)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.apps.cli.compare import add_output_options
from sim.base.errors import InputError

#: Figure kinds and the variable each uses when ``--variable`` is not given.
KINDS: dict[str, str | None] = {
    "fan": "gdp_bn_yuan",
    "levers": "gdp_bn_yuan",
    "pilot": "gdp_per_capita_yuan",
    "sigma": None,
    "beta": None,
    "map": "gdp_per_capita_yuan",
    "maps": "population",
    "network": None,
    "flows": None,
}
#: Options each figure kind takes (by argparse dest), besides SOURCE, --out,
#: --formats and --dpi; any other option given is an error, not silently ignored.
OPTIONS: dict[str, frozenset[str]] = {
    "fan": frozenset({"variable", "baseline", "relative", "scenarios", "width"}),
    "levers": frozenset({"variable", "baseline", "relative", "year", "width"}),
    "pilot": frozenset({"variable", "baseline", "year", "width"}),
    "sigma": frozenset({"baseline", "scenarios", "width"}),
    "beta": frozenset({"baseline", "scenarios", "width"}),
    "map": frozenset({"variable", "baseline", "relative", "scenario", "year", "width"}),
    "maps": frozenset({"variable", "baseline", "relative", "scenarios", "year"}),
    "network": frozenset({"baseline", "scenario", "year", "width"}),
    "flows": frozenset({"scenario", "flow", "top", "min_km", "width"}),
}
#: Option flags by argparse dest, in the order they are checked and listed.
FLAGS: dict[str, str] = {
    "variable": "--variable", "baseline": "--baseline", "relative": "--relative",
    "scenario": "--scenario", "scenarios": "--scenarios", "year": "--year",
    "flow": "--kind-of-flow", "top": "--top", "min_km": "--min-km", "width": "--width",
}
#: Defaults of options that are None on the command line, so that a given option
#: can be told from an omitted one.
DEFAULTS = {"flow": "migrants", "top": 20, "min_km": 0.0, "width": "single"}


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``plot`` subcommand."""
    p = sub.add_parser(
        "plot", help="draw one figure from a results folder",
        description="Draw one figure. KIND: fan (indicator by year per scenario), levers "
                    "(difference from the baseline per scenario), pilot (simulated DiD), "
                    "sigma, beta (convergence), map (one scenario by county), maps (small "
                    "multiples of all scenarios), network (infrastructure; SOURCE may be a "
                    "scenario .toml), flows (largest migration or investment flows).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  countysim plot fan results/levers --variable theil --baseline baseline\n"
               "  countysim plot map results/levers --variable population --scenario "
               "connectivity --baseline baseline --relative\n"
               "  countysim plot network scenarios/rail_acceleration.toml --year 2030")
    p.add_argument("kind", choices=list(KINDS), metavar="KIND",
                   help="one of: " + ", ".join(KINDS))
    p.add_argument("source", type=Path, metavar="SOURCE",
                   help="results folder (network: or a scenario file)")
    p.add_argument("--variable", help="column to plot (default depends on KIND)")
    p.add_argument("--baseline", default=None,
                   help="reference scenario: plot differences from it (levers, pilot and "
                        "maps default to 'baseline')")
    p.add_argument("--relative", action="store_true", help="differences in %% of the baseline")
    p.add_argument("--scenario", default=None, help="scenario to draw (map, network, flows)")
    p.add_argument("--scenarios", default=None,
                   help="comma-separated scenarios to draw (fan, sigma, beta, maps)")
    p.add_argument("--year", type=int, default=None,
                   help="year (levers, pilot, map, maps, network; default: the last)")
    p.add_argument("--kind-of-flow", dest="flow", default=None,
                   choices=["migrants", "investment_bn_yuan"],
                   help="flows: what flows (default: migrants)")
    p.add_argument("--top", type=int, default=None, help="flows: number of arcs (default 20)")
    p.add_argument("--min-km", type=float, default=None,
                   help="flows: only between seats at least this far apart (default 0)")
    p.add_argument("--width", default=None, choices=["single", "onehalf", "double"],
                   help="journal width of the figure (default: single column; not maps)")
    p.add_argument("--out", type=Path, default=None,
                   help="output path without extension (default: SOURCE/figures/KIND_VARIABLE)")
    add_output_options(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Draw the figure and write it in each format."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.figures import style

    check_options(args)
    variable = args.variable or KINDS[args.kind]
    scenarios = [s.strip() for s in args.scenarios.split(",")] if args.scenarios else None
    with style.paper_style():
        fig = draw(args, variable, scenarios)
        stem = args.out or default_stem(args, variable)
        paths = style.save_figure(fig, stem, args.formats, args.dpi)
        plt.close(fig)
    for path in paths:
        print(path)
    return 0


def check_options(args: argparse.Namespace) -> None:
    """Reject an option the figure kind would ignore; fill in the omitted defaults.

    Raises:
        InputError: an option the kind does not take, or ``--relative`` without a
            baseline where the baseline is optional.
    """
    kind = args.kind
    taken = OPTIONS[kind]
    given = [dest for dest in FLAGS if getattr(args, dest) is not None
             and getattr(args, dest) is not False]
    extra = [dest for dest in given if dest not in taken]
    if extra:
        allowed = ", ".join(FLAGS[d] for d in FLAGS if d in taken)
        raise InputError(f"plot {kind} takes no {FLAGS[extra[0]]}; its options: {allowed}")
    if kind in ("fan", "map") and args.relative and args.baseline is None:
        raise InputError(f"plot {kind} --relative needs --baseline, the scenario the % "
                         "differences are taken from")
    if kind == "network" and args.source.is_file() and (args.scenario or args.baseline):
        flag = "--scenario" if args.scenario else "--baseline"
        raise InputError(f"plot network of a scenario file takes no {flag}: the file is "
                         "the scenario")
    for dest, value in DEFAULTS.items():
        if getattr(args, dest) is None:
            setattr(args, dest, value)


def default_stem(args: argparse.Namespace, variable: str | None) -> Path:
    """``SOURCE/figures/KIND[_VARIABLE]`` (next to a scenario file: ``results/``)."""
    name = args.kind + (f"_{variable}" if variable else "")
    if args.source.is_file():
        return Path("results") / "figures" / f"{args.source.stem}_{name}"
    return args.source / "figures" / name


def draw(args: argparse.Namespace, variable: str | None, scenarios: list[str] | None):
    """Draw the requested figure and return it."""
    from sim import figures
    from sim.analysis import read_results
    from sim.figures import style

    if args.kind == "network":
        return _network(args)
    rs = read_results(args.source)
    baseline = args.baseline
    map_aspect = 0.72
    if args.kind == "maps":
        axes = figures.scenario_maps(rs, variable, baseline=baseline or "baseline",
                                   relative=args.relative, year=args.year,
                                   scenarios=scenarios, quantile=0.98)
        return axes.flat[0].figure
    tall = args.kind in ("levers", "pilot", "beta")
    height = 0.9 + 0.2 * len(scenarios or rs.scenarios) if tall else None
    fig, ax = style.figure(args.width, height,
                           aspect=map_aspect if args.kind in ("map", "flows") else 0.7)
    if args.kind == "fan":
        figures.fan_chart(rs, variable, baseline=baseline, relative=args.relative,
                        scenarios=scenarios, ax=ax)
    elif args.kind == "levers":
        figures.lever_comparison(rs, variable, baseline or "baseline", year=args.year,
                               relative=args.relative, ax=ax)
    elif args.kind == "pilot":
        figures.pilot_effect_chart(rs, variable, baseline or "baseline", ax=ax, end=args.year)
    elif args.kind == "sigma":
        figures.sigma_chart(rs, scenarios=scenarios, baseline=baseline or "baseline", ax=ax)
    elif args.kind == "beta":
        figures.beta_chart(rs, scenarios=scenarios, baseline=baseline or "baseline", ax=ax)
    elif args.kind == "map":
        figures.scenario_map(rs, variable, scenario=args.scenario, baseline=baseline,
                           relative=args.relative, year=args.year, ax=ax)
    elif args.kind == "flows":
        figures.flow_map(rs, kind=args.flow, top=args.top, scenario=args.scenario,
                       min_km=args.min_km, ax=ax)
    return fig


def _network(args: argparse.Namespace):
    from sim import figures
    from sim.figures import style

    if args.source.is_file():
        definition = args.source
    else:
        from sim.analysis import read_results
        from sim.figures.standard import scenario_definition

        rs = read_results(args.source)
        name = args.scenario or (args.baseline or rs.scenarios[0])
        rs.require_scenario(name)
        definition = scenario_definition(rs, name)
    network = figures.network_for(definition, args.year)
    name = definition.get("name") if isinstance(definition, dict) else definition.stem
    fig, ax = style.figure(args.width, aspect=0.72)
    figures.network_map(network, ax=ax, title=f"{name}: network, {network.year}")
    return fig
