"""``countysim status``: what a batch results folder holds: done, failed, missing."""

from __future__ import annotations

import argparse
from pathlib import Path

#: Failed runs listed in full; the rest are counted.
SHOW_FAILURES = 20


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``status`` subcommand."""
    p = sub.add_parser("status", help="show done, failed and missing runs of a batch",
                       description="Print the done, failed and missing counts of a batch "
                                   "results folder and the error of each failed run. Exit "
                                   "code 0 if every run is done, 1 otherwise.")
    p.add_argument("results", type=Path, help="batch results folder (e.g. results/demo)")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Print counts, failures and how to finish the batch."""
    from sim.outputs.store import read_runs
    from sim.studies.batch import load_batch

    batch = load_batch(args.results)
    m = batch.manifest
    runs = batch.runs
    counts = batch.counts(runs)
    print(f"{m['spec']['name']} ({args.results}): {sum(counts.values())} runs: "
          f"{counts['done']} done, {counts['failed']} failed, {counts['missing']} missing")
    if read_runs(batch.path) is None:
        print("runs.parquet is missing or unreadable: done runs are read from their parts "
              "(errors of failed runs are lost; --resume rewrites it)")
    sweep = "".join(f"; {k}: {len(v)} values" for k, v in m["spec"]["sweep"].items())
    if "design" in m["spec"]:
        design = m["spec"]["design"]
        sweep += f"; design of {design['points']} points of {', '.join(design['factors'])}"
    scenarios = ", ".join(f"{s['name']} ×{s['replicates']}" for s in m["scenarios"])
    print(f"scenarios: {scenarios}{sweep}; root seed {m['root_seed']}")
    ensemble = m.get("ensemble") or {}
    if ensemble.get("size", 1) > 1:
        print(f"parameter sets: {ensemble['size']} members of {ensemble['file']} "
              f"({ensemble['members_in_file']} in the file), each with every replicate")
    last = m["sessions"][-1] if m["sessions"] else {}
    print(f"created {m['created']}; last session {last.get('started', '-')} on "
          f"{last.get('executor', '-')}; finished {m['finished'] or 'not yet'}")
    startups = [s["worker_startup_s"] for s in m["sessions"] if "worker_startup_s" in s]
    if startups:
        print(f"worker start-up: {startups[-1]:.1f} s in the last session that started "
              "workers (time to a worker's first result, less its runs)")
    failed = runs[runs["status"] == "failed"]
    if len(failed):
        print("failed runs:")
        for row in failed.head(SHOW_FAILURES).to_dict("records"):
            point = "".join(f" {k}={row[k]:g}" for k in batch.sweep)
            print(f"  {row['run_id']} {row['scenario']} replicate {row['replicate']}{point}: "
                  f"{row['error']}")
        if len(failed) > SHOW_FAILURES:
            print(f"  … and {len(failed) - SHOW_FAILURES} more (sim.load_batch(...).failures())")
    if counts["failed"] or counts["missing"]:
        source = m["batch_file"]["file"] or "BATCH.toml"
        parent = Path(args.results).resolve().parent
        if (parent / "sensitivity.json").is_file():  # the runs of a sensitivity analysis
            print(f"to finish: countysim sensitivity {source} --out "
                  f"{Path(args.results).parent} --resume")
        else:
            print(f"to finish: countysim batch {source} --out {args.results} --resume")
        return 1
    return 0
