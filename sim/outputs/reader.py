"""The one way to read a results folder, with one rule for which runs are done.

Four layouts are understood (:func:`folder_kind`):

* a **run** folder (``countysim run``, :meth:`sim.Results.save`):
  ``county_year.parquet``, ``region_year.parquet``, … and ``manifest.json``;
* a **batch** folder (``countysim batch``): ``manifest.json``, ``runs.parquet`` and
  the folders ``county_year/``, ``region_year/``, ``levers_year/`` (and ``flows/``)
  of ``part-<run_id>.parquet`` files, one column per swept parameter;
* a **sensitivity** folder (``countysim sensitivity``): ``sensitivity.json`` and its
  runs as a batch in ``batch/``;
* a **collection**: a folder of such folders (e.g. ``results/``), read together.

Which runs of a batch are done is decided in one place,
:attr:`sim.outputs.store.Batch.runs`: a run is done when all its parts are on disk,
whatever ``runs.parquet`` says. :func:`read_results` (every table, in memory),
:func:`sim.load_batch` (lazy) and ``countysim status``/``compare``/``plot`` all go
through it, so they agree on every folder. :func:`load_results` reads one run.

Analysis functions take the tables of a :class:`ResultsSet` (tidy frames with
``scenario`` and ``replicate`` columns), so they work on any layout and on runs
made in memory (:meth:`ResultsSet.from_results`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from sim.base.errors import InputError
from sim.model.schema import (
    CONTRACT_COLUMNS,
    ID_COLUMNS,
    PARAMETER_SET,
    RUN_COLUMNS,
    RUN_TABLES,
)
from sim.outputs.results import MANIFEST, Results
from sim.outputs.store import Batch

TABLES = tuple(RUN_TABLES)


@dataclass
class ResultsSet:
    """The tables of one or more runs, with the runs listed.

    Attributes:
        county_year: one row per run, year and county.
        region_year: one row per run and year.
        levers_year: one row per run, year, county and active lever (may be empty).
        runs: one row per run: run_id, scenario, replicate, seed, status, and one
            column per swept parameter.
        flows: origin–destination flows, if recorded (else None).
        manifest: the folder's manifest (a batch's, or the only run's).
        source: the folder the tables were read from (None if built in memory).
    """

    county_year: pd.DataFrame
    region_year: pd.DataFrame
    levers_year: pd.DataFrame = field(default_factory=pd.DataFrame)
    runs: pd.DataFrame = field(default_factory=pd.DataFrame)
    flows: pd.DataFrame | None = None
    manifest: dict[str, Any] = field(default_factory=dict)
    source: str | None = None

    def __post_init__(self) -> None:
        if self.runs.empty:
            self.runs = _runs_from_table(self.region_year)

    @property
    def label(self) -> str:
        """How errors name this set: its folder, or ``<results>``."""
        return self.source or "<results>"

    @property
    def scenarios(self) -> list[str]:
        """Scenario names in the order of the runs table."""
        return list(dict.fromkeys(self.runs["scenario"]))

    @property
    def years(self) -> list[int]:
        """Recorded years, ascending."""
        return sorted(int(y) for y in self.region_year["year"].unique())

    @property
    def parameter_columns(self) -> list[str]:
        """Swept-parameter columns (batch tables only): part of each run's identity."""
        return [c for c in self.region_year.columns if c not in CONTRACT_COLUMNS]

    @property
    def parameter_sets(self) -> int:
        """Parameter sets of the runs: N in a batch with ``ensemble = N``, else 1."""
        if PARAMETER_SET not in self.region_year.columns:
            return 1
        return int(self.region_year[PARAMETER_SET].nunique())

    def replicates(self, scenario: str) -> int:
        """Number of runs of a scenario."""
        return int(self.region_year.loc[self.region_year["scenario"] == scenario,
                                        "run_id"].nunique())

    def require_scenario(self, name: str, role: str = "scenario") -> None:
        """Raise :class:`InputError` if ``name`` is not among the scenarios."""
        if name not in self.scenarios:
            raise InputError(f"{role} scenario '{name}' is not in this folder; scenarios "
                             f"here: {', '.join(self.scenarios)}", source=self.label)

    def select(self, scenarios: Sequence[str]) -> ResultsSet:
        """The runs of some scenarios only, in the given order."""
        for name in scenarios:
            self.require_scenario(name)

        subset = _filtered(self, "scenario", set(scenarios))
        order = {name: i for i, name in enumerate(scenarios)}
        runs = subset.runs.sort_values("scenario", key=lambda s: s.map(order), kind="stable")
        return replace(subset, runs=runs.reset_index(drop=True))

    @classmethod
    def from_results(cls, results: Iterable[Results]) -> ResultsSet:
        """Combine runs made in memory (:func:`sim.run`) into one set."""
        items = list(results)
        if not items:
            raise InputError("no runs given")
        return _combine([_from_run(r, None) for r in items], source=None)


