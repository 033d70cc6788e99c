"""Fault injection for batches: stop a batch in many ways, resume it, compare the tables.

Used by tests/test_batch_faults.py (a quick and a slow variant) and by
benchmarks/bench_faults.py, which prints the faults survived and the runs lost.

Each fault starts ``countysim batch`` as a process of its own (its own process
group, as a terminal or a job scheduler would), hurts it, and then finishes the
batch with ``countysim batch … --resume`` until every run is done (a disk-full
fault first frees the disk). The
finished folder must hold the tables of an uninterrupted batch, exactly.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import sim
from sim.outputs.store import done_runs

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("county_year", "region_year", "levers_year")
#: The faults, in the order they are tried.
FAULTS = ("sigint_early", "sigint", "sigterm", "sigkill", "sigkill_early", "worker_killed",
          "killed_writing_part", "torn_part", "torn_runs_table", "disk_full")

#: Injected into the batch process by FAULT_HOOK (``python -c``): on the n-th part
#: written, half of it reaches the temporary file, then the process kills itself
#: ("kill") or the write fails as on a full disk ("enospc").
HOOK = """
import errno, os, signal, sys
import sim.outputs.files as files
mode, nth = sys.argv.pop(1), int(sys.argv.pop(1))
real, count = files._write_atomic, [0]
def write(data, path):
    if path.name.startswith("part-"):
        count[0] += 1
        if count[0] == nth:
            if mode == "kill":
                with open(path.parent / f".{path.name}.x.tmp", "wb") as fh:
                    fh.write(bytes(data)[: len(data) // 2])
                os.kill(os.getpid(), signal.SIGKILL)
            full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            raise files.WriteError.from_os_error(full, path)
    real(data, path)
files._write_atomic = write
from sim.apps.cli import main
sys.exit(main())
"""


#: CPython's multiprocessing resource tracker, a helper process that shares the batch's
#: stderr, sometimes prints this at exit after a worker was killed with SIGKILL: it is
#: told twice to forget one of the pool's semaphores. It is not countysim's output and
#: touches no run (seen once in 60 faults, Python 3.13.0; docs/batches.md).
RESOURCE_TRACKER_KEYERROR = re.compile(
    r"Traceback \(most recent call last\):\n"
    r"  File \"[^\"\n]*multiprocessing/resource_tracker\.py\", line \d+, in main\n"
    r"(?:    .*\n)*"
    r"KeyError: '[^'\n]*'\n?")


@dataclass
class Outcome:
    """What one fault did."""

    fault: str
    done_before_resume: int
    runs_lost: int
    identical: bool
    exit_code: int | None
    stderr: str

    @property
    def traceback(self) -> bool:
        """countysim printed a traceback (the resource tracker's KeyError aside)."""
        return "Traceback" in RESOURCE_TRACKER_KEYERROR.sub("", self.stderr)


def write_batch(folder: Path, replicates: int, seed: int = 3) -> Path:
    """A batch file of one small scenario (ccec 2020→2022) with ``replicates`` runs."""
    folder.mkdir(parents=True, exist_ok=True)
    scenario = folder / "small.toml"
    scenario.write_text(f'extends = "{ROOT / "scenarios" / "baseline.toml"}"\nname = "small"\n'
                        "end_year = 2022\n")
    batch = folder / "faults.toml"
    batch.write_text(f'name = "faults"\nscenarios = ["{scenario}"]\nseed = {seed}\n'
                     f"replicates = {replicates}\n")
    return batch


def command(batch: Path, out: Path, *extra: str, hook: tuple[str, int] | None = None
            ) -> list[str]:
    """The ``countysim batch`` command line (with the writing hook, if given)."""
    args = ["batch", str(batch), "--out", str(out), "--quiet", *extra]
    if hook is None:
        return [sys.executable, "-m", "sim", *args]
    return [sys.executable, "-c", HOOK, hook[0], str(hook[1]), *args]


def start(cmd: list[str]) -> subprocess.Popen:
    """Start a batch in a process group of its own, with Ctrl-C's default action (a
    shell's background job, like this one may be, would pass SIGINT on ignored)."""
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, cwd=ROOT,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def wait_for_runs(proc: subprocess.Popen, out: Path, n: int, timeout: float = 120) -> None:
    """Until ``n`` runs are done (or the process ended)."""
    deadline = time.monotonic() + timeout
    while len(done_runs(out, TABLES)) < n and proc.poll() is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{out}: fewer than {n} runs done after {timeout} s")
        time.sleep(0.005)


def children(pid: int) -> list[int]:
    """Process ids of the descendants of ``pid`` (Linux /proc)."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    kids = [int(k) for k in fh.read().split()]
                found += kids
                todo += kids
        except OSError:
            continue
    return found


def finish(batch: Path, out: Path, attempts: int = 3) -> int | None:
    """Resume (``countysim batch … --resume``, in this process) until every run is done;
    the last exit code."""
    from sim.apps.cli import main

    code = None
    for _ in range(attempts):
        with contextlib.redirect_stdout(io.StringIO()):  # its summary line
            code = main(["batch", str(batch), "--out", str(out), "--resume", "--workers",
                         "1", "--quiet"])
        if code == 0:
            break
    return code


def same_tables(left: Path, right: Path) -> bool:
    a, b = sim.load_batch(left), sim.load_batch(right)
    for table in TABLES:
        x, y = a.read(table), b.read(table)
        keys = [c for c in ("run_id", "year", "code", "lever_id") if c in x.columns]
        try:
            pd.testing.assert_frame_equal(x.sort_values(keys).reset_index(drop=True),
                                          y.sort_values(keys).reset_index(drop=True),
                                          check_exact=True)
        except AssertionError:
            return False
    cols = ["run_id", "scenario", "replicate", "seed", "status"]
    return a.runs[cols].equals(b.runs[cols])


def inject(fault: str, batch: Path, out: Path, planned: int, rng: random.Random,
           tmpfs: Path | None = None) -> tuple[int | None, str]:
    """Run the batch into ``out`` and hurt it; the exit code and stderr of that run."""
    workers = ("--workers", "2")
    if fault in ("sigint_early", "sigkill_early"):
        proc = start(command(batch, out, *workers))
        time.sleep(rng.uniform(0.2, 1.5))  # while it imports, plans or starts workers
        os.killpg(proc.pid, signal.SIGINT) if fault == "sigint_early" else proc.kill()
    elif fault in ("sigint", "sigterm", "sigkill"):
        proc = start(command(batch, out, *workers))
        wait_for_runs(proc, out, rng.randint(1, max(1, planned // 2)))
        if fault == "sigint":
            os.killpg(proc.pid, signal.SIGINT)  # the terminal signals the whole group
        else:
            proc.send_signal(signal.SIGTERM if fault == "sigterm" else signal.SIGKILL)
    elif fault == "worker_killed":
        proc = start(command(batch, out, "--workers", "2"))
        wait_for_runs(proc, out, rng.randint(1, max(1, planned // 3)))
        kids = [k for k in children(proc.pid) if _is_worker(k)]
        if kids:
            os.kill(rng.choice(kids), signal.SIGKILL)
    elif fault == "killed_writing_part":
        proc = start(command(batch, out, "--workers", "1",
                             hook=("kill", rng.randint(1, 3 * planned // 2))))
    elif fault == "disk_full":
        if tmpfs is not None:
            proc = start(command(batch, out, "--workers", "1"))
        else:
            proc = start(command(batch, out, "--workers", "1",
                                 hook=("enospc", rng.randint(1, 3 * planned // 2))))
    elif fault in ("torn_part", "torn_runs_table"):
        proc = start(command(batch, out, "--workers", "1"))
    else:
        raise ValueError(fault)
    try:
        _, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    if fault == "torn_part":  # a node lost before its disk wrote a renamed part out
        parts = sorted((out / "county_year").glob("part-*.parquet"))
        victim = rng.choice(parts)
        os.truncate(victim, victim.stat().st_size // 2)
    if fault == "torn_runs_table":
        path = out / "runs.parquet"
        os.truncate(path, path.stat().st_size // 3)
    return proc.returncode, err


def _is_worker(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            text = fh.read()
    except OSError:
        return False
    return b"forkserver" in text or b"spawn_main" in text or b"multiprocessing" in text


def run_faults(folder: Path, faults: tuple[str, ...] = FAULTS, replicates: int = 300,
               seed: int = 1, tmpfs: Path | None = None) -> list[Outcome]:
    """Every fault once on a batch of ``replicates`` runs; the outcomes."""
    rng = random.Random(seed)
    batch = write_batch(folder / "spec", replicates)
    reference = folder / "reference"
    sim.run_batch(batch, reference, executor="serial", progress=False)
    outcomes = []
    for fault in faults:
        base = tmpfs if (fault == "disk_full" and tmpfs is not None) else folder
        out = base / f"out-{fault}"
        shutil.rmtree(out, ignore_errors=True)
        code, err = inject(fault, batch, out, replicates, rng, tmpfs if base is tmpfs else None)
        before = len(done_runs(out, TABLES)) if out.is_dir() else 0
        if base is tmpfs:
            subprocess.run(["mount", "-o", "remount,size=256m", str(tmpfs)], check=True)
        finish(batch, out)
        done = len(done_runs(out, TABLES)) if out.is_dir() else 0
        outcomes.append(Outcome(fault, before, replicates - done,
                                done == replicates and same_tables(reference, out), code, err))
        if base is tmpfs:
            shutil.rmtree(out, ignore_errors=True)
            subprocess.run(["mount", "-o", "remount,size=2m", str(tmpfs)], check=True)
    return outcomes


def mount_tmpfs(path: Path, size: str = "2m") -> bool:
    """Mount a small tmpfs at ``path`` (root only); whether it worked."""
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return False
    path.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True).returncode == 0


def unmount(path: Path) -> None:
    subprocess.run(["umount", str(path)], capture_output=True)


__all__ = ["FAULTS", "Outcome", "errno", "mount_tmpfs", "run_faults", "unmount"]
