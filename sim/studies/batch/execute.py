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
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from sim.base.errors import InputError
from sim.outputs.files import write_json_atomic
from sim.outputs.provenance import git_commit, versions
from sim.outputs.results import MANIFEST
from sim.outputs.store import (
    Batch,
    RunsTable,
    done_runs,
    read_manifest,
    read_runs,
    remove_temporaries,
)
from sim.studies.batch.pools import Pool, SerialPool, make_pool
from sim.studies.batch.spec import BatchSpec, RunSpec, SpecLike, as_batch_spec, plan_batch

#: Seconds of work a chunk aims at once run times are known.
CHUNK_SECONDS = 1.0
#: Seconds between rewrites of runs.parquet while a batch runs.
RUNS_EVERY_S = 2.0


class BatchAborted(RuntimeError):
    """The batch stopped early because a worker died; ``--resume`` finishes it."""








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
    pool = make_pool(executor, workers, scheduler) if todo else SerialPool()
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
        if isinstance(pool, SerialPool):
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
