"""``countysim plot``: one figure from a results folder (or a scenario, for networks)."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli.compare import add_output_options
from sim.errors import InputError

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
                   help="comma-separated scenarios to draw (fan, sigma, maps)")
    p.add_argument("--year", type=int, default=None, help="year (default: the last)")
    p.add_argument("--kind-of-flow", dest="flow", default="migrants",
                   choices=["migrants", "investment_bn_yuan"], help="flows: what flows")
    p.add_argument("--top", type=int, default=20, help="flows: number of arcs (default 20)")
    p.add_argument("--min-km", type=float, default=0.0,
                   help="flows: only between seats at least this far apart")
    p.add_argument("--width", default="single", choices=["single", "onehalf", "double"],
                   help="journal width of the figure (default: single column)")
    p.add_argument("--out", type=Path, default=None,
                   help="output path without extension (default: SOURCE/figures/KIND_VARIABLE)")
    add_output_options(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Draw the figure and write it in each format."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim import style

    variable = args.variable or KINDS[args.kind]
    if args.variable and KINDS[args.kind] is None:
        raise InputError(f"plot {args.kind} takes no --variable")
    scenarios = [s.strip() for s in args.scenarios.split(",")] if args.scenarios else None
    with style.paper_style():
        fig = draw(args, variable, scenarios)
        stem = args.out or default_stem(args, variable)
        paths = style.save_figure(fig, stem, args.formats, args.dpi)
        plt.close(fig)
    for path in paths:
        print(path)
    return 0


def default_stem(args: argparse.Namespace, variable: str | None) -> Path:
    """``SOURCE/figures/KIND[_VARIABLE]`` (next to a scenario file: ``results/``)."""
    name = args.kind + (f"_{variable}" if variable else "")
    if args.source.is_file():
        return Path("results") / "figures" / f"{args.source.stem}_{name}"
    return args.source / "figures" / name


def draw(args: argparse.Namespace, variable: str | None, scenarios: list[str] | None):
    """Draw the requested figure and return it."""
    from sim import plots, style
    from sim.analysis import read_results

    if args.kind == "network":
        return _network(args)
    rs = read_results(args.source)
    baseline = args.baseline
    map_aspect = 0.72
    if args.kind == "maps":
        axes = plots.scenario_maps(rs, variable, baseline=baseline or "baseline",
                                   relative=args.relative, year=args.year,
                                   scenarios=scenarios, quantile=0.98)
        return axes.flat[0].figure
    tall = args.kind in ("levers", "pilot", "beta")
    height = 0.9 + 0.2 * len(rs.scenarios) if tall else None
    fig, ax = style.figure(args.width, height,
                           aspect=map_aspect if args.kind in ("map", "flows") else 0.7)
    if args.kind == "fan":
        plots.fan_chart(rs, variable, baseline=baseline, relative=args.relative,
                        scenarios=scenarios, ax=ax)
    elif args.kind == "levers":
        plots.lever_comparison(rs, variable, baseline or "baseline", year=args.year,
                               relative=args.relative, ax=ax)
    elif args.kind == "pilot":
        plots.pilot_effect_chart(rs, variable, baseline or "baseline", ax=ax, end=args.year)
    elif args.kind == "sigma":
        plots.sigma_chart(rs, scenarios=scenarios, ax=ax)
    elif args.kind == "beta":
        plots.beta_chart(rs, ax=ax)
    elif args.kind == "map":
        plots.scenario_map(rs, variable, scenario=args.scenario, baseline=baseline,
                           relative=args.relative, year=args.year, ax=ax)
    elif args.kind == "flows":
        plots.flow_map(rs, kind=args.flow, top=args.top, scenario=args.scenario,
                       min_km=args.min_km, ax=ax)
    return fig


def _network(args: argparse.Namespace):
    from sim import plots, style

    if args.source.is_file():
        definition = args.source
    else:
        from sim.analysis import read_results
        from sim.figures import scenario_definition

        rs = read_results(args.source)
        name = args.scenario or (args.baseline or rs.scenarios[0])
        rs.require_scenario(name)
        definition = scenario_definition(rs, name)
    network = plots.network_for(definition, args.year)
    name = definition.get("name") if isinstance(definition, dict) else definition.stem
    fig, ax = style.figure(args.width, aspect=0.72)
    plots.network_map(network, ax=ax, title=f"{name}: network, {network.year}")
    return fig
