"""The runs table of a batch (``runs.parquet``): one row per planned run and its status.

:class:`RunsTable` keeps it while a batch runs; :func:`read_runs` reads it back and
:func:`reconcile` makes it agree with the parts on disk, which decide what is done
(:mod:`sim.outputs.store`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

from sim.model.schema import PARAMETER_SET, RUN_COLUMNS
from sim.outputs.files import write_parquet_atomic

RUNS = "runs.parquet"
#: The status of a run in ``runs.parquet``.
STATUSES = ("done", "failed", "missing")
STATUS_DTYPE = pd.CategoricalDtype(STATUSES)

_STATUS_CODE = {s: i for i, s in enumerate(STATUSES)}
_NAT = np.iinfo(np.int64).min  # NaT as int64
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class PlannedRun(Protocol):
    """What the runs table reads of a planned run (a batch's ``RunSpec``)."""

    run_id: str
    scenario_name: str
    replicate: int
    seed: int
    parameter_set: int | None

    @property
    def design_values(self) -> Mapping[str, float]:
        """The run's values of the design columns."""
        ...


class RunsTable:
    """The runs table of a batch being run: one row per planned run, kept up to date.

    The columns that identify a run (ids, seed, design columns) are built once; the
    status columns (``status``, ``error``, ``seconds``, ``started``) are arrays that
    :meth:`update` changes run by run. Rewriting ``runs.parquet`` every few seconds
    then costs the encoding of the table, not a rebuild of every row in Python.

    Args:
        plan: the planned runs.
        sweep: the design columns: swept parameters or design factors (one column
            each).
    """

    def __init__(self, plan: Sequence[PlannedRun], sweep: Sequence[str]) -> None:
        self.row = {r.run_id: i for i, r in enumerate(plan)}
        self.fixed: dict[str, Any] = {
            "run_id": pd.Series([r.run_id for r in plan], dtype="str"),
            "scenario": pd.Series([r.scenario_name for r in plan], dtype="str"),
            "replicate": np.array([r.replicate for r in plan], dtype=np.int64),
            "seed": np.array([r.seed for r in plan], dtype=np.int64),
            PARAMETER_SET: np.array([r.parameter_set or 0 for r in plan], dtype=np.int64),
        }
        self.design = {p: np.array([r.design_values[p] for r in plan], dtype=np.float64)
                       for p in sweep}
        n = len(plan)
        self.status = np.full(n, _STATUS_CODE["missing"], dtype=np.int8)
        self.error = np.full(n, None, dtype=object)
        self.seconds = np.full(n, np.nan)
        self.started = np.full(n, _NAT, dtype=np.int64)  # microseconds since 1970, UTC

    def update(self, records: Mapping[str, Mapping[str, Any]]) -> None:
        """Set the status of some runs.

        Args:
            records: run id → ``status``, ``error``, ``seconds`` and ``started`` (ISO
                time or None); ids not planned are ignored.
        """
        for rid, rec in records.items():
            i = self.row.get(rid)
            if i is None:
                continue
            self.status[i] = _STATUS_CODE[rec["status"]]
            self.error[i] = None if rec["error"] is None else str(rec["error"])
            self.seconds[i] = rec["seconds"]
            started = rec["started"]
            self.started[i] = _NAT if started is None else (
                (datetime.fromisoformat(started) - _EPOCH) // _MICROSECOND)

    def resume(self, previous: pd.DataFrame | None, done: Collection[str]) -> None:
        """Take the statuses of an earlier session, made to agree with the parts on disk.

        Args:
            previous: the batch's ``runs.parquet`` as written so far (None if it was
                never written).
            done: run ids with all their parts (:func:`done_runs`).
        """
        if previous is not None:
            self._take(previous)
        self._take(reconcile(self.frame(), done))

    def _take(self, runs: pd.DataFrame) -> None:
        rows = pd.Index(self.fixed["run_id"]).get_indexer(runs["run_id"])
        known = rows >= 0
        rows = rows[known]
        status = pd.Categorical(runs["status"].astype("str"), categories=STATUSES)
        self.status[rows] = status.codes[known]
        error = runs["error"]
        self.error[rows] = error.astype(object).where(error.notna(), None).to_numpy()[known]
        self.seconds[rows] = runs["seconds"].to_numpy(dtype=np.float64)[known]
        self.started[rows] = pd.DatetimeIndex(runs["started"]).as_unit("us").asi8[known]

    def done_seconds(self) -> np.ndarray:
        """Seconds of the done runs whose time is known."""
        seconds = self.seconds[self.status == _STATUS_CODE["done"]]
        return seconds[np.isfinite(seconds)]

    def columns(self) -> dict[str, Any]:
        """The table as columns, in the order and with the types of ``runs.parquet``."""
        started = self.started.view("M8[us]")
        if (self.started == _NAT).all():
            started = started.astype("M8[s]")  # as pandas parses a column of no times
        return {
            **self.fixed,
            "status": pd.Categorical.from_codes(self.status, dtype=STATUS_DTYPE),
            "error": pd.Series(self.error, dtype="str"),
            "seconds": self.seconds,
            "started": pd.Series(started).dt.tz_localize("UTC"),
            **self.design,
        }

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame (as :attr:`Batch.runs` reads it back)."""
        return pd.DataFrame(self.columns(), copy=True)

    def write(self, out: Path) -> None:
        """Write ``runs.parquet`` atomically."""
        write_parquet_atomic(self.columns(), out / RUNS)


def read_runs(out: Path) -> pd.DataFrame | None:
    """``runs.parquet`` as written, before :func:`reconcile`.

    None if it does not exist or cannot be read (cut short, or not a runs table):
    the parts then tell which runs are done.
    """
    path = out / RUNS
    if not path.is_file():
        return None
    try:
        runs = pd.read_parquet(path)
    except (OSError, ValueError, pa.ArrowException):
        return None
    if not set(RUNS_COLUMNS) <= set(runs.columns):
        return None
    if PARAMETER_SET not in runs.columns:  # written before ensembles: one parameter set
        runs.insert(runs.columns.get_loc("seed") + 1, PARAMETER_SET, np.int64(0))
    return runs


#: Columns a readable ``runs.parquet`` has (besides the design columns): the schema's,
#: less ``parameter_set``, which files written before ensembles lack (read as 0).
RUNS_COLUMNS = tuple(c for c in RUN_COLUMNS if c != PARAMETER_SET)


def reconcile(runs: pd.DataFrame, done: Collection[str]) -> pd.DataFrame:
    """The runs table made to agree with the parts on disk, which decide what is done.

    A run with all its parts is done, even if the runs table had no time to say so
    (a batch killed between writing a run's parts and rewriting ``runs.parquet``,
    or a failed run that a resumed session finished); a run recorded as done whose
    parts are gone is missing again. The error, seconds and start time of a row
    whose status changes are cleared: they were those of another attempt.

    Args:
        runs: a runs table (``runs.parquet``).
        done: run ids with all their parts (:func:`done_runs`).

    Returns:
        A corrected copy.
    """
    runs = runs.copy()
    on_disk = runs["run_id"].isin(done).to_numpy()
    recorded = runs["status"].astype("str").to_numpy()
    stale = on_disk != (recorded == "done")
    status = np.where(on_disk, "done", np.where(recorded == "done", "missing", recorded))
    runs["status"] = pd.Categorical(status, categories=STATUSES)
    if stale.any():
        cleared = {"error": None, "seconds": np.nan, "started": pd.NaT}
        for name, value in cleared.items():
            if name in runs.columns:
                runs.loc[stale, name] = value
    return runs
