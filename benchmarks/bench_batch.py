"""Throughput of batches: batch-layer overhead, local scaling, Dask, and memory.

    python benchmarks/bench_batch.py [--runs N] [--rounds R]
    python benchmarks/bench_batch.py --memory [--memory-runs 10000]

The default mode prints runs/s for the ``ccec`` 2020→2025 baseline (stochastic,
seeds from a batch plan):

* a bare loop of ``sim.run`` in this process (no files) and the same runs as a
  serial batch (``executor="serial"``: tables written as Parquet parts, runs
  table, manifest) — the difference is the batch layer's per-run overhead;
* batches on 1 and 2 local spawn processes and on a 2-worker Dask LocalCluster,
  by wall time from the call to its return (process start-up, imports and the
  first network build included) and at steady state (after each worker's
  warm-up).

The bare loop and the serial batch alternate for ``--rounds`` rounds and the
best round of each is compared (the minimum is the standard estimate for
CPU-bound code on a machine that also runs other work, as in bench_run.py).
Each executor configuration runs ``--repeat`` times and its best run counts.
CPU time per run (this process and the workers) is printed beside wall time:
other programs on the machine slow wall time, not CPU time.

``--memory`` runs one large batch (default 10,000 runs) on 2 local processes and
reports the peak resident memory of the parent, of the largest worker and
their sum, plus the parent's memory at 10%, 50% and 100% of the runs.

Goals (issue 4): ≥ 80% of linear scaling from 1 to 2 workers; batch-layer
overhead ≤ 20% of a bare loop; a 10,000-run batch with peak memory under 1 GB.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

import sim
import sim.studies.run
from sim.outputs.files import write_parquet_atomic

BASELINE = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml"


def spec(replicates: int, seed: int = 1) -> sim.BatchSpec:
    """The ccec 2020→2025 baseline with ``replicates`` stochastic replicates."""
    return sim.BatchSpec(scenarios=(sim.load_scenario(BASELINE),), name="bench",
                         replicates=replicates, seed=seed)


def cpu_seconds(who: int | None = None) -> float:
    """CPU time (user + system) of this process and of its finished child processes.

    Args:
        who: ``resource.RUSAGE_SELF`` or ``RUSAGE_CHILDREN`` for one of the two.
    """
    if who is not None:
        use = resource.getrusage(who)
        return use.ru_utime + use.ru_stime
    return cpu_seconds(resource.RUSAGE_SELF) + cpu_seconds(resource.RUSAGE_CHILDREN)


def bare_loop(batch: sim.BatchSpec) -> tuple[float, float]:
    """Wall and CPU seconds per run of plain ``sim.run`` calls for the batch's runs."""
    plan = sim.plan_batch(batch)
    t0, c0 = time.perf_counter(), cpu_seconds()
    for r in plan:
        sim.run(r.scenario, seed=r.seed, replicate=r.replicate)
    return (time.perf_counter() - t0) / len(plan), (cpu_seconds() - c0) / len(plan)


def batch_run(batch: sim.BatchSpec, root: Path, **kw) -> tuple[float, float, float, float]:
    """Per run: wall seconds (call to return), steady-state runs/s, CPU seconds, and
    CPU seconds of this (the coordinating) process alone.

    CPU counts this process and the workers (processes that have ended are counted
    by the operating system once they exit, which they do when the batch returns;
    their start-up, imports and first network build are included).
    """
    out = root / f"b{time.perf_counter_ns()}"
    t0, c0, p0 = time.perf_counter(), cpu_seconds(), cpu_seconds(resource.RUSAGE_SELF)
    result = sim.run_batch(batch, out, progress=False, **kw)
    wall = time.perf_counter() - t0
    parent = cpu_seconds(resource.RUSAGE_SELF) - p0
    time.sleep(0.5)  # let Dask's worker processes exit and be counted
    n = result.session["ran"]
    STARTUP[result.session["executor"]] = result.session.get("worker_startup_s")
    return wall / n, steady_rate(result.runs), (cpu_seconds() - c0) / n, parent / n


