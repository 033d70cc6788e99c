"""The batch results store: a folder of Parquet parts, a runs table and a manifest.

Layout of ``results/NAME/``::

    manifest.json                  batch spec, scenario files and hashes, versions,
                                   git commit, root seed, created/finished times
    runs.parquet                   one row per planned run: run_id, scenario,
                                   replicate, seed, parameter_set, status, error,
                                   seconds, started, and one column per swept parameter
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
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from sim.base.errors import InputError
from sim.model.schema import PARAMETER_SET, ROW_KEYS
from sim.outputs.bands import ensemble_split
from sim.outputs.parts import (  # noqa: F401 (the store's part functions live there)
    damaged_parts,
    done_runs,
    part_path,
    parts_present,
    remove_parts,
    remove_temporaries,
)
from sim.outputs.results import MANIFEST
from sim.outputs.runs import (  # noqa: F401 (the runs table lives there)
    RUNS,
    RUNS_COLUMNS,
    STATUS_DTYPE,
    STATUSES,
    PlannedRun,
    RunsTable,
    read_runs,
    reconcile,
)

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
            data = ds.dataset(files, format="parquet")
            if PARAMETER_SET in data.schema.names:
                keys.insert(4, PARAMETER_SET)
            ids = (data.to_table(columns=keys).to_pandas()
                   .drop_duplicates("run_id").reset_index(drop=True))
        else:
            ids = pd.DataFrame({k: pd.Series(dtype="float64") for k in keys})
        for name in ("run_id", "scenario"):
            ids[name] = ids[name].astype("str")
        members = (ids[PARAMETER_SET].to_numpy(dtype=np.int64) if PARAMETER_SET in ids
                   else np.zeros(len(ids), dtype=np.int64))
        return pd.DataFrame({
            **{k: ids[k] for k in ("run_id", "scenario", "replicate", "seed")},
            PARAMETER_SET: members,
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
        order = [c for c in ("scenario", *self.sweep, PARAMETER_SET, "replicate",
                             *ROW_KEYS.get(table, ())) if c in df.columns]
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
        """Mean and quantile band over all runs, per scenario, parameter point and row.

        Reads one scenario at a time, and only the columns summarised.

        Args:
            table: the table to summarise.
            columns: numeric columns to summarise (default: every float column).
            low: lower quantile of the band.
            high: upper quantile of the band.

        Returns:
            A long table: ``scenario``, the swept parameters, the table's row keys
            (``year``; ``code`` for county_year), ``variable``, ``n`` (runs), ``mean``,
            and the band as ``q5`` and ``q95`` (named after ``low`` and ``high``). The
            band is over every run: the replicates and, in a batch with an ensemble,
            the parameter sets. Such a batch adds the split of the band
            (:mod:`sim.outputs.bands`): ``parameter_sets``, the parameter band
            ``q5_parameter`` and ``q95_parameter`` (of the parameter sets' means),
            ``var_parameter``, ``var_stochastic`` and ``parameter_share``.
        """
        if not 0 <= low < high <= 1:
            raise InputError(f"summary: need 0 ≤ low < high ≤ 1, got low={low}, "
                             f"high={high}", source=str(self.path))
        self._check_table(table)
        keys = ["scenario", *self.sweep, *ROW_KEYS[table]]
        lo_name, hi_name = _quantile_name(low), _quantile_name(high)
        runs = self.runs
        done = runs[runs["status"] == "done"]
        ensemble = done[PARAMETER_SET].nunique() > 1
        member = [PARAMETER_SET] if ensemble else []
        parts = []
        for _, ids in done.groupby("scenario", sort=False, observed=True)["run_id"]:
            if columns is None:
                columns = [f.name for f in self.dataset(table, ids[:1]).schema
                           if pa.types.is_floating(f.type) and f.name not in keys]
            df = self.read(table, columns=[*keys, *member, *columns], run_ids=ids)
            if df.empty:
                continue
            long = df.melt(id_vars=[*keys, *member], value_vars=list(columns),
                           var_name="variable")
            grouped = long.groupby([*keys, "variable"], sort=True)["value"]
            part = pd.DataFrame({
                "n": grouped.count(), "mean": grouped.mean(),
                lo_name: grouped.quantile(low), hi_name: grouped.quantile(high),
            })
            if ensemble:
                split = ensemble_split(long, "value", [*keys, "variable"], low=low,
                                       high=high).rename(columns={
                    "parameter_low": f"{lo_name}_parameter",
                    "parameter_high": f"{hi_name}_parameter"})
                part = part.join(split)
            parts.append(part.reset_index())
        if not parts:
            return pd.DataFrame(columns=[*keys, "variable", "n", "mean", lo_name, hi_name])
        return pd.concat(parts, ignore_index=True)


def _quantile_name(q: float) -> str:
    return "q" + f"{100 * q:g}".replace(".", "_")
