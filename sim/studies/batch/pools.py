"""Executors a batch runs on, behind one small interface (:class:`Pool`).

Serial (in this process), local worker processes, a caller's
``concurrent.futures`` executor, or a Dask cluster; the executor never changes
what runs, only where. The default (:class:`AutoPool`) runs in this process and
starts local workers only once the work left would take clearly longer than
starting them, so a small batch is never slower than a serial one.

Local workers are forked from a forkserver that has imported countysim once
(``spawn`` where there is no forkserver), so a worker does not pay the imports
again. They ignore Ctrl-C (the batch process decides, and stops them after their
chunk) and die with the batch process, however it ends: the
kernel kills them when their parent dies (``PR_SET_PDEATHSIG`` on Linux) and a
watchdog thread checks the parent every :data:`WATCHDOG_S` seconds elsewhere.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from sim.base.errors import InputError
from sim.studies.batch.spec import RunSpec
from sim.studies.batch.worker import run_chunk

#: Executors by name (an Executor instance or a dask Client also works).
EXECUTORS = ("auto", "serial", "processes", "dask")


#: Thread pools of numerical libraries, limited to one thread in local workers: a
#: worker is one process per core, and 2 workers with 2 BLAS threads each on 2
#: cores ran 2–3× slower per run. (Dask's nannies set the same for their workers.)
ONE_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


#: Seconds a Dask cluster's count of worker threads is reused before asking again.
WORKERS_EVERY_S = 1.0


#: Seconds between a worker's checks that its parent is alive.
WATCHDOG_S = 0.5
#: Seconds a local worker takes to start (process, imports, region data, first
#: network), as :class:`AutoPool` assumes before deciding; measured in each session.
WORKER_STARTUP_S = 2.0
#: Worker start-up measured last in this process (a running forkserver makes it short).
_measured_startup: list[float] = []


def remember_startup(seconds: float) -> None:
    """Record a measured worker start-up, for the next :class:`AutoPool` of this process."""
    _measured_startup[:] = [seconds]


#: :class:`AutoPool` starts workers only if that is estimated to save this share.
AUTO_MARGIN = 0.2
#: Modules a forkserver imports once for all the workers it forks.
PRELOAD = ["sim.studies.batch.pools"]


def _start_worker(batch_pid: int) -> None:
    """Initializer of local workers: ignore Ctrl-C, die with the parent.

    SIGTERM keeps its default (the executor ends the workers of a broken pool with
    it); the batch process, which has SIGTERM too, records what finished.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked while starting
    die_with(batch_pid)


def die_with(batch_pid: int) -> None:
    """End this process as soon as the batch process ``batch_pid`` ends (even by SIGKILL).

    A worker's parent is the batch process (spawn) or the forkserver, which lives
    as long as any worker does; so the watchdog watches the batch process itself.
    """
    parent = os.getppid()
    if parent == batch_pid and sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass

    def gone() -> bool:
        return os.getppid() != parent or not process_alive(batch_pid)

    if gone():  # it ended before the watch began
        os._exit(1)

    def watch() -> None:
        while not gone():
            time.sleep(WATCHDOG_S)
        os._exit(1)

    threading.Thread(target=watch, name="countysim-watchdog", daemon=True).start()


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