def as_results_set(obj: ResultsSet | Results | Iterable[Results] | str | Path
                   ) -> ResultsSet:
    """Accept a :class:`ResultsSet`, a run, a list of runs or a results folder."""
    if isinstance(obj, ResultsSet):
        return obj
    if isinstance(obj, str | Path):
        return read_results(obj)
    if isinstance(obj, Results):
        return ResultsSet.from_results([obj])
    return ResultsSet.from_results(obj)


#: Folder layouts :func:`folder_kind` tells apart.
KINDS = ("run", "batch", "sensitivity", "collection")
SENSITIVITY_MANIFEST = "sensitivity.json"
#: The batch of a sensitivity folder.
SENSITIVITY_BATCH = "batch"


def folder_kind(directory: str | Path) -> str:
    """Which layout a results folder has: one of :data:`KINDS`.

    Raises:
        InputError: the folder is missing or holds none of the layouts.
    """
    path = Path(directory)
    if not path.is_dir():
        what = "is a file, not a folder" if path.exists() else "not found"
        raise InputError(f"results folder {what}", source=str(path))
    kind = _own_kind(path)
    if kind is not None:
        return kind
    if any(_own_kind(p) is not None for p in _subfolders(path)):
        return "collection"
    raise InputError("not a results folder: expected county_year.parquet (a run), "
                     "manifest.json with county_year/ (a batch), sensitivity.json (a "
                     "sensitivity analysis) or subfolders holding them", source=str(path))


def _own_kind(path: Path) -> str | None:
    if (path / "county_year.parquet").is_file():
        return "run"
    if (path / SENSITIVITY_MANIFEST).is_file() and (path / SENSITIVITY_BATCH).is_dir():
        return "sensitivity"
    if (path / MANIFEST).is_file() and ((path / "county_year").is_dir()
                                        or (path / "runs.parquet").is_file()):
        return "batch"
    return None


def _subfolders(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.is_dir())


def batch_folder(directory: str | Path) -> Path:
    """The batch store of a batch or sensitivity folder.

    Raises:
        InputError: the folder is a run or a collection, naming what reads it.
    """
    path = Path(directory)
    kind = folder_kind(path)
    if kind == "sensitivity":
        return path / SENSITIVITY_BATCH
    if kind == "run":
        raise InputError("this is a single run's folder, not a batch; read it with "
                         "sim.load_results or sim.read_results", source=str(path))
    if kind == "collection":
        raise InputError("this folder holds several results folders, not a batch; read them "
                         "together with sim.read_results, or open one of them",
                         source=str(path))
    return path


def read_results(directory: str | Path) -> ResultsSet:
    """Read a run, batch or sensitivity folder, or a folder of them, into one set.

    Batches and sensitivity analyses contribute their done runs (see the module
    docstring for the rule).

    Raises:
        InputError: the folder is missing, holds none of the layouts, or has no
            done run.
    """
    path = Path(directory)
    kind = folder_kind(path)
    if kind == "run":
        return _from_run(load_results(path), str(path))
    if kind in ("batch", "sensitivity"):
        return _read_batch(batch_folder(path), label=str(path))
    parts = [read_results(p) for p in _subfolders(path) if _own_kind(p) is not None]
    return _combine(parts, source=str(path))


def load_results(directory: str | Path) -> Results:
    """Read one run's folder (written by :meth:`sim.Results.save` or ``countysim run``).

    Raises:
        InputError: the folder is missing, is a batch (use :func:`read_results` or
            :func:`sim.load_batch`), or lacks a required file.
    """
    path = Path(directory)
    kind = folder_kind(path)
    if kind != "run":
        reader = "sim.read_results (every table) or sim.load_batch (lazy)" \
            if kind != "collection" else "sim.read_results"
        raise InputError(f"this is a {kind} folder, not a single run's; read it with {reader}",
                         source=str(path))
    if not (path / "region_year.parquet").is_file():
        raise InputError("not a run results folder: region_year.parquet missing (expected "
                         "county_year.parquet, region_year.parquet and manifest.json)",
                         source=str(path))
    manifest = _read_json(path / MANIFEST) if (path / MANIFEST).is_file() else {}
    optional = {n: pd.read_parquet(path / f"{n}.parquet")
                for n in ("levers_year", "flows", "age_year")
                if (path / f"{n}.parquet").is_file()}
    return Results(
        county_year=pd.read_parquet(path / "county_year.parquet"),
        region_year=pd.read_parquet(path / "region_year.parquet"),
        levers_year=optional.get("levers_year", pd.DataFrame()),
        manifest=manifest,
        flows=optional.get("flows"),
        age_year=optional.get("age_year"),
    )


