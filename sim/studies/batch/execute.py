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
import hashlib
import logging
import multiprocessing
import os
import signal
import sys
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from sim.base.errors import InputError
from sim.model.schema import ID_COLUMNS
from sim.outputs.files import write_json_atomic, write_parquet_atomic
from sim.outputs.provenance import git_commit, versions
from sim.outputs.results import MANIFEST
from sim.outputs.store import (
    ROW_KEYS,
    Batch,
    RunsTable,
    done_runs,
    part_path,
    read_manifest,
    read_runs,
    remove_parts,
    remove_temporaries,
)
from sim.studies.batch.spec import BatchSpec, RunSpec, SpecLike, as_batch_spec, plan_batch
from sim.studies.run import simulate

#: Executors by name (an Executor instance or a dask Client also works).
EXECUTORS = ("serial", "processes", "dask")
#: Thread pools of numerical libraries, limited to one thread in local workers: a
#: worker is one process per core, and 2 workers with 2 BLAS threads each on 2
#: cores ran 2–3× slower per run. (Dask's nannies set the same for their workers.)
ONE_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
#: Seconds of work a chunk aims at once run times are known.
CHUNK_SECONDS = 1.0
#: Seconds between rewrites of runs.parquet while a batch runs.
RUNS_EVERY_S = 2.0
#: Seconds a Dask cluster's count of worker threads is reused before asking again.
WORKERS_EVERY_S = 1.0


class BatchAborted(RuntimeError):
    """The batch stopped early because a worker died; ``--resume`` finishes it."""


# -- workers ---------------------------------------------------------------------------


def run_chunk(runs: Sequence[RunSpec], out: str, tables: Sequence[str]) -> list[dict]:
    """Run a chunk of runs, writing their parts; return one status record per run.

    This is the function workers execute; it must stay importable and picklable.
    """
    return [execute_run(r, Path(out), tables) for r in runs]


def execute_run(spec: RunSpec, out: Path, tables: Sequence[str]) -> dict[str, Any]:
    """Run one planned run and write its parts; record a failure instead of raising.

    Args:
        spec: the planned run.
        out: the batch results folder.
        tables: the tables to write (each as ``<table>/part-<run_id>.parquet``).

    Returns:
        ``run_id``, ``status`` (``done`` or ``failed``), ``error`` (one line, or
        None), ``seconds`` and ``started`` (ISO time, UTC).
    """
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    try:
        model = simulate(spec.scenario, seed=spec.seed, deterministic=spec.deterministic,
                         replicate=spec.replicate, parameters=spec.parameters or None,
                         record_flows=spec.record_flows)
        if model.run_id != spec.run_id:
            raise RuntimeError(f"run id {model.run_id} differs from the planned {spec.run_id}")
        for table in tables:
            # Parts are written from the tables' columns: building DataFrames only
            # to encode them again cost as much as the encoding.
            columns = (dict(model.flows().items()) if table == "flows"
                       else model.table_columns(table))
            if table in spec.keep:
                wanted = {*ID_COLUMNS, *ROW_KEYS[table], *spec.keep[table]}
                columns = {c: v for c, v in columns.items() if c in wanted}
            rows = len(next(iter(columns.values())))
            for name, value in spec.design_values.items():
                columns[name] = np.full(rows, float(value))
            write_parquet_atomic(columns, part_path(out, table, spec.run_id))
        status, error = "done", None
    except Exception as err:  # a failed run is recorded and the batch goes on
        remove_parts(out, tables, spec.run_id)
        status, error = "failed", describe_error(err)
    return {"run_id": spec.run_id, "status": status, "error": error,
            "seconds": time.perf_counter() - t0,
            "started": started.isoformat(timespec="milliseconds")}


def describe_error(err: BaseException) -> str:
    """One line: the exception type, its message and where it was raised."""
    message = " ".join(str(err).split()) or "(no message)"
    frames = traceback.extract_tb(err.__traceback__)
    where = ""
    if frames:
        path = Path(frames[-1].filename)
        parts = path.parts
        last = len(parts) - 1 - parts[::-1].index("sim") if "sim" in parts else None
        shown = str(Path(*parts[last:])) if last is not None else path.name
        where = f" (at {shown}:{frames[-1].lineno})"
    return f"{type(err).__name__}: {message}{where}"