@contextlib.contextmanager
def ctrl_c_blocked() -> Iterator[None]:
    """Hold Ctrl-C while worker processes (and the forkserver) are started.

    A worker starts with it blocked and ignores it before unblocking it (its
    initializer), so a Ctrl-C while workers start, which the terminal sends to the
    whole process group, reaches only the batch process: it is delivered there
    when this block ends.
    """
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def worker_context() -> multiprocessing.context.BaseContext:
    """A forkserver that has imported countysim, where there is one; else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


class Pool:
    """What the batch loop needs of an executor."""

    workers: int = 1
    label: str = "serial"

    def submit(self, chunk: list[RunSpec], out: str, tables: Sequence[str]) -> Any:
        """Start a chunk of runs writing into ``out``; return its future."""
        raise NotImplementedError

    def wait(self, futures: set[Any]) -> tuple[set[Any], set[Any]]:
        """Block until at least one future is done; return (done, pending)."""
        raise NotImplementedError

    def close(self, pending: set[Any]) -> None:
        """Cancel what has not started and release what this pool created."""


class SerialPool(Pool):
    """Runs each chunk in this process, at submission."""

    def submit(self, chunk: list[RunSpec], out: str, tables: Sequence[str]) -> cf.Future:
        """See :meth:`Pool.submit`."""
        future: cf.Future = cf.Future()
        future.set_result(run_chunk(chunk, out, tables))
        return future

    def wait(self, futures: set[Any]) -> tuple[set[Any], set[Any]]:
        """See :meth:`Pool.wait`."""
        return set(futures), set()


class FuturesPool(Pool):
    """A ``concurrent.futures`` executor: our own local process pool, or the caller's."""

    def __init__(self, executor: cf.Executor | None, workers: int | None) -> None:
        self.owned = executor is None
        self.env_set: list[str] = []
        #: When the first chunk was submitted (monotonic), for the start-up cost.
        self.first_submit: float | None = None
        if executor is None:
            self.workers = workers or os.cpu_count() or 1
            # Workers (and the forkserver) copy this environment when they start.
            self.env_set = [k for k in ONE_THREAD_ENV if k not in os.environ]
            os.environ.update(dict.fromkeys(self.env_set, "1"))
            executor = cf.ProcessPoolExecutor(
                max_workers=self.workers, mp_context=worker_context(),
                initializer=_start_worker, initargs=(os.getpid(),))
            self.label = f"{self.workers} local processes"
        else:
            self.workers = workers or getattr(executor, "_max_workers", None) or 1
            self.label = type(executor).__name__
        self.executor = executor

    def submit(self, chunk: list[RunSpec], out: str, tables: Sequence[str]) -> cf.Future:
        """See :meth:`Pool.submit`."""
        if self.first_submit is None:
            self.first_submit = time.monotonic()
        if not self.owned:
            return self.executor.submit(run_chunk, chunk, out, tables)
        with ctrl_c_blocked():  # a submit may start a worker
            return self.executor.submit(run_chunk, chunk, out, tables)

    def wait(self, futures: set[Any]) -> tuple[set[Any], set[Any]]:
        """See :meth:`Pool.wait`."""
        done, pending = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
        return set(done), set(pending)

    def close(self, pending: set[Any]) -> None:
        """See :meth:`Pool.close`."""
        for f in pending:
            f.cancel()
        if self.owned:  # waits for the chunks already running (workers ignore Ctrl-C)
            self.executor.shutdown(wait=True, cancel_futures=True)
        for key in self.env_set:
            os.environ.pop(key, None)


class DaskPool(Pool):
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
            except (OSError, TimeoutError, ValueError, TypeError) as err:
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
        """See :meth:`Pool.submit`."""
        # Runs are not pure functions of their arguments in Dask's sense (they write
        # files), and equal chunks must never be merged: a distinct key each time.
        return self.client.submit(run_chunk, chunk, out, tables, pure=False,
                                  key=f"countysim-chunk-{uuid.uuid4().hex}")

    def wait(self, futures: set[Any]) -> tuple[set[Any], set[Any]]:
        """See :meth:`Pool.wait`."""
        result = self.distributed.wait(list(futures), return_when="FIRST_COMPLETED")
        return set(result.done), set(result.not_done)

    def close(self, pending: set[Any]) -> None:
        """See :meth:`Pool.close`."""
        if pending:
            self.client.cancel(list(pending))
        if self.owned:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()


