"""Executors a batch runs on, behind one small interface (:class:`Pool`).

Serial (in this process), local spawned processes, a caller's
``concurrent.futures`` executor, or a Dask cluster; the executor never changes
what runs, only where.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import os
import signal
import time
import uuid
from collections.abc import Sequence
from typing import Any

from sim.base.errors import InputError
from sim.studies.batch.spec import RunSpec
from sim.studies.batch.worker import run_chunk

#: Executors by name (an Executor instance or a dask Client also works).
EXECUTORS = ("serial", "processes", "dask")


#: Thread pools of numerical libraries, limited to one thread in local workers: a
#: worker is one process per core, and 2 workers with 2 BLAS threads each on 2
#: cores ran 2–3× slower per run. (Dask's nannies set the same for their workers.)
ONE_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


#: Seconds a Dask cluster's count of worker threads is reused before asking again.
WORKERS_EVERY_S = 1.0


def _ignore_sigint() -> None:
    # Ctrl-C reaches the whole process group; only the parent should act on it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


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
        """See :meth:`Pool.submit`."""
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


def make_pool(executor: Any, workers: int | None, scheduler: str | None) -> Pool:
    """The pool for an executor name, instance or Dask client (see :data:`EXECUTORS`)."""
    if scheduler is not None and executor not in ("dask", None):
        raise InputError(f"a scheduler address needs the dask executor, not {executor!r}")
    if executor is None:
        executor = "dask" if scheduler else "processes"
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
