"""The batch results store: a folder of Parquet parts, a runs table and a manifest.

Layout of ``results/NAME/``::

    manifest.json                  batch spec, scenario files and hashes, versions,
                                   git commit, root seed, created/finished times
    runs.parquet                   one row per planned run: run_id, scenario,
                                   replicate, seed, status, error, seconds, started,
                                   and one column per swept parameter
    county_year/part-<run_id>.parquet
    region_year/part-<run_id>.parquet
    levers_year/part-<run_id>.parquet
    flows/part-<run_id>.parquet    (with output.flows = true)

Every part is written to a temporary name and renamed, so a part is either
whole or absent. A run counts as done when all its parts exist and are whole
(:mod:`sim.outputs.parts`): that is the truth a resumed batch and
:func:`load_batch` go by, so a batch killed before it rewrote ``runs.parquet``
still knows every run it finished, and a damaged or unreadable ``runs.parquet``
is rebuilt from the parts.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from sim.base.errors import InputError
from sim.model.schema import ROW_KEYS
from sim.outputs.files import write_parquet_atomic
from sim.outputs.parts import (  # noqa: F401 (the store's part functions live there)
    damaged_parts,
    done_runs,
    part_path,
    parts_present,
    remove_parts,
    remove_temporaries,
)
from sim.outputs.results import MANIFEST

RUNS = "runs.parquet"
#: Columns of ``runs.parquet`` before the swept parameters.
STATUSES = ("done", "failed", "missing")
STATUS_DTYPE = pd.CategoricalDtype(STATUSES)
#: Parts read at a time: Arrow keeps a part's metadata while its dataset lives.
READ_GROUP = 500


def read_manifest(out: Path) -> dict[str, Any]:
    """The manifest of a batch results folder.

    Raises:
        InputError: the folder does not exist or holds no batch.
    """
    if not out.is_dir():
        raise InputError("results folder not found", source=str(out))
    path = out / MANIFEST
    if not path.is_file():
        raise InputError("not a batch results folder (manifest.json missing)",
                         source=str(out))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise InputError(f"manifest.json: unreadable ({err})", source=str(out)) from None
    if not isinstance(manifest, dict) or manifest.get("kind") != "countysim batch":
        raise InputError("not a batch results folder (manifest.json is not a batch "
                         "manifest; use sim.load_results for single runs)", source=str(out))
    missing = [k for k in MANIFEST_KEYS if k not in manifest]
    if missing or not isinstance(manifest["spec"], dict) or not all(
            k in manifest["spec"] for k in ("name", "sweep")):
        what = ", ".join(missing) or "spec.name, spec.sweep"
        raise InputError(f"manifest.json: damaged batch manifest (missing {what})",
                         source=str(out))
    return manifest


#: Keys every batch manifest has (format 1).
MANIFEST_KEYS = ("spec", "tables", "scenarios", "root_seed", "runs_planned", "created",
                 "finished", "sessions", "fingerprint")


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
    return runs if set(RUNS_COLUMNS) <= set(runs.columns) else None


#: Columns a readable ``runs.parquet`` has (besides the design columns).
RUNS_COLUMNS = ("run_id", "scenario", "replicate", "seed", "status", "error", "seconds",
                "started")


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


class Batch:
    """A batch results folder, read lazily (see :func:`load_batch`).

    Nothing is read until asked for. Each table is a pyarrow dataset over the
    parts of the batch's done runs; :meth:`read` loads only the columns and rows
    asked for, and :meth:`summary` works one scenario at a time, so memory is
    bounded by what is asked, not by the number of runs.

    Attributes:
        path: the results folder.
        manifest: the batch manifest (spec, scenarios, versions, times).
        sweep: the design columns (columns of every table): the swept parameters,
            or the factors of an explicit design.
        tables: the tables the batch writes.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.manifest = read_manifest(self.path)
        spec = self.manifest["spec"]
        self.sweep: tuple[str, ...] = (*spec["sweep"],
                                       *spec.get("design", {}).get("factors", ()))
        self.tables: tuple[str, ...] = tuple(self.manifest["tables"])
        #: What the :func:`sim.run_batch` call that returned this batch did.
        self.session: dict[str, Any] | None = None

    def __repr__(self) -> str:
        c = self.counts()
        return (f"<Batch {self.manifest['spec']['name']!r} at {self.path}: {c['done']} done, "
                f"{c['failed']} failed, {c['missing']} missing>")

    # -- runs -----------------------------------------------------------------------

    @property
    def runs(self) -> pd.DataFrame:
        """One row per planned run: ids, seed, status, error, seconds, started, sweep."""
        done = done_runs(self.path, self.tables)
        runs = read_runs(self.path)
        if runs is None:  # never written, or deleted: the done runs are in the parts
            runs = self._runs_from_parts(done)
        # The parts are the truth: see reconcile.
        return reconcile(runs, done)

    def _runs_from_parts(self, done: Collection[str]) -> pd.DataFrame:
        """A runs table of the done runs, rebuilt from their ``region_year`` parts."""
        keys = ["run_id", "scenario", "replicate", "seed", *self.sweep]
        table = self.tables[0]
        files = [str(part_path(self.path, table, rid)) for rid in sorted(done)]
        if files:
            ids = (ds.dataset(files, format="parquet").to_table(columns=keys).to_pandas()
                   .drop_duplicates("run_id").reset_index(drop=True))
        else:
            ids = pd.DataFrame({k: pd.Series(dtype="float64") for k in keys})
        for name in ("run_id", "scenario"):
            ids[name] = ids[name].astype("str")
        return pd.DataFrame({
            **{k: ids[k] for k in ("run_id", "scenario", "replicate", "seed")},
            "status": pd.Categorical(["done"] * len(ids), categories=STATUSES),
            "error": pd.Series([None] * len(ids), dtype="str"),
            "seconds": np.full(len(ids), np.nan),
            "started": pd.Series(pd.NaT, index=ids.index, dtype="datetime64[us, UTC]"),
            **{k: ids[k].to_numpy(dtype=np.float64) for k in self.sweep},
        })

    def counts(self, runs: pd.DataFrame | None = None) -> dict[str, int]:
        """Number of runs by status (done, failed, missing).

        Args:
            runs: :attr:`runs`, if already read (default: read it).
        """
        runs = self.runs if runs is None else runs
        counts = {s: int(n) for s, n in runs["status"].value_counts().items()}
        # A runs table rebuilt from the parts lists only the done runs.
        unlisted = max(0, int(self.manifest["runs_planned"]) - len(runs))
        counts["missing"] = counts.get("missing", 0) + unlisted
        return {s: counts.get(s, 0) for s in STATUSES}

    def failures(self) -> pd.DataFrame:
        """The failed runs with their error messages."""
        runs = self.runs
        return runs[runs["status"] == "failed"].reset_index(drop=True)

    # -- tables ---------------------------------------------------------------------

    def _check_table(self, table: str) -> None:
        if table not in self.tables:
            raise InputError(f"this batch has no table {table!r}; it wrote "
                             f"{', '.join(self.tables)}", source=str(self.path))

    def _files(self, table: str, run_ids: Iterable[str] | None) -> list[str]:
        self._check_table(table)
        if run_ids is None:
            runs = self.runs
            run_ids = runs.loc[runs["status"] == "done", "run_id"]
        return [str(part_path(self.path, table, rid)) for rid in sorted(run_ids)]

    def dataset(self, table: str, run_ids: Iterable[str] | None = None) -> ds.Dataset | None:
        """A pyarrow dataset over the parts of ``table`` of done runs, for streaming.

        Arrow keeps each part's metadata once it has been scanned; to read from
        many thousands of parts, :meth:`read` (which reads in groups) uses less memory.

        Args:
            table: the table.
            run_ids: only these runs (default: every done run).

        Returns:
            The dataset, or None if no run is done yet.

        Raises:
            InputError: the batch did not write ``table``.
        """
        files = self._files(table, run_ids)
        return ds.dataset(files, format="parquet") if files else None

    def read(self, table: str, columns: Sequence[str] | None = None,
             filters: Any = None, *, run_ids: Iterable[str] | None = None) -> pd.DataFrame:
        """One table of the done runs as a tidy DataFrame.

        Parts are read in groups of :data:`READ_GROUP`, so memory holds the result
        and one group's metadata, whatever the number of runs.

        Args:
            table: ``county_year``, ``region_year``, ``levers_year`` or ``flows``.
            columns: the columns to read (default: all).
            filters: rows to keep: a ``pyarrow.compute`` expression or a list of
                ``(column, op, value)`` tuples, e.g. ``[("year", "==", 2025)]``.
            run_ids: only these runs (default: every done run).

        Returns:
            Rows sorted by scenario, swept parameters, replicate and the table's row
            keys (those of them that were read).
        """
        files = self._files(table, run_ids)
        if not files:
            return pd.DataFrame(columns=list(columns or []))
        schema = ds.dataset(files[:1], format="parquet").schema
        if columns is not None:
            unknown = [c for c in columns if c not in schema.names]
            if unknown:
                raise InputError(f"{table} has no column {unknown[0]!r}; columns: "
                                 f"{', '.join(schema.names)}", source=str(self.path))
        expression = pq.filters_to_expression(filters) if isinstance(filters, list) \
            else filters
        parts = [ds.dataset(files[i:i + READ_GROUP], format="parquet", schema=schema)
                 .to_table(columns=list(columns) if columns is not None else None,
                           filter=expression)
                 for i in range(0, len(files), READ_GROUP)]
        df = pa.concat_tables(parts).to_pandas()
        for name in df.columns:  # only labels present, in sorted order, whatever was read
            if isinstance(df[name].dtype, pd.CategoricalDtype):
                labels = df[name].cat.remove_unused_categories()
                df[name] = labels.cat.reorder_categories(sorted(labels.cat.categories))
        order = [c for c in ("scenario", *self.sweep, "replicate", *ROW_KEYS.get(table, ()))
                 if c in df.columns]
        return df.sort_values(order, kind="stable").reset_index(drop=True) if order else df

    @property
    def county_year(self) -> pd.DataFrame:
        """All of ``county_year`` (use :meth:`read` for some columns or rows)."""
        return self.read("county_year")

    @property
    def region_year(self) -> pd.DataFrame:
        """All of ``region_year``."""
        return self.read("region_year")

    @property
    def levers_year(self) -> pd.DataFrame:
        """All of ``levers_year``."""
        return self.read("levers_year")

    @property
    def flows(self) -> pd.DataFrame:
        """All of ``flows`` (batches with ``output.flows = true``)."""
        return self.read("flows")

    def summary(self, table: str = "region_year", columns: Sequence[str] | None = None,
                *, low: float = 0.05, high: float = 0.95) -> pd.DataFrame:
        """Mean and quantile band over replicates, per scenario, parameter point and row.

        Reads one scenario at a time, and only the columns summarised.

        Args:
            table: the table to summarise.
            columns: numeric columns to summarise (default: every float column).
            low: lower quantile of the band.
            high: upper quantile of the band.

        Returns:
            A long table: ``scenario``, the swept parameters, the table's row keys
            (``year``; ``code`` for county_year), ``variable``, ``n`` (replicates),
            ``mean``, and the band as ``q5`` and ``q95`` (named after ``low`` and
            ``high``).
        """
        if not 0 <= low < high <= 1:
            raise InputError(f"summary: need 0 ≤ low < high ≤ 1, got low={low}, "
                             f"high={high}", source=str(self.path))
        self._check_table(table)
        keys = ["scenario", *self.sweep, *ROW_KEYS[table]]
        lo_name, hi_name = _quantile_name(low), _quantile_name(high)
        runs = self.runs
        done = runs[runs["status"] == "done"]
        parts = []
        for _, ids in done.groupby("scenario", sort=False, observed=True)["run_id"]:
            if columns is None:
                columns = [f.name for f in self.dataset(table, ids[:1]).schema
                           if pa.types.is_floating(f.type) and f.name not in keys]
            df = self.read(table, columns=[*keys, *columns], run_ids=ids)
            if df.empty:
                continue
            long = df.melt(id_vars=keys, value_vars=list(columns), var_name="variable")
            grouped = long.groupby([*keys, "variable"], sort=True)["value"]
            parts.append(pd.DataFrame({
                "n": grouped.count(), "mean": grouped.mean(),
                lo_name: grouped.quantile(low), hi_name: grouped.quantile(high),
            }).reset_index())
        if not parts:
            return pd.DataFrame(columns=[*keys, "variable", "n", "mean", lo_name, hi_name])
        return pd.concat(parts, ignore_index=True)


def _quantile_name(q: float) -> str:
    return "q" + f"{100 * q:g}".replace(".", "_")
