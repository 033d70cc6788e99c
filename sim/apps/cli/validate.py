"""``countysim validate``: the 2010→2020 validation report."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.apps.cli.calibrate import check_region
from sim.apps.cli.run import whole_number
from sim.base.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``validate`` subcommand."""
    p = sub.add_parser(
        "validate", help="compare a 2010→2020 run with the 2020 census, against baselines",
        description="Run the model deterministically from the 2010 census with the real rail "
                    "openings to 2020, compare it and three baselines with the 2020 census "
                    "per comparison group (held-out and training splits, CCEC subset, by "
                    "province) for every calibration target, check it by leaving one "
                    "prefecture out at a time, forecast the 2020→2025 baseline with the "
                    "calibrated ensemble and write README.md, metrics.json, lopo.csv, "
                    "baseline_forecast.csv and figures (≈ 4 min on 2 cores; "
                    "--lopo-evals 0 makes it ≈ 40 s).")
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
    p.add_argument("--lopo-evals", type=whole_number("--lopo-evals", 0), default=60,
                   help="model runs per refit of the leave-one-prefecture-out check; 0 "
                        "skips it (default 60)")
    p.add_argument("--ensemble", type=whole_number("--ensemble", 0), default=None,
                   help="members of sim/data/calibrated_ensemble.csv for the baseline "
                        "forecast's parameter band (default: all; 0 skips the forecast)")
    p.add_argument("--replicates", type=whole_number("--replicates", 2), default=20,
                   help="random replicates of the forecast's stochastic band (default 20)")
    p.add_argument("--workers", type=whole_number("--workers", 1), default=2,
                   help="processes for the leave-one-prefecture-out refits (default 2)")
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
    ensemble = None
    if args.ensemble != 0:
        from sim.model.ensemble import ensemble_members, ensemble_parameters

        n = args.ensemble if args.ensemble is not None else len(ensemble_members())
        ensemble = ensemble_parameters(n)
    record = validate(args.out, params, params_source=source, region=args.region,
                      figures=not args.no_figures, calibration_dir=args.calibration,
                      ensemble=ensemble, replicates=args.replicates,
                      lopo_evals=args.lopo_evals, workers=args.workers)
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
    if "lopo" in record:
        pooled = record["lopo"]["pooled"]
        print(f"leave one prefecture out ({pooled['n_groups']} groups): RMSE model "
              f"{pooled['model_rmse']:.4f}, gravity {pooled['gravity_rmse']:.4f}; model better "
              f"in {pooled['model_better_in']} of {pooled['n_prefectures']} prefectures")
    print(f"wrote {args.out}/ (README.md, metrics.json"
          f"{', figures' if not args.no_figures else ''})")
    return 0
