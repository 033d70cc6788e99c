"""Time a full Sobol sensitivity analysis: 8 factors, N = 512, 9,216 runs.

    python benchmarks/bench_sensitivity.py [--samples 512] [--workers 2] [--out DIR]

Runs ``scenarios/sensitivity/bench_sobol8.toml`` (deterministic ``ccec``
2020→2025 with the public-services lever; Sobol with second-order indices, so
N = 512 gives 512 × (2·8 + 2) = 9,216 runs) exactly as ``countysim
sensitivity`` does — plan, batch on local processes, outcomes read from the
store, indices with bootstrap intervals and convergence, tables and figures —
and prints the time of each stage, the total, runs/s and CPU seconds per run.
``--samples`` sets a smaller N (a power of 2) for a quick check.

Goal (issue 7): the whole analysis in under 5 minutes on 2 cores. The load
average before and after is printed: on a shared machine other programs slow
the wall time (CPU time per run is the steadier measure).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import sim
from sim.studies.sensitivity import analyse_sensitivity, load_sensitivity_spec, plan_sensitivity
from sim.studies.sensitivity.outcomes import read_run_values
from sim.studies.sensitivity.run import BATCH_FOLDER

SPEC = Path(__file__).resolve().parent.parent / "scenarios" / "sensitivity" / "bench_sobol8.toml"
GOAL_S = 300.0


def cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its finished children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=512, help="base sample N")
    parser.add_argument("--workers", type=int, default=2, help="local worker processes")
    parser.add_argument("--out", type=Path, default=None,
                        help="results folder (default: a temporary folder, removed)")
    args = parser.parse_args()

    spec = load_sensitivity_spec(SPEC)
    spec = dataclasses.replace(spec, design=dataclasses.replace(spec.design,
                                                                samples=args.samples))
    out = args.out or Path(tempfile.mkdtemp(prefix="bench_sens_")) / "bench_sobol8"
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"{os.cpu_count()} CPUs")
    t0 = time.perf_counter()
    c0 = cpu()
    plan = plan_sensitivity(spec)
    t_plan = time.perf_counter() - t0
    print(f"{plan.describe()}")

    t1 = time.perf_counter()
    batch = sim.run_batch(plan.batch, out / BATCH_FOLDER, executor="processes",
                          workers=args.workers, progress=False)
    t_runs = time.perf_counter() - t1
    c1 = cpu()
    runs = batch.session["ran"]

    t2 = time.perf_counter()
    values = read_run_values(batch, spec.outcomes)
    t_read = time.perf_counter() - t2
    t3 = time.perf_counter()
    result = analyse_sensitivity(plan, out, batch=batch)
    t_analysis = time.perf_counter() - t3
    total = t_plan + t_runs + t_analysis
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"plan        {t_plan:7.1f} s")
    print(f"runs        {t_runs:7.1f} s  {runs} runs, {runs / t_runs:.1f} runs/s on "
          f"{args.workers} processes; worker CPU {1000 * (c1[1] - c0[1]) / max(runs, 1):.1f} "
          f"ms/run, coordinator CPU {1000 * (c1[0] - c0[0]) / max(runs, 1):.2f} ms/run")
    print(f"analysis    {t_analysis:7.1f} s  (reading {len(values)} runs' outcomes from the "
          f"store alone: {t_read:.1f} s; indices, convergence, tables, figures)")
    print(f"total       {total:7.1f} s  {runs / total:.1f} runs/s overall; goal < "
          f"{GOAL_S:.0f} s: {'met' if total < GOAL_S else 'NOT met'}")
    table = result.indices.table if result.indices is not None else None
    if table is not None:
        for outcome, rows in table.groupby("outcome", sort=False):
            top = ", ".join(f"{r.factor} ST {r.ST:.3f}±{r.ST_conf:.3f}"
                            for r in rows.head(3).itertuples())
            print(f"  {outcome}: {top}")
    if args.out is None:
        shutil.rmtree(out.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