class AutoPool(Pool):
    """This process first; local workers once the work left makes them worth starting.

    Chunks run here, at submission, while their run times are measured. Before
    each chunk the pool compares the serial time of the runs not yet submitted
    with :data:`WORKER_STARTUP_S` plus that time shared by the workers; once
    workers would save more than :data:`AUTO_MARGIN` of it, the rest goes to a
    :class:`FuturesPool`. A small batch (the demo's six runs) stays serial.

    Args:
        workers: local processes to start (default: the number of CPUs).
        runs: how many runs the batch will submit.
    """

    def __init__(self, workers: int | None, runs: int) -> None:
        self.max_workers = workers or os.cpu_count() or 1
        self.left = runs
        self.times: list[float] = []
        self.inner: FuturesPool | None = None
        self.label = "serial (auto)"

    @property
    def workers(self) -> int:  # type: ignore[override]
        """1 while running here; the workers' count once they started."""
        return self.inner.workers if self.inner is not None else 1

    @property
    def first_submit(self) -> float | None:
        """When the first chunk went to the workers (None while running here)."""
        return self.inner.first_submit if self.inner is not None else None

    def worth_starting(self) -> bool:
        """Whether workers would finish the runs left clearly sooner than this process."""
        if self.max_workers < 2 or len(self.times) < 2:
            return False
        per_run = float(sorted(self.times[1:])[len(self.times[1:]) // 2])  # median, warm
        serial = self.left * per_run
        startup = _measured_startup[0] if _measured_startup else WORKER_STARTUP_S
        parallel = startup + serial / (0.9 * self.max_workers)
        return parallel < (1 - AUTO_MARGIN) * serial

    def submit(self, chunk: list[RunSpec], out: str, tables: Sequence[str]) -> cf.Future:
        """See :meth:`Pool.submit`."""
        if self.inner is None and self.worth_starting():
            self.inner = FuturesPool(None, self.max_workers)
            self.label = f"{self.inner.label} (auto, after {len(self.times)} runs here)"
        self.left -= len(chunk)
        if self.inner is not None:
            return self.inner.submit(chunk, out, tables)
        future: cf.Future = cf.Future()
        records = run_chunk(chunk, out, tables)
        self.times += [r["seconds"] for r in records]
        future.set_result(records)
        return future

    def wait(self, futures: set[Any]) -> tuple[set[Any], set[Any]]:
        """See :meth:`Pool.wait`."""
        done = {f for f in futures if f.done()}
        if done or self.inner is None:
            return done, set(futures) - done
        return self.inner.wait(futures)

    def close(self, pending: set[Any]) -> None:
        """See :meth:`Pool.close`."""
        if self.inner is not None:
            self.inner.close(pending)


def make_pool(executor: Any, workers: int | None, scheduler: str | None,
              runs: int = 0) -> Pool:
    """The pool for an executor name, instance or Dask client (see :data:`EXECUTORS`).

    Args:
        executor: a name of :data:`EXECUTORS`, an Executor or a Dask client; None
            means ``"dask"`` with a scheduler, else ``"auto"``.
        workers: local processes or LocalCluster workers.
        scheduler: a Dask scheduler's address.
        runs: the runs the batch will submit (for ``"auto"``).
    """
    if scheduler is not None and executor not in ("dask", None):
        raise InputError(f"a scheduler address needs the dask executor, not {executor!r}")
    if executor is None:
        executor = "dask" if scheduler else "auto"
    if executor == "auto":
        return AutoPool(workers, runs)
    if executor == "serial":
        return SerialPool()
    if executor == "processes":
        return FuturesPool(None, workers)
    if executor == "dask":
        return DaskPool(scheduler=scheduler, workers=workers)
    if isinstance(executor, cf.Executor):
        return FuturesPool(executor, workers)
    if type(executor).__module__.startswith("distributed"):
        return DaskPool(client=executor)
    raise InputError(f"unknown executor {executor!r}; allowed: {', '.join(EXECUTORS)}, a "
                     "concurrent.futures.Executor or a dask.distributed.Client")
