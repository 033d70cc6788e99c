"""``countysim sensitivity``: a sensitivity analysis or exploratory design, run as a batch."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sim.apps.cli.batch import add_executor_arguments, executor_of


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``sensitivity`` subcommand."""
    p = sub.add_parser(
        "sensitivity", help="Sobol, Morris, Latin hypercube or factorial designs with indices",
        description="Plan a design over parameters and lever intensities, run it through the "
                    "batch layer into <out>/batch (resumable), and write indices with "
                    "confidence intervals, convergence, scenario discovery, tables and "
                    "figures into --out. Exit code 0 when every run is done and analysed, 1 "
                    "when runs failed or are missing, 2 for bad input, 130 if interrupted. "
                    "See docs/sensitivity.md.")
    p.add_argument("spec", type=Path,
                   help="sensitivity spec (e.g. scenarios/sensitivity/pilot_services.toml)")
    p.add_argument("--out", type=Path, default=None,
                   help="results folder (default: results/<spec name>)")
    add_executor_arguments(p)
    p.add_argument("--resume", action="store_true",
                   help="finish the runs in --out and analyse again (with every run done: "
                        "analyse again, e.g. after changing outcomes or discovery)")
    p.add_argument("--plan", action="store_true",
                   help="only plan: write the design and run list into --out and stop")
    p.add_argument("--no-figures", action="store_true", help="write tables only")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar; print only the final lines")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Plan, run, analyse; print a summary."""
    from sim.base.errors import InputError
    from sim.studies.batch import BatchAborted, load_batch
    from sim.studies.sensitivity import report
    from sim.studies.sensitivity.plan import plan_sensitivity
    from sim.studies.sensitivity.run import BATCH_FOLDER, check_folder, run_sensitivity

    plan = plan_sensitivity(args.spec)
    out = args.out or Path("results") / plan.spec.name
    if args.plan:
        check_folder(out, args.resume, plan)  # never replace another analysis's plan
        report.write_plan(plan, out)
        print(f"{plan.describe()}; plan written to {out} (design.csv, runs.csv, "
              "sensitivity.json)")
        return 0
    executor, workers = executor_of(args)

    def header(_plan: object, to_run: int, label: str) -> None:
        if not args.quiet:
            print(f"{plan.describe()}; {to_run} to run on {label} → {out}", flush=True)

    t0 = time.perf_counter()
    try:
        result = run_sensitivity(plan, out, executor=executor, workers=workers,
                                 scheduler=args.scheduler, resume=args.resume,
                                 progress=not args.quiet and sys.stderr.isatty(),
                                 figures=not args.no_figures, on_start=header)
    except KeyboardInterrupt:
        batch_dir = out / BATCH_FOLDER
        try:
            done = load_batch(batch_dir).counts()["done"]
        except InputError:  # interrupted before the batch's store was written
            done = 0
        print(f"countysim: interrupted; {done} runs done and kept in {batch_dir}; finish with: "
              f"countysim sensitivity {args.spec} --out {out} --resume", file=sys.stderr)
        return 130
    except BatchAborted as err:
        print(f"countysim: error: {err}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - t0
    ran = result.batch.session["ran"] if result.batch and result.batch.session else 0
    rate = f"{ran / seconds:.1f} runs/s" if ran else "nothing to run"
    print(f"{plan.spec.name}: ran {ran} runs in {seconds:.1f} s ({rate}) → {out}")
    for note in result.notes:
        print(f"countysim: {note}", file=sys.stderr)
    if result.indices is not None:
        _print_indices(result)
    if result.discovery is not None:
        from sim.studies.sensitivity.discovery import summary

        print(summary(result.discovery))
    print(f"tables and figures: {out / 'index.md'}")
    return 0 if result.complete else 1


def _print_indices(result: object) -> None:
    """The main index of each outcome's three most influential factors."""
    from sim.studies.sensitivity.analyze import SORT_BY

    indices = result.indices  # type: ignore[attr-defined]
    key = SORT_BY[indices.method]
    for outcome, rows in indices.table.groupby("outcome", sort=False):
        if outcome in indices.notes:
            print(f"{outcome}: {indices.notes[outcome]}")
            continue
        top = rows.head(3)
        parts = []
        for r in top.to_dict("records"):
            conf = r.get(f"{key}_conf")
            text = f"{r['factor']} {r[key]:.3g}"
            parts.append(text + (f" ± {conf:.2g}" if conf is not None else ""))
        print(f"{outcome}: {key} " + "; ".join(parts))
