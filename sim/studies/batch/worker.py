"""What a batch worker runs: a chunk of planned runs, each writing its own Parquet parts.

These functions run in worker processes (local or Dask); they must stay importable
and picklable, and return only small status records.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.model.runid import make_run_id
from sim.model.schema import ID_COLUMNS, PARAMETER_SET, ROW_KEYS
from sim.outputs.files import WriteError, write_parquet_atomic
from sim.outputs.store import part_path, remove_parts
from sim.studies.batch.spec import RunSpec
from sim.studies.run import simulate


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

    Raises:
        WriteError: a part could not be written (disk full, read-only folder): not a
            failure of the run, so the batch stops instead of failing every run left.
    """
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    try:
        model = simulate(spec.scenario, seed=spec.seed, deterministic=spec.deterministic,
                         replicate=spec.replicate, parameters=spec.parameters or None,
                         record_flows=spec.record_flows)
        expected = model.run_id if spec.parameter_set is None else make_run_id(
            model.sim_scenario, seed=model.seed, replicate=model.replicate,
            deterministic=model.deterministic, parameters=model.params,
            parameter_set=spec.parameter_set)
        if expected != spec.run_id:
            raise RuntimeError(f"run id {expected} differs from the planned {spec.run_id}")
        for table in tables:
            # Parts are written from the tables' columns: building DataFrames only
            # to encode them again cost as much as the encoding.
            columns = (dict(model.flows().items()) if table == "flows"
                       else model.table_columns(table))
            if table in spec.keep:
                wanted = {*ID_COLUMNS, *ROW_KEYS[table], *spec.keep[table]}
                columns = {c: v for c, v in columns.items() if c in wanted}
            rows = len(next(iter(columns.values())))
            if spec.parameter_set is not None:  # the run id of a member hashes its number
                columns["run_id"] = pd.Categorical.from_codes(
                    np.zeros(rows, dtype=np.int8), categories=[spec.run_id])
                columns[PARAMETER_SET] = np.full(rows, spec.parameter_set, dtype=np.int64)
            for name, value in spec.design_values.items():
                columns[name] = np.full(rows, float(value))
            write_parquet_atomic(columns, part_path(out, table, spec.run_id))
        status, error = "done", None
    except WriteError:  # a full disk or a read-only folder stops the batch
        remove_parts(out, tables, spec.run_id)
        raise
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
