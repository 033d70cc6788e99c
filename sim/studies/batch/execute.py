"""Running a batch: serially, on local processes, or on a Dask cluster.

Runs are grouped into chunks; a worker simulates the runs of a chunk one after
another and writes each run's Parquet parts itself, returning only a small
status record per run. The parent keeps a bounded number of chunks in flight,
records statuses in ``runs.parquet`` as chunks come back, and never holds run
tables. Chunks are sized from measured run times (about a second of work
each), so dispatch costs little and an interrupted batch loses little.

Worker processes are long-lived: each loads the region data and builds the
first network once, then reuses them for every run it gets.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from sim.base.errors import InputError
from sim.outputs.files import WriteError
from sim.outputs.provenance import git_commit, versions
from sim.outputs.store import Batch, RunsTable, done_runs, read_runs
from sim.studies.batch.folder import RESUME_HINT, check_folder, open_folder, write_manifest
from sim.studies.batch.folder import differences as _differences  # noqa: F401 (sensitivity)
from sim.studies.batch.pools import Pool, SerialPool, make_pool, remember_startup
from sim.studies.batch.spec import RunSpec, SpecLike, as_batch_spec, plan_batch

#: Seconds of work a chunk aims at once run times are known.
CHUNK_SECONDS = 1.0
#: Seconds between rewrites of runs.parquet while a batch runs.
RUNS_EVERY_S = 2.0


class BatchAborted(RuntimeError):
    """The batch stopped early because a worker died; ``--resume`` finishes it."""


class BatchTerminated(KeyboardInterrupt):
    """SIGTERM reached the batch process; raised like Ctrl-C, after recording what finished."""


@contextlib.contextmanager
def _sigterm_stops_the_batch() -> Iterator[None]:
    """Turn SIGTERM into :class:`BatchTerminated` while a batch runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise BatchTerminated

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# -- the batch loop --------------------------------------------------------------------


def run_batch(spec: SpecLike, out: str | Path | None = None, *, executor: Any = None,
              workers: int | None = None, scheduler: str | None = None, resume: bool = False,
              progress: bool | None = None, chunk_size: int | None = None,
              on_start: Callable[[int, int, str], None] | None = None,
              **fields: Any) -> Batch:
    """Run every planned run of a batch that is not done yet, writing a results store.

    Args:
        spec: a :class:`BatchSpec`, the path of a batch file, batch-file data, or a
            list of scenarios (``sim.run_batch([s1, s2], replicates=10, out=...)``).
        out: results folder (default: ``results/<batch name>``).
        executor: ``"auto"`` (the default: this process, then local processes once
            the work left is worth starting them), ``"serial"`` (this process),
            ``"processes"`` (local processes from the start), ``"dask"`` (a
            LocalCluster, or the scheduler at ``scheduler``), a
            ``concurrent.futures.Executor`` or a ``dask.distributed.Client``.
        workers: number of local processes or LocalCluster workers (default: the
            number of CPUs).
        scheduler: address of a Dask scheduler, e.g. ``tcp://host:8786``.
        resume: finish a batch in ``out``: run only what is not done (missing and
            failed runs). The spec must be the one that started it. With no batch in
            ``out`` yet, the batch starts (and says so on stderr).
        progress: show a progress bar (default: when stderr is a terminal).
        chunk_size: runs per task (default: sized to about a second of work).
        on_start: called as ``on_start(planned, to_run, executor_label)`` once the
            store is open and before any run starts (the command line prints it).
        **fields: :class:`BatchSpec` fields to set, e.g. ``replicates=10``, ``seed=1``,
            ``sweep={...}``, ``flows=True``.

    Returns:
        The :class:`~sim.outputs.store.Batch` in ``out``; its ``session`` attribute has
        this call's ``ran``, ``done``, ``failed`` and ``seconds``.

    Raises:
        InputError: bad spec, a results folder that already holds a batch (without
            ``resume``) or one made by a different spec (with ``resume``), or a folder
            another process is writing (its lock is held).
        WriteError: a file could not be written (disk full, read-only folder): the
            batch stops, every part already written is kept, resume to finish.
        BatchAborted: a worker died; what finished is kept, resume to finish.
        KeyboardInterrupt: after recording what finished (:class:`BatchTerminated`
            for SIGTERM).
    """
    t_start = time.perf_counter()
    spec = as_batch_spec(spec, **fields)
    out = Path(out) if out is not None else Path("results") / spec.name
    if chunk_size is not None and chunk_size < 1:
        raise InputError(f"chunk_size must be a whole number ≥ 1, got {chunk_size}")
    plan = plan_batch(spec)
    tables = spec.output_tables
    session = {"started": _now(), "finished": None, "resumed": resume,
               "git_commit": git_commit(), "countysim": versions().get("countysim")}
    check_folder(out, spec, resume)  # before the executor: bad input writes nothing
    done = done_runs(out, tables) if out.is_dir() else set()
    todo = [r for r in plan if r.run_id not in done]
    # The executor before the store: a missing Dask or an unreachable scheduler
    # must not leave a half-made results folder behind.
    pool = make_pool(executor, workers, scheduler, runs=len(todo)) if todo else SerialPool()
    try:
        manifest, lock = open_folder(out, spec, plan, resume, session)
    except BaseException:
        pool.close(set())
        raise
    try:
        with _sigterm_stops_the_batch():
            return _run(spec, out, plan, pool, manifest, session, t_start,
                        progress=progress, chunk_size=chunk_size, on_start=on_start)
    finally:
        lock.release()