#: Worker start-up of the latest batch of each executor (seconds; None: no workers).
STARTUP: dict[str, float | None] = {}


def parts_writer(root: Path):
    """A function returning the CPU seconds to encode and write one run's three
    Parquet parts, averaged over ``repeat`` writes."""
    model = sim.studies.run.simulate(BASELINE, seed=1)
    columns = {t: model.table_columns(t) for t in ("county_year", "region_year", "levers_year")}
    folder = root / "parts"
    folder.mkdir()

    def seconds(repeat: int = 30) -> float:
        c0 = cpu_seconds(resource.RUSAGE_SELF)
        for _ in range(repeat):
            for table, cols in columns.items():
                write_parquet_atomic(cols, folder / f"{table}.parquet")
        return (cpu_seconds(resource.RUSAGE_SELF) - c0) / repeat
    return seconds


def steady_rate(runs: pd.DataFrame) -> float:
    """Runs/s after warm-up: runs finished after the first 10% of finishes, per second."""
    ends = sorted((runs["started"] + pd.to_timedelta(runs["seconds"], unit="s"))
                  .map(pd.Timestamp.timestamp))
    k = max(1, len(ends) // 10)
    return (len(ends) - 1 - k) / (ends[-1] - ends[k])


def rss_mb() -> float:
    """Current resident memory of this process (MB)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def throughput(args: argparse.Namespace, root: Path) -> None:
    n = args.runs
    print(f"countysim {sim.__version__}; ccec 2020→2025 baseline, stochastic; {os.cpu_count()} "
          f"CPUs; {time.strftime('%Y-%m-%d %H:%M')}; load average before: "
          f"{os.getloadavg()[0]:.2f}\n")
    sim.run(BASELINE, seed=0)  # warm-up: data, network, caches of this process
    bare, serial, parts = [], [], []
    per_round = 60
    write_parts = parts_writer(root)
    for i in range(args.rounds):
        b = spec(per_round, seed=100 + i)
        bare.append(bare_loop(b))
        serial.append(batch_run(b, root, executor="serial")[0:3:2])
        parts.append(write_parts())
    (w_bare, c_bare), (w_serial, c_serial) = (
        tuple(min(x) for x in zip(*runs, strict=True)) for runs in (bare, serial))
    parts = min(parts)
    print(f"bare sim.run loop (this process)        : {1 / w_bare:6.1f} runs/s, "
          f"{1000 * w_bare:5.1f} ms wall, {1000 * c_bare:5.1f} ms CPU per run "
          f"(best of {args.rounds} rounds of {per_round})")
    print(f"serial batch (this process, with files) : {1 / w_serial:6.1f} runs/s, "
          f"{1000 * w_serial:5.1f} ms wall, {1000 * c_serial:5.1f} ms CPU per run")
    print(f"batch-layer overhead                    : {100 * (w_serial / w_bare - 1):+6.1f}% "
          f"wall, {100 * (c_serial / c_bare - 1):+6.1f}% CPU   (goal ≤ 20%)")
    print(f"  of which encoding and writing a run's three Parquet parts: {1000 * parts:4.1f} ms "
          f"CPU; the rest (runs table, manifest, dispatch, less the DataFrames that sim.run "
          f"builds and a batch does not): {1000 * (c_serial - c_bare - parts):+5.1f} ms\n")

    rates = {}
    configs = [("1 local process", {"executor": "processes", "workers": 1}),
               ("2 local processes", {"executor": "processes", "workers": 2}),
               ("auto (the default)", {})]
    try:
        import distributed  # noqa: F401

        configs.append(("Dask LocalCluster, 2 workers", {"executor": "dask", "workers": 2}))
    except ImportError:
        print("(Dask not installed: pip install 'countysim[cluster]' to benchmark it)")
    for label, kw in configs:
        tries = [batch_run(spec(n, seed=7), root, **kw) for _ in range(args.repeat)]
        per_run = min(t[0] for t in tries)
        steady = max(t[1] for t in tries)
        cpu = min(t[2] for t in tries)
        parent = min(t[3] for t in tries)
        rates[label] = (1 / per_run, steady, cpu)
        print(f"{label:<29}: {1 / per_run:6.1f} runs/s wall (start-up included), "
              f"{steady:6.1f} runs/s steady; CPU per run {1000 * cpu:5.1f} ms, of which "
              f"{1000 * parent:4.1f} ms in the coordinating process   [{n} runs]")
    print("worker start-up (time to a worker's first result, less its runs): " + "; ".join(
        f"{label} {'-' if s is None else f'{s:.2f} s'}" for label, s in STARTUP.items()))
    one = rates["1 local process"]
    for label in ("2 local processes", "Dask LocalCluster, 2 workers"):
        if label in rates:
            two = rates[label]
            print(f"scaling 1 process → {label:<28}: {100 * two[0] / (2 * one[0]):5.1f}% "
                  f"of linear (wall), {100 * two[1] / (2 * one[1]):5.1f}% (steady); "
                  f"CPU per run {100 * (two[2] / one[2] - 1):+5.1f}%   (goal ≥ 80%)")
    print(f"\nload average after: {os.getloadavg()[0]:.2f} (other programs on the machine slow "
          "the wall-clock figures; CPU per run is what the batch itself costs)")


def memory(args: argparse.Namespace, root: Path) -> None:
    n = args.memory_runs
    batch = spec(n, seed=3)
    samples: dict[int, float] = {}
    out = root / "memory"
    stop = threading.Event()

    def sample() -> None:
        marks = [n // 10, n // 2]
        while not stop.wait(1.0):
            region = out / "region_year"
            done = len(os.listdir(region)) if region.is_dir() else 0
            while marks and done >= marks[0]:
                samples[marks.pop(0)] = rss_mb()

    print(f"{n}-run batch (ccec 2020→2025 baseline, stochastic) on 2 local processes; "
          f"parent RSS before: {rss_mb():.0f} MB")
    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    t0 = time.perf_counter()
    result = sim.run_batch(batch, out, executor="processes", workers=2, progress=True)
    wall = time.perf_counter() - t0
    stop.set()
    samples[n] = rss_mb()
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    size = sum(f.stat().st_size for f in out.rglob("*.parquet")) / 2**30
    print(f"completed: {result.counts()} in {wall:.0f} s ({n / wall:.1f} runs/s); "
          f"store {size:.2f} GiB")
    print("parent RSS at " + ", ".join(f"{k} runs: {v:.0f} MB" for k, v in sorted(
        samples.items())))
    print(f"peak RSS: parent {parent:.0f} MB, largest worker {worker:.0f} MB, "
          f"parent + 2 workers ≤ {parent + 2 * worker:.0f} MB   (goal < 1024 MB)")
    t0 = time.perf_counter()
    summary = result.summary("region_year", columns=["theil", "population"])
    print(f"summary() of region_year over {n} runs: {time.perf_counter() - t0:.1f} s, "
          f"{len(summary)} rows; parent peak RSS now "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300,
                        help="runs per executor configuration (default 300)")
    parser.add_argument("--rounds", type=int, default=10,
                        help="alternating rounds of bare loop and serial batch, each of "
                             "60 runs (default 10: the machine's speed varies by ±20%% "
                             "from minute to minute)")
    parser.add_argument("--repeat", type=int, default=2,
                        help="runs of each executor configuration (the best counts)")
    parser.add_argument("--memory", action="store_true",
                        help="run the large memory benchmark instead")
    parser.add_argument("--memory-runs", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, default=None,
                        help="write results here instead of a temporary folder")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench_batch_"))
    try:
        memory(args, root) if args.memory else throughput(args, root)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
