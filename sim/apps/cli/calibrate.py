"""``countysim calibrate``: fit the key parameters to the 2010→2020 census."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.apps.cli.run import whole_number
from sim.base.errors import InputError
from sim.studies.calibration.settings import SHIPPED


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``calibrate`` subcommand."""
    p = sub.add_parser(
        "calibrate", help="fit parameters to the 2010→2020 census (training split)",
        description="Calibrate the model on the training split of comparison groups: run "
                    "2010→2020 from the 2010 census with the real rail openings, minimise J "
                    "from several starts, profile each parameter, sample the posterior with emcee "
                    "and write calibrated_parameters.toml, calibration.json, profile.csv, "
                    "chain.npz, calibrated_ensemble.csv and README.md. Copy "
                    "calibrated_parameters.toml and calibrated_ensemble.csv to sim/data/ to "
                    "make them the defaults. The defaults are the settings of the shipped "
                    "calibration (docs/validation/calibration/calibration.json), which took "
                    "about 40 min on 2 cores (13 min of optimisation and profiles, 28 min "
                    "of sampling); --resume continues an interrupted one.")
    p.add_argument("--region", default="sichuan_chongqing",
                   help="region to simulate and fit (default: sichuan_chongqing)")
    p.add_argument("--out", type=Path, default=Path("results/calibration"),
                   help="output folder (default: results/calibration)")
    p.add_argument("--fit", default=None, metavar="NAMES",
                   help="comma-separated parameters to fit (default: the standard set)")
    p.add_argument("--starts", type=whole_number("--starts", 1), default=SHIPPED["starts"],
                   help=f"starting points (default {SHIPPED['starts']})")
    p.add_argument("--workers", type=whole_number("--workers", 1), default=2,
                   help="processes (default 2)")
    p.add_argument("--max-evals", type=whole_number("--max-evals", 1), default=SHIPPED["max_evals"],
                   help=f"model runs per start (default {SHIPPED['max_evals']})")
    p.add_argument("--profile-points", type=whole_number("--profile-points", 0),
                   default=SHIPPED["profile_points"],
                   help="profile grid points per parameter, at least 2; 0 skips profiles "
                        f"(default {SHIPPED['profile_points']})")
    p.add_argument("--profile-evals", type=whole_number("--profile-evals", 1),
                   default=SHIPPED["profile_evals"],
                   help=f"model runs per profile point (default {SHIPPED['profile_evals']})")
    p.add_argument("--steps", type=whole_number("--steps", 0), default=SHIPPED["steps"],
                   help="MCMC steps per walker of the posterior sample; 0 skips it "
                        f"(default {SHIPPED['steps']}, ≈ 28 min on 2 cores; 8–11 autocorrelation "
                        "times of the shipped chain, which has not converged)")
    p.add_argument("--walkers", type=whole_number("--walkers", 2), default=SHIPPED["walkers"],
                   help="emcee walkers, at least twice the fitted parameters "
                        f"(default {SHIPPED['walkers']})")
    p.add_argument("--members", type=whole_number("--members", 1), default=SHIPPED["members"],
                   help=f"parameter vectors in calibrated_ensemble.csv (default "
                        f"{SHIPPED['members']})")
    p.add_argument("--temperature", type=float, default=1.0,
                   help="T of the tempered posterior exp(−J/2T); > 1 widens it (default 1)")
    p.add_argument("--resume", action="store_true",
                   help="keep the optimum (calibration.json) and the chain (chain.npz) "
                        "already in --out and continue from them")
    p.add_argument("--prior", action="append", default=None, metavar="NAME",
                   help="a named set of Gaussian priors to add to J (repeatable; default: "
                        "literature, the published ranges of φ, β_S and θ): literature, "
                        "market-access (φ from the 2010–2019 rail openings, all groups), "
                        "market-access-basin (the same without the plateau prefectures) or "
                        "none; see docs/validation/market_access.md")
    p.set_defaults(handler=handle)


def check_region(region: str) -> None:
    """Raise :class:`InputError` for an unknown ``--region``."""
    from sim.model.region import REGIONS

    if region not in REGIONS:
        raise InputError(f"--region: unknown region '{region}'; allowed: "
                         + ", ".join(sorted(REGIONS)))


def handle(args: argparse.Namespace) -> int:
    """Run the calibration and write its folder."""
    from sim.studies.calibration.workflow import (
        DEFAULT_FIT,
        PRIOR_SETS,
        named_priors,
        run_calibration,
    )

    check_region(args.region)
    names = DEFAULT_FIT
    if args.fit is not None:
        names = tuple(n.strip() for n in args.fit.split(",") if n.strip())
        if not names:
            raise InputError("--fit: no parameter names given")
    chosen = tuple(args.prior) if args.prior is not None else ("literature",)
    unknown = [n for n in chosen if n not in PRIOR_SETS and n != "none"]
    if unknown:
        raise InputError(f"--prior: unknown prior set '{unknown[0]}'; allowed: "
                         + ", ".join((*PRIOR_SETS, "none")))
    priors = named_priors(chosen)
    run_calibration(args.out, region=args.region, names=names, starts=args.starts,
                    workers=args.workers, max_evals=args.max_evals,
                    profile_points=args.profile_points, profile_evals=args.profile_evals,
                    priors=priors, steps=args.steps, walkers=args.walkers,
                    members=args.members, temperature=args.temperature, resume=args.resume)
    return 0