def _run(spec: Any, out: Path, plan: list[RunSpec], pool: Pool, manifest: dict[str, Any],
         session: dict[str, Any], t_start: float, *, progress: bool | None,
         chunk_size: int | None, on_start: Callable[[int, int, str], None] | None) -> Batch:
    """The batch loop of :func:`run_batch`, in a locked folder with its manifest."""
    tables = spec.output_tables
    done = done_runs(out, tables)  # again, under the lock (damaged parts are gone now)
    todo = [r for r in plan if r.run_id not in done]
    try:
        runs = RunsTable(plan, spec.design_columns)
        runs.resume(read_runs(out), done)
        _write_runs(runs, out)
    except BaseException:
        pool.close(set())
        raise

    show = sys.stderr.isatty() if progress is None else progress
    stats = {"ran": 0, "done": 0, "failed": 0}
    if on_start is not None:
        on_start(len(plan), len(todo), pool.label)
    bar = _progress_bar(len(todo), spec.name, show)
    last_write = time.monotonic()

    # Seconds of the latest successful runs, for sizing chunks.
    recent: deque[float] = deque(runs.done_seconds().tolist(), maxlen=50)

    def on_records(batch_records: list[dict]) -> None:
        nonlocal last_write
        first = getattr(pool, "first_submit", None)
        if first is not None and "worker_startup_s" not in session:
            # The first chunk back from a worker: its wait, less its runs, is the start-up.
            waited = time.monotonic() - first - sum(r["seconds"] for r in batch_records)
            session["worker_startup_s"] = round(max(waited, 0.0), 3)
            remember_startup(session["worker_startup_s"])
        runs.update({rec["run_id"]: rec for rec in batch_records})
        for rec in batch_records:
            stats["ran"] += 1
            stats[rec["status"]] += 1
            if rec["status"] == "done":
                recent.append(rec["seconds"])
        if bar is not None:
            bar.update(len(batch_records))
            if stats["failed"]:
                bar.set_postfix(failed=stats["failed"], refresh=False)
        if time.monotonic() - last_write > RUNS_EVERY_S:
            _write_runs(runs, out)
            last_write = time.monotonic()

    pending: set[Any] = set()
    finished = False
    died: BaseException | None = None
    try:
        if isinstance(pool, SerialPool):
            chunk_size = 1  # no dispatch to amortise; an interrupt loses nothing
        chunks = _chunks(todo, pool, chunk_size, recent)
        _drive(pool, chunks, str(out.resolve()), tables, pending, on_records)
        finished = True
    except WriteError as err:
        raise err.in_folder(out, RESUME_HINT) from None
    except (cf.BrokenExecutor, cf.CancelledError) as err:
        died = err  # reported below, once the pool is closed and its last parts written
    except Exception as err:
        if type(err).__name__ == "KilledWorker":
            raise BatchAborted(f"Dask lost workers running one chunk repeatedly ({err}); "
                               "run again with --resume to finish the batch") from None
        raise
    finally:
        _close(pool, pending, on_records)
        if bar is not None:
            bar.close()
        session["label"] = pool.label
        _finish_session(out, spec, plan, runs, manifest, session, stats, finished, t_start)
    if died is not None:
        kept = len(done_runs(out, tables) - done)
        raise BatchAborted(f"a worker process died ({type(died).__name__}); "
                           f"{kept} runs finished this session and are kept; "
                           "run again with --resume to finish the batch")
    batch = Batch(out)
    batch.session = session
    return batch


