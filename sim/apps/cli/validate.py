"""``countysim validate``: the 2010→2020 validation report."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.apps.cli.calibrate import check_region
from sim.base.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``validate`` subcommand."""
    p = sub.add_parser(
        "validate", help="compare a 2010→2020 run with the 2020 census, against baselines",
        description="Run the model deterministically from the 2010 census with the real rail "
                    "openings to 2020, compare it and three baselines with the 2020 census "
                    "per comparison group (held-out and training splits, CCEC subset, by "
                    "province) and write README.md, metrics.json and figures.")
    p.add_argument("--params", type=Path, default=None,
                   help="TOML file with a [parameters] table, applied over the literature "
                        "priors (default: the package default, i.e. the shipped calibrated "
                        "parameters)")
    p.add_argument("--region", default="sichuan_chongqing",
                   help="region to simulate (default sichuan_chongqing; its CCEC subset is "
                        "reported too)")
    p.add_argument("--out", type=Path, default=Path("docs/validation"),
                   help="report folder (default: docs/validation)")
    p.add_argument("--calibration", type=Path, default=None,
                   help="folder written by `countysim calibrate` to summarise (default: "
                        "OUT/calibration if present)")
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Validate and print the held-out headline."""
    from sim.model.parameters import CALIBRATED_FILE, calibrated_values, default_parameters
    from sim.studies.calibration.report import BASELINES, PREDICTORS, validate
    from sim.studies.calibration.workflow import read_parameter_file

    check_region(args.region)
    if args.calibration is not None and not args.calibration.is_dir():
        raise InputError("--calibration: folder not found", source=str(args.calibration))
    if args.params is not None:
        params = read_parameter_file(args.params)
        source = f"`{args.params}` over the literature priors"
    else:
        params = default_parameters()
        source = (f"package default (`sim/data/{CALIBRATED_FILE}` over the literature priors)"
                  if calibrated_values() else "package default (literature priors; no "
                  "calibrated file is installed)")
    record = validate(args.out, params, params_source=source, region=args.region,
                      figures=not args.no_figures, calibration_dir=args.calibration)
    for name, splits in record["subsets"].items():
        held = splits["held_out"]
        print(f"{name}, held-out groups (n = {held['model']['population']['n']}): "
              "log-growth RMSE / Spearman ρ")
        for key in ("model", *BASELINES):
            m = held[key]["population"]
            rho = "—" if m["spearman"] is None else f"{m['spearman']:.3f}"
            print(f"  {PREDICTORS[key]:<34} {m['rmse']:.4f}  {rho}")
        verdict = record["beats_baselines_held_out"][name]
        print(f"  model beats all baselines: RMSE {'yes' if verdict['rmse'] else 'NO'}, "
              f"Spearman {'yes' if verdict['spearman'] else 'NO'}")
    print(f"wrote {args.out}/ (README.md, metrics.json"
          f"{', figures' if not args.no_figures else ''})")
    return 0