def _ignore_sigint() -> None:
    # Ctrl-C reaches the whole process group; only the parent should act on it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# -- pools -----------------------------------------------------------------------------


class _Pool:
    """What the batch loop needs of an executor."""

    workers: int = 1
    label: str = "serial"

    def submit(self, chunk: list[RunSpec], out: str, tables: Sequence[str]) -> Any:
        raise NotImplementedError

    def wait(self, futures: set[Any]) -> tuple[set[Any], set[Any]]:
        raise NotImplementedError

    def close(self, pending: set[Any]) -> None:
        """Cancel what has not started and release what this pool created."""


class _SerialPool(_Pool):
    """Runs each chunk in this process, at submission."""

    def submit(self, chunk: list[RunSpec], out: str, tables: Sequence[str]) -> cf.Future:
        future: cf.Future = cf.Future()
        future.set_result(run_chunk(chunk, out, tables))
        return future

    def wait(self, futures: set[Any]) -> tuple[set[Any], set[Any]]:
        return set(futures), set()


class _FuturesPool(_Pool):
    """A ``concurrent.futures`` executor: our own spawn process pool, or the caller's."""

    def __init__(self, executor: cf.Executor | None, workers: int | None) -> None:
        self.owned = executor is None
        self.env_set: list[str] = []
        if executor is None:
            self.workers = workers or os.cpu_count() or 1
            # Spawned workers copy this environment when they start (on first use).
            self.env_set = [k for k in ONE_THREAD_ENV if k not in os.environ]
            os.environ.update(dict.fromkeys(self.env_set, "1"))
            executor = cf.ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_ignore_sigint)
            self.label = f"{self.workers} local processes"
        else:
            self.workers = workers or getattr(executor, "_max_workers", None) or 1
            self.label = type(executor).__name__
        self.executor = executor

    def submit(self, chunk: list[RunSpec], out: str, tables: Sequence[str]) -> cf.Future:
        return self.executor.submit(run_chunk, chunk, out, tables)

    def wait(self, futures: set[Any]) -> tuple[set[Any], set[Any]]:
        done, pending = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
        return set(done), set(pending)

    def close(self, pending: set[Any]) -> None:
        for f in pending:
            f.cancel()
        if self.owned:  # waits for the chunks already running (workers ignore Ctrl-C)
            self.executor.shutdown(wait=True, cancel_futures=True)
        for key in self.env_set:
            os.environ.pop(key, None)


class _DaskPool(_Pool):
    """A Dask distributed client: given, at a scheduler address, or on a LocalCluster."""

    def __init__(self, client: Any = None, scheduler: str | None = None,
                 workers: int | None = None) -> None:
        try:
            import distributed
        except ImportError:
            raise InputError("the Dask executor needs Dask distributed; install it with "
                             "pip install 'countysim[cluster]'") from None
        self.distributed = distributed
        self.cluster = None
        self.owned = client is None
        if client is None and scheduler:
            try:
                client = distributed.Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as err:
                raise InputError(f"cannot reach the Dask scheduler at {scheduler} ({err})",
                                 source="--scheduler") from None
            self.label = f"Dask at {scheduler}"
        elif client is None:
            n = workers or os.cpu_count() or 1
            self.cluster = distributed.LocalCluster(
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                silence_logs=logging.ERROR)
            client = distributed.Client(self.cluster)
            self.label = f"Dask LocalCluster of {n}"
        else:
            self.label = "Dask client"
        self.client = client
        self._workers: tuple[float, int] | None = None

    @property
    def workers(self) -> int:
        """Worker threads in the cluster (workers may join and leave while it runs).

        Asking costs a round trip to the scheduler, so the count is reused for
        :data:`WORKERS_EVERY_S`.
        """
        now = time.monotonic()
        if self._workers is None or now - self._workers[0] > WORKERS_EVERY_S:
            self._workers = (now, max(1, sum(self.client.nthreads().values())))
        return self._workers[1]

    def submit(self, chunk: list[RunSpec], out: str, tables: Sequence[str]) -> Any:
        # Runs are not pure functions of their arguments in Dask's sense (they write
        # files), and equal chunks must never be merged: a distinct key each time.
        return self.client.submit(run_chunk, chunk, out, tables, pure=False,
                                  key=f"countysim-chunk-{uuid.uuid4().hex}")

    def wait(self, futures: set[Any]) -> tuple[set[Any], set[Any]]:
        result = self.distributed.wait(list(futures), return_when="FIRST_COMPLETED")
        return set(result.done), set(result.not_done)

    def close(self, pending: set[Any]) -> None:
        if pending:
            self.client.cancel(list(pending))
        if self.owned:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()


