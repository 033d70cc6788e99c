"""``countysim estimate``: reduced-form estimates that calibration priors come from."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from sim.base.errors import InputError

#: What can be estimated (one so far).
SUBJECTS = ("market-access",)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``estimate`` subcommand."""
    p = sub.add_parser(
        "estimate", help="estimate the agglomeration elasticity φ from the 2010–2019 rail "
                         "openings (a calibration prior)",
        description="Regress county GDP growth 2010→2019 on the change in market access the "
                    "2010–2019 rail openings brought, over a grid of θ, with placebos and "
                    "robustness checks, and map the coefficient to the model's φ. Prints "
                    "Markdown tables (docs/validation/market_access.md).")
    p.add_argument("subject", choices=SUBJECTS, help="what to estimate")
    p.add_argument("--sample", default="all",
                   help="groups to use: all (201) or without_plateau (default all)")
    p.add_argument("--theta", type=float, default=None,
                   help="θ (1/h) at which to report φ (default: θ̂, the likelihood maximum)")
    p.add_argument("--json", type=Path, default=None, metavar="PATH",
                   help="also write the full record (profile grid included) as JSON")
    p.add_argument("--bypass", action="store_true",
                   help="also measure what the 2010–2019 rail did to bypassed counties "
                        "(model runs with and without it)")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Check the arguments, estimate and print."""
    from sim.model.parameters import Parameters
    from sim.studies.calibration.market_access import SAMPLES

    if args.sample not in SAMPLES:
        raise InputError(f"--sample: unknown sample '{args.sample}'; allowed: "
                         + ", ".join(SAMPLES))
    if args.theta is not None:
        lo, hi = Parameters.specs()["market_access_decay_per_h"].plausible
        if not (math.isfinite(args.theta) and lo <= args.theta <= hi):
            raise InputError(f"--theta: expected a decay in the plausible range {lo:g}–{hi:g} "
                             f"per hour, got {args.theta:g}")
    if args.json is not None and not args.json.parent.is_dir():
        raise InputError("--json: folder not found", source=str(args.json.parent))
    from sim.studies.calibration.market_access_report import (
        bypass_markdown,
        estimate_markdown,
        estimate_record,
    )

    record = estimate_record(args.theta, args.sample)
    print(estimate_markdown(record), end="")
    if args.bypass:
        print()
        print(bypass_markdown(), end="")
    if args.json is not None:
        args.json.write_text(json.dumps(record, indent=1, ensure_ascii=False, default=float),
                             encoding="utf-8")
    return 0
