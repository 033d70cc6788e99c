"""Batches: scenarios × parameter sweeps × replicates, run anywhere, stored as Parquet.

* :mod:`sim.batch.spec`: batch files, :class:`BatchSpec`, :func:`plan_batch`, seeds.
* :mod:`sim.batch.execute`: :func:`run_batch` on serial, process or Dask executors.
* :mod:`sim.batch.store`: the results store and :func:`load_batch`.

See docs/batches.md.
"""

from sim.batch.execute import BatchAborted, run_batch
from sim.batch.spec import BatchSpec, RunSpec, load_batch_spec, plan_batch, run_seed
from sim.batch.store import Batch, load_batch

__all__ = [
    "Batch",
    "BatchAborted",
    "BatchSpec",
    "RunSpec",
    "load_batch",
    "load_batch_spec",
    "plan_batch",
    "run_batch",
    "run_seed",
]