def _make_pool(executor: Any, workers: int | None, scheduler: str | None) -> _Pool:
    if scheduler is not None and executor not in ("dask", None):
        raise InputError(f"a scheduler address needs the dask executor, not {executor!r}")
    if executor is None:
        executor = "dask" if scheduler else "processes"
    if executor == "serial":
        return _SerialPool()
    if executor == "processes":
        return _FuturesPool(None, workers)
    if executor == "dask":
        return _DaskPool(scheduler=scheduler, workers=workers)
    if isinstance(executor, cf.Executor):
        return _FuturesPool(executor, workers)
    if type(executor).__module__.startswith("distributed"):
        return _DaskPool(client=executor)
    raise InputError(f"unknown executor {executor!r}; allowed: {', '.join(EXECUTORS)}, a "
                     "concurrent.futures.Executor or a dask.distributed.Client")


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
        executor: ``"serial"`` (this process), ``"processes"`` (local spawn processes,
            the default), ``"dask"`` (a LocalCluster, or the scheduler at
            ``scheduler``), a ``concurrent.futures.Executor`` or a
            ``dask.distributed.Client``.
        workers: number of local processes or LocalCluster workers (default: the
            number of CPUs).
        scheduler: address of a Dask scheduler, e.g. ``tcp://host:8786``.
        resume: finish a batch in ``out``: run only what is not done (missing and
            failed runs). The spec must be the one that started it.
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
            ``resume``) or one made by a different spec (with ``resume``).
        BatchAborted: a worker died; what finished is kept, resume to finish.
        KeyboardInterrupt: after recording what finished.
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
    manifest = _check_store(out, spec, resume, session)
    done = done_runs(out, tables) if manifest is not None else set()
    todo = [r for r in plan if r.run_id not in done]
    # The executor before the store: a missing Dask or an unreachable scheduler
    # must not leave a half-made results folder behind.
    pool = _make_pool(executor, workers, scheduler) if todo else _SerialPool()
    session["executor"] = pool.label
    try:
        if manifest is None:
            manifest = _create_store(out, spec, plan, session)
        runs = RunsTable(plan, spec.design_columns)
        if resume:
            runs.resume(read_runs(out), done)
        runs.write(out)
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
            runs.write(out)
            last_write = time.monotonic()

    pending: set[Any] = set()
    finished = False
    try:
        if isinstance(pool, _SerialPool):
            chunk_size = 1  # no dispatch to amortise; an interrupt loses nothing
        chunks = _chunks(todo, pool, chunk_size, recent)
        _drive(pool, chunks, str(out.resolve()), tables, pending, on_records)
        finished = True
    except (cf.BrokenExecutor, cf.CancelledError) as err:
        raise BatchAborted(f"a worker process died ({type(err).__name__}); "
                           f"{stats['ran']} runs finished this session and are kept; "
                           "run again with --resume to finish the batch") from None
    except Exception as err:
        if type(err).__name__ == "KilledWorker":
            raise BatchAborted(f"Dask lost workers running one chunk repeatedly ({err}); "
                               "run again with --resume to finish the batch") from None
        raise
    finally:
        pool.close(pending)
        _collect_finished(pending, on_records)
        if bar is not None:
            bar.close()
        runs.write(out)
        session.update(finished=_now(), **stats,
                       seconds=round(time.perf_counter() - t_start, 3),
                       complete=finished and len(done_runs(out, tables)) == len(plan))
        if session["complete"]:
            manifest["finished"] = session["finished"]
        manifest["sessions"].append(session)
        _write_manifest(out, manifest)
    batch = Batch(out)
    batch.session = session
    return batch


