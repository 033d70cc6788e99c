"""``countysim levers``: the lever-effect table of docs/levers.md, recomputed."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.apps.cli.run import whole_number


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``levers`` subcommand."""
    p = sub.add_parser(
        "levers", help="recompute the lever-effect table of docs/levers.md",
        description="Run the baseline and each single-lever scenario deterministically "
                    "and write the 2025 effect of each lever on its primary outcome "
                    "(targets, most-changed county, region) with its empirical range as "
                    "CSV; then regenerate the reference pages, which render it (a test "
                    "checks the committed table and pages match).")
    p.add_argument("--out", type=Path, default=None,
                   help="CSV to write (default: docs/tables/lever_effects.csv, which "
                        "docs/levers.md renders; another path leaves the pages alone)")
    p.add_argument("--ensemble", type=whole_number("--ensemble", 1), default=None, metavar="N",
                   help="use N parameter sets of the calibrated ensemble "
                        "(sim.model.ensemble.ensemble_parameters) instead of the "
                        "calibrated defaults: median and 5–95 %% range")
    p.add_argument("--docs", type=Path, default=Path("docs"),
                   help="where to regenerate the pages (default: docs)")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Compute, write the CSV, print the table and regenerate the pages."""
    from sim.model import reference
    from sim.studies.lever_effects import lever_effects, write_table

    sets = None
    if args.ensemble is not None:
        from sim.model.ensemble import ensemble_parameters

        sets = ensemble_parameters(args.ensemble)
    table = lever_effects(sets)
    out = args.out or reference.LEVER_EFFECTS_CSV
    print(f"wrote {write_table(table, out)}")
    cols = ["scenario", "primary_outcome", "effect_pct", "effect_p05", "effect_p95",
            "max_county_effect_pct", "region_effect_pct", "position"]
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:+.3f}"))
    if Path(out).resolve() == reference.LEVER_EFFECTS_CSV.resolve():
        return reference.main([str(args.docs)])
    return 0