def load_batch(directory: str | Path) -> Batch:
    """Open a batch (or a sensitivity analysis's batch) lazily: nothing is read until asked.

    Raises:
        InputError: the folder does not exist or holds no batch.
    """
    return Batch(batch_folder(directory))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise InputError(f"{path.name}: unreadable ({err})", source=str(path.parent)) from None
    if not isinstance(data, dict):
        raise InputError(f"{path.name}: expected a JSON object", source=str(path.parent))
    return data


def _from_run(results: Results, source: str | None) -> ResultsSet:
    return ResultsSet(county_year=results.county_year, region_year=results.region_year,
                      levers_year=results.levers_year, flows=results.flows,
                      manifest=results.manifest, source=source)


def _read_batch(path: Path, label: str) -> ResultsSet:
    batch = Batch(path)
    runs = batch.runs
    done = runs[runs["status"] == "done"].reset_index(drop=True)
    if done.empty:
        raise InputError(f"no done runs yet ({batch.counts(runs)['missing']} missing, "
                         f"{batch.counts(runs)['failed']} failed); see countysim status "
                         f"{path}", source=label)
    ids = done["run_id"]
    tables = {name: batch.read(name, run_ids=ids) if name in batch.tables else None
              for name in TABLES}
    return ResultsSet(county_year=tables["county_year"], region_year=tables["region_year"],
                      levers_year=_or_empty(tables["levers_year"]), flows=tables["flows"],
                      runs=done, manifest=batch.manifest, source=label)


def _or_empty(table: pd.DataFrame | None) -> pd.DataFrame:
    return pd.DataFrame() if table is None else table


def _runs_from_table(region_year: pd.DataFrame) -> pd.DataFrame:
    """One row per run (its identity and swept parameters) from a region table."""
    keys = [c for c in region_year.columns
            if c in RUN_COLUMNS or c not in CONTRACT_COLUMNS]
    runs = region_year[keys].drop_duplicates("run_id").reset_index(drop=True)
    runs["status"] = "done"
    return runs


def _combine(parts: list[ResultsSet], source: str | None) -> ResultsSet:
    """Concatenate sets; a run found twice (same run_id) is kept once."""
    seen: set[str] = set()
    kept: list[ResultsSet] = []
    for part in parts:
        ids = set(part.region_year["run_id"])
        new = ids - seen
        seen |= ids
        if new != ids:
            part = _filtered(part, "run_id", new)
        if not part.region_year.empty:
            kept.append(part)

    def cat(name: str) -> pd.DataFrame | None:
        tables = [getattr(p, name) for p in kept
                  if getattr(p, name) is not None and not getattr(p, name).empty]
        return pd.concat(tables, ignore_index=True) if tables else None

    region = cat("region_year")
    runs = region.drop_duplicates("run_id")
    member = [PARAMETER_SET] if PARAMETER_SET in runs.columns else []
    dup = runs.duplicated(["scenario", "replicate", *member, *kept[0].parameter_columns])
    if dup.any():
        row = runs[dup].iloc[0]
        raise InputError(f"two runs of scenario '{row['scenario']}' have replicate "
                         f"{row['replicate']}; runs are paired by replicate, so each "
                         "replicate may appear once per scenario (use a batch, or give "
                         "each run its own replicate)", source=source)
    manifest = kept[0].manifest if len(kept) == 1 else {
        "runs": [p.manifest for p in kept if p.manifest]}
    return ResultsSet(county_year=cat("county_year"), region_year=region,
                      levers_year=_or_empty(cat("levers_year")), flows=cat("flows"),
                      runs=cat("runs"), manifest=manifest, source=source)


def _filtered(rs: ResultsSet, column: str, values: set) -> ResultsSet:
    """The rows of every table whose ``column`` is in ``values``."""
    def keep(table: pd.DataFrame | None) -> pd.DataFrame | None:
        if table is None or table.empty:
            return table
        return table[table[column].isin(values)].reset_index(drop=True)

    return replace(rs, county_year=keep(rs.county_year), region_year=keep(rs.region_year),
                   levers_year=keep(rs.levers_year), flows=keep(rs.flows), runs=keep(rs.runs))


def run_columns(table: pd.DataFrame) -> list[str]:
    """Columns that identify a run in a table: ids, parameter set and swept parameters."""
    ids = [c for c in (*ID_COLUMNS, PARAMETER_SET) if c in table.columns]
    return ids + [c for c in table.columns if c not in CONTRACT_COLUMNS]
