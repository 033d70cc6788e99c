"""``countysim run``: simulate one scenario and write its results folder."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from sim.outputs.results import Results


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``run`` subcommand."""
    p = sub.add_parser("run", help="run a scenario file and write its results",
                       description="Run a scenario from its start year to its end year and "
                                   "write county_year.parquet, region_year.parquet, "
                                   "levers_year.parquet and manifest.json.")
    p.add_argument("scenario", type=Path, help="scenario TOML file")
    p.add_argument("--out", type=Path, default=None,
                   help="results folder (default: results/<scenario name>)")
    p.add_argument("--seed", type=_seed, default=None,
                   help="root seed (default: the scenario's seed)")
    p.add_argument("--deterministic", action="store_true",
                   help="use expected flows instead of random draws")
    p.add_argument("--flows", action="store_true",
                   help="also write yearly origin–destination flows (flows.parquet)")
    p.add_argument("--graphml", action="store_true",
                   help="also write the end year's infrastructure network (network.graphml)")
    p.add_argument("--quiet", action="store_true", help="print only the output folder")
    p.set_defaults(handler=handle)


def whole_number(what: str, minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number ≥ ``minimum``, with a message naming ``what``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{what} must be a whole number ≥ {minimum}, got '{text}'") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(
                f"{what} must be a whole number ≥ {minimum}, got {value}")
        return value

    return parse


_seed = whole_number("seed", 0)


def handle(args: argparse.Namespace) -> int:
    """Run the scenario, save the results, print a summary table."""
    from sim.model.scenario import load_scenario
    from sim.studies.run import run

    scenario = load_scenario(args.scenario)
    out = args.out or Path("results") / scenario.name
    results = run(scenario, seed=args.seed, deterministic=args.deterministic,
                  record_flows=args.flows)
    results.save(out)
    if args.graphml:
        from sim.model.scenario import network_for

        network_for(scenario).write_graphml(out / "network.graphml")
    if args.quiet:
        print(out)
        return 0
    mode = "deterministic" if args.deterministic else f"seed {results.manifest['seed']}"
    print(f"{scenario.name}: {scenario.region}, {scenario.start_year}–{scenario.end_year}, "
          f"{mode}, {len(scenario.levers)} lever(s)")
    print(summary_table(results).to_string(index=False))
    extra = ", network.graphml" if args.graphml else ""
    print(f"wrote {out}/ (county_year, region_year, levers_year"
          f"{', flows' if args.flows else ''}.parquet; manifest.json{extra})")
    return 0


def summary_table(results: Results) -> pd.DataFrame:
    """Population, GDP, urbanisation rate and Theil index by year, for printing."""
    r = results.region_year
    return pd.DataFrame({
        "year": r["year"],
        "population (m)": (r["population"] / 1e6).round(2),
        "GDP (bn yuan)": r["gdp_bn_yuan"].round(0).astype(int),
        "urbanisation (%)": (100 * r["urbanisation_rate"]).round(1),
        "Theil": r["theil"].round(4),
    })