def _drive(pool: _Pool, chunks: Iterator[list[RunSpec]], out: str, tables: Sequence[str],
           pending: set[Any], on_records: Callable[[list[dict]], None]) -> None:
    """Keep about two chunks per worker in flight until every chunk is back."""
    def fill() -> None:
        window = 1 if isinstance(pool, _SerialPool) else 2 * pool.workers
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


def _chunks(todo: list[RunSpec], pool: _Pool, chunk_size: int | None,
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


# -- the store's manifest --------------------------------------------------------------


def _check_store(out: Path, spec: BatchSpec, resume: bool,
                 session: dict[str, Any]) -> dict[str, Any] | None:
    """Check ``out`` before anything runs; the manifest of a batch to resume, else None."""
    if out.exists() and not out.is_dir():
        raise InputError("results folder is a file", source=str(out))
    tables = spec.output_tables
    if resume:
        manifest = read_manifest(out) if out.exists() else None
        if manifest is None:
            raise InputError("nothing to resume: results folder not found; run without "
                             "--resume to start the batch", source=str(out))
        if manifest.get("fingerprint") != spec.fingerprint():
            changed = _differences(manifest.get("identity", {}), spec.identity())
            raise InputError(f"cannot resume: the batch spec changed since this folder was "
                             f"started ({changed}); resuming would mix two batches, so run "
                             "the changed spec into a new --out folder", source=str(out))
        if manifest.get("git_commit") != session["git_commit"]:
            print(f"countysim: warning: resuming with countysim at commit "
                  f"{session['git_commit']}; the batch began at {manifest.get('git_commit')}",
                  file=sys.stderr)
        remove_temporaries(out, tables)
        return manifest
    if out.is_dir() and any(out.iterdir()):
        hint = ("add --resume to finish it" if (out / MANIFEST).is_file()
                else "choose an empty or new folder")
        raise InputError(f"results folder is not empty; {hint}, or choose another --out",
                         source=str(out))
    return None


def _create_store(out: Path, spec: BatchSpec, plan: list[RunSpec],
                  session: dict[str, Any]) -> dict[str, Any]:
    """Make the folders and write the manifest of a new batch; return the manifest."""
    tables = spec.output_tables
    out.mkdir(parents=True, exist_ok=True)
    for t in tables:
        (out / t).mkdir(exist_ok=True)
    manifest = {
        "kind": "countysim batch",
        "format": 1,
        "spec": spec.to_data(),
        "batch_file": _file_entry(spec.source),
        "scenarios": [{"name": s.name, **_file_entry(s.source), "digest": s.digest(),
                       "replicates": spec.replicates_of(s), "definition": s.canonical()}
                      for s in spec.scenarios],
        "root_seed": spec.seed,
        "common_random_numbers": spec.common_random_numbers,
        "tables": list(tables),
        "runs_planned": len(plan),
        "identity": spec.identity(),
        "fingerprint": spec.fingerprint(),
        "versions": versions(),
        "git_commit": session["git_commit"],
        "created": session["started"],
        "finished": None,
        "sessions": [],
    }
    _write_manifest(out, manifest)
    return manifest


def _write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    write_json_atomic(manifest, out / MANIFEST)


def _file_entry(path: str | None) -> dict[str, Any]:
    """A file's path and sha256 (None for specs and scenarios built in Python)."""
    if path is None or not Path(path).is_file():
        return {"file": path, "sha256": None}
    return {"file": str(path), "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest()}


def _differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """Name what differs between two spec identities, e.g. 'replicates, sweep'."""
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key == "scenarios" and isinstance(a, dict) and isinstance(b, dict):
            names = sorted(n for n in set(a) | set(b) if a.get(n) != b.get(n))
            out.append("scenarios: " + ", ".join(
                f"'{n}' " + ("added" if n not in a else "removed" if n not in b
                             else "edited") for n in names))
        else:
            out.append(f"{key}: {_short(a)} → {_short(b)}")
    return "; ".join(out) or "unknown difference"


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
