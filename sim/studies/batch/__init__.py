"""Batches: scenarios × parameter sweeps × replicates, run anywhere, stored as Parquet.

* :mod:`sim.studies.batch.spec`: batch files, :class:`BatchSpec`, :func:`plan_batch`, seeds.
* :mod:`sim.studies.batch.execute`: :func:`run_batch` on serial, process or Dask executors.
* :mod:`sim.outputs.store`: the results store and :func:`load_batch`.

See docs/batches.md.
"""

from sim.outputs.reader import load_batch
from sim.outputs.store import Batch
from sim.studies.batch.execute import BatchAborted, run_batch
from sim.studies.batch.spec import BatchSpec, RunSpec, load_batch_spec, plan_batch, run_seed

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
