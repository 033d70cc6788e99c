"""``countysim batch``: run a batch file (scenarios × sweep × replicates) into a store."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sim.apps.cli.run import whole_number


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``batch`` subcommand."""
    p = sub.add_parser(
        "batch", help="run a batch file: scenarios × parameter sweep × replicates",
        description="Run every run of a batch file that is not done yet and write a batch "
                    "results store (manifest.json, runs.parquet, one Parquet part per run "
                    "and table). Exit code 0 if every run is done, 1 if some failed or "
                    "the batch was aborted, 2 for bad input or a folder that cannot be "
                    "written, 130 if interrupted, 143 if terminated (SIGTERM). "
                    "See docs/batches.md.")
    p.add_argument("batch", type=Path, help="batch TOML file (e.g. scenarios/batches/demo.toml)")
    p.add_argument("--out", type=Path, default=None,
                   help="results folder (default: results/<batch name>)")
    p.add_argument("--ensemble", type=whole_number("--ensemble", 1), default=None,
                   metavar="N", help="parameter sets: N members of the calibrated ensemble, "
                                     "each with every replicate (default: the batch file's "
                                     "ensemble, else 1, the calibrated point estimate)")
    add_executor_arguments(p)
    p.add_argument("--resume", action="store_true",
                   help="finish the batch in --out: run only missing and failed runs")
    p.add_argument("--chunk-size", type=whole_number("--chunk-size", 1), default=None,
                   metavar="N", help="runs per task (default: about a second of work)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar; print only the final summary line")
    p.set_defaults(handler=handle)


def add_executor_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``--workers``, ``--scheduler`` and ``--dask-local`` (one of them at most)."""
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=whole_number("--workers", 1), default=None,
                       metavar="N", help="local worker processes (default: this process, "
                                         "then one per CPU once the work left is worth "
                                         "starting them; 1 runs in this process)")
    where.add_argument("--scheduler", metavar="ADDRESS", default=None, type=scheduler_address,
                       help="run on the Dask scheduler at ADDRESS, e.g. tcp://host:8786 "
                            "(needs countysim[cluster])")
    where.add_argument("--dask-local", type=whole_number("--dask-local", 1), default=None,
                       metavar="N", help="run on a local Dask cluster of N workers")


def scheduler_address(text: str) -> str:
    """An argparse type: a Dask scheduler address, ``[protocol://]host:port``."""
    import re

    if not re.fullmatch(r"([a-z][a-z0-9+]*://)?[A-Za-z0-9._\-\[\]:]+:\d{1,5}", text):
        raise argparse.ArgumentTypeError(
            f"--scheduler: {text!r} is not a scheduler address; write "
            "[protocol://]host:port, e.g. tcp://node1:8786")
    return text


def executor_of(args: argparse.Namespace) -> tuple[str, int | None]:
    """The executor and worker count that the options of :func:`add_executor_arguments` ask."""
    if args.scheduler:
        return "dask", None
    if args.dask_local:
        return "dask", args.dask_local
    if args.workers == 1:
        return "serial", 1
    if args.workers is None:
        return "auto", None
    return "processes", args.workers


def interrupted(out: Path, finish: str, terminated: bool) -> int:
    """Print what an interrupted batch kept and how to finish it; the exit code."""
    from sim.base.errors import InputError
    from sim.studies.batch import load_batch

    what, code = ("terminated (SIGTERM)", 143) if terminated else ("interrupted", 130)
    try:
        counts = load_batch(out).counts()
    except InputError:  # before the store was written
        print(f"countysim: {what} before any run started", file=sys.stderr)
        return code
    print(f"countysim: {what}; {counts['done']} of {sum(counts.values())} runs done and "
          f"kept in {out}; finish with: {finish}", file=sys.stderr)
    return code


def handle(args: argparse.Namespace) -> int:
    """Plan, run, and print a summary line."""
    from sim.studies.batch import BatchAborted, load_batch_spec, run_batch
    from sim.studies.batch.execute import BatchTerminated
    from sim.studies.batch.spec import batch_spec_from_data, read_toml

    if args.ensemble is None:
        spec = load_batch_spec(args.batch)
    else:  # --ensemble stands in for the file's field, before its ensemble is read
        data = {**read_toml(args.batch, "batch file"), "ensemble": args.ensemble}
        spec = batch_spec_from_data(data, source=str(args.batch), base=args.batch.parent)
    out = args.out or Path("results") / spec.name
    executor, workers = executor_of(args)
    def header(planned: int, to_run: int, executor_label: str) -> None:
        if args.quiet:
            return
        sweep = "".join(f" × {len(v)} {k}" for k, v in spec.sweep.items())
        if spec.ensemble > 1:
            sweep += f" × {spec.ensemble} parameter sets"
        mode = "deterministic" if spec.deterministic else f"root seed {spec.seed}"
        print(f"{spec.name}: {planned} runs ({len(spec.scenarios)} scenario(s){sweep}; "
              f"{mode}); {to_run} to run on {executor_label} → {out}", flush=True)

    t0 = time.perf_counter()
    try:
        batch = run_batch(spec, out, executor=executor, workers=workers,
                          scheduler=args.scheduler, resume=args.resume,
                          progress=not args.quiet and sys.stderr.isatty(),
                          chunk_size=args.chunk_size, on_start=header)
    except KeyboardInterrupt as err:
        return interrupted(out, f"countysim batch {args.batch} --out {out} --resume",
                           isinstance(err, BatchTerminated))
    except BatchAborted as err:
        print(f"countysim: error: {err}", file=sys.stderr)
        return 1
    counts = batch.counts()
    ran, seconds = batch.session["ran"], time.perf_counter() - t0
    rate = f"{ran / seconds:.1f} runs/s" if ran else "nothing to run"
    print(f"{spec.name}: {counts['done']} done, {counts['failed']} failed, "
          f"{counts['missing']} missing; ran {ran} in {seconds:.1f} s ({rate}) → {out}")
    if counts["failed"] and not args.quiet:
        print(f"countysim: {counts['failed']} run(s) failed; see: countysim status {out}",
              file=sys.stderr)
    return 1 if counts["failed"] or counts["missing"] else 0