def _close(pool: Pool, pending: set[Any], on_records: Callable[[list[dict]], None]) -> None:
    """Stop the pool, then record the chunks that finished meanwhile."""
    try:
        pool.close(pending)
    finally:
        _collect_finished(pending, on_records)


def _write_runs(runs: RunsTable, out: Path) -> None:
    try:
        runs.write(out)
    except WriteError as err:
        raise err.in_folder(out, RESUME_HINT) from None


def _finish_session(out: Path, spec: Any, plan: list[RunSpec], runs: RunsTable,
                    manifest: dict[str, Any], session: dict[str, Any], stats: dict[str, int],
                    finished: bool, t_start: float) -> None:
    """Write the runs table and the session's record, as far as the disk lets us.

    A failure here (a full disk) must not hide the error that stopped the batch:
    the parts decide what is done, and the runs table is rebuilt from them.
    """
    session["executor"] = session.pop("label")
    session.update(finished=_now(), **stats, seconds=round(time.perf_counter() - t_start, 3),
                   complete=finished and len(done_runs(out, spec.output_tables)) == len(plan))
    if session["complete"]:
        manifest["finished"] = session["finished"]
    manifest["sessions"].append(session)
    with contextlib.suppress(WriteError):
        runs.write(out)
    with contextlib.suppress(WriteError):
        write_manifest(out, manifest)


def _drive(pool: Pool, chunks: Iterator[list[RunSpec]], out: str, tables: Sequence[str],
           pending: set[Any], on_records: Callable[[list[dict]], None]) -> None:
    """Keep about two chunks per worker in flight until every chunk is back."""
    def fill() -> None:
        window = 1 if isinstance(pool, SerialPool) else 2 * pool.workers
        while len(pending) < window:
            chunk = next(chunks, None)
            if chunk is None:
                return
            pending.add(pool.submit(chunk, out, tables))

    fill()
    while pending:
        done, still = pool.wait(pending)
        pending.clear()
        pending.update(still)
        for future in done:
            on_records(future.result())
        fill()


def _collect_finished(pending: set[Any], on_records: Callable[[list[dict]], None]) -> None:
    """Record chunks that finished while the loop was being left."""
    for future in list(pending):
        try:
            ok = future.done() and not future.cancelled() and future.exception() is None
        except Exception:  # a dask future of a lost cluster
            ok = False
        if ok:
            on_records(future.result())
            pending.discard(future)


def _chunks(todo: list[RunSpec], pool: Pool, chunk_size: int | None,
            recent: deque[float]) -> Iterator[list[RunSpec]]:
    """Yield chunks of runs, sized from the run times measured so far.

    The first chunk of each worker holds one run (nothing is known yet); later
    chunks aim at :data:`CHUNK_SECONDS` of work, but never so large that fewer
    than two chunks per worker remain for balancing the load.
    """
    if chunk_size is not None:
        for i in range(0, len(todo), chunk_size):
            yield todo[i:i + chunk_size]
        return
    i = 0
    first = 0
    while i < len(todo):
        workers = pool.workers
        if first < workers:
            size, first = 1, first + 1
        else:
            per_run = float(np.mean(recent)) if recent else CHUNK_SECONDS
            size = max(1, round(CHUNK_SECONDS / max(per_run, 1e-3)))
            size = max(1, min(size, (len(todo) - i) // (2 * workers)))
        yield todo[i:i + size]
        i += size


def _progress_bar(total: int, name: str, show: bool) -> Any:
    if not show or total == 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=name, unit="run", file=sys.stderr, smoothing=0.05,
                mininterval=0.5, dynamic_ncols=True)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
