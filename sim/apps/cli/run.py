"""``countysim run``: simulate one scenario and write its results folder."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from sim.base.errors import InputError
from sim.outputs.results import Results

if TYPE_CHECKING:
    from sim.model.scenario import Scenario


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``run`` subcommand."""
    p = sub.add_parser("run", help="run a scenario file and write its results",
                       description="Run a scenario from its start year to its end year and "
                                   "write county_year.parquet, region_year.parquet, "
                                   "levers_year.parquet and manifest.json (with --geo also "
                                   "county_year_<year>.gpkg for GIS).")
    p.add_argument("scenario", type=Path, help="scenario TOML file")
    p.add_argument("--out", type=Path, default=None,
                   help="results folder (default: results/<scenario name>)")
    p.add_argument("--seed", type=_seed, default=None,
                   help="root seed (default: the scenario's seed)")
    p.add_argument("--deterministic", action="store_true",
                   help="use expected flows instead of random draws")
    p.add_argument("--flows", action="store_true",
                   help="also write yearly origin–destination flows (flows.parquet)")
    p.add_argument("--ages", action="store_true",
                   help="also write residents by year, county, sex and age group "
                        "(age_year.parquet)")
    p.add_argument("--graphml", action="store_true",
                   help="also write the end year's infrastructure network (network.graphml)")
    p.add_argument("--geo", action="store_true",
                   help="also write one year of county_year with the county boundaries "
                        "(county_year_<year>.gpkg; needs the geo extra)")
    p.add_argument("--geo-year", type=int, default=None, metavar="YEAR",
                   help="--geo: the year (default: the end year)")
    p.add_argument("--geo-format", choices=["gpkg", "parquet"], default=None,
                   help="--geo: GeoPackage (default) or GeoParquet")
    p.add_argument("--quiet", action="store_true", help="print only the output folder")
    p.set_defaults(handler=handle)


def whole_number(what: str, minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argparse type: a whole number from ``minimum`` (to ``maximum``), naming ``what``."""
    allowed = (f"a whole number from {minimum} to {maximum}" if maximum is not None
               else f"a whole number ≥ {minimum}")

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be {allowed}, got '{text}'") from None
        if value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"{what} must be {allowed}, got {value}")
        return value

    return parse


#: Seeds are 63-bit: the tables store them as signed 64-bit integers.
_seed = whole_number("seed", 0, 2**63 - 1)


def handle(args: argparse.Namespace) -> int:
    """Run the scenario, save the results, print a summary table."""
    from sim.model.scenario import load_scenario
    from sim.outputs.results import check_run_folder
    from sim.studies.run import run

    scenario = load_scenario(args.scenario)
    geo_year = _check_geo(args, scenario)
    out = args.out or Path("results") / scenario.name
    check_run_folder(out)  # before simulating: a folder that cannot take it costs no run
    results = run(scenario, seed=args.seed, deterministic=args.deterministic,
                  record_flows=args.flows, record_ages=args.ages)
    results.save(out)
    if args.graphml:
        from sim.model.scenario import network_for

        network_for(scenario).write_graphml(out / "network.graphml")
    geo_file = None
    if args.geo:
        from sim.outputs.geo import write_county_year_geo

        geo_file = write_county_year_geo(results, out, geo_year,
                                         format=args.geo_format or "gpkg")
    if args.quiet:
        print(out)
        return 0
    mode = "deterministic" if args.deterministic else f"seed {results.manifest['seed']}"
    print(f"{scenario.name}: {scenario.region}, {scenario.start_year}–{scenario.end_year}, "
          f"{mode}, {len(scenario.levers)} lever(s)")
    print(summary_table(results).to_string(index=False))
    extra = (", network.graphml" if args.graphml else "") + (
        f", {geo_file.name}" if geo_file else "")
    print(f"wrote {out}/ (county_year, region_year, levers_year"
          f"{', flows' if args.flows else ''}{', age_year' if args.ages else ''}.parquet; "
          f"manifest.json{extra})")
    return 0


def _check_geo(args: argparse.Namespace, scenario: Scenario) -> int | None:
    """The year of ``--geo``, checked before the run (as are the boundaries)."""
    if not args.geo:
        for flag, value in (("--geo-year", args.geo_year), ("--geo-format", args.geo_format)):
            if value is not None:
                raise InputError(f"{flag} needs --geo")
        return None
    year = scenario.end_year if args.geo_year is None else args.geo_year
    if not scenario.start_year <= year <= scenario.end_year:
        raise InputError(f"--geo-year {year} is outside the run, {scenario.start_year}–"
                         f"{scenario.end_year}", source=str(args.scenario))
    from sim.model.geography import county_shapes

    county_shapes()  # BoundariesUnavailable (one line, exit 2) before a long run
    return year


def summary_table(results: Results) -> pd.DataFrame:
    """Population, GDP, urbanisation rate and Theil index by year, for printing."""
    r = results.region_year
    return pd.DataFrame({
        "year": r["year"],
        "population (m)": (r["population"] / 1e6).round(2),
        "GDP (bn yuan)": r["gdp_bn_yuan"].round(0).astype(int),
        "urbanisation (%)": (100 * r["urbanisation_rate"]).round(1),
        "aged 65+ (%)": (100 * r["share_aged_65_plus"]).round(1),
        "Theil": r["theil"].round(4),
    })
