"""Read any results folder into one set of tidy tables.

Three layouts are understood:

* a **run folder** (``countysim run``, :meth:`sim.Results.save`):
  ``county_year.parquet``, ``region_year.parquet``, … and ``manifest.json``;
* a **batch folder** (``countysim batch``): ``runs.parquet``, ``manifest.json``
  and the directories ``county_year/``, ``region_year/``, ``levers_year/`` and
  optionally ``flows/``, each holding ``part-<run_id>.parquet`` files (plus one
  column per swept parameter);
* a **folder of such folders** (e.g. ``results/`` after several ``countysim run``
  calls), read together.

Analysis functions take the tables of a :class:`ResultsSet` (tidy frames with
``scenario`` and ``replicate`` columns), so they work on any of these and on
runs made in memory (:meth:`ResultsSet.from_results`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from sim.base.errors import InputError
from sim.model.schema import CONTRACT_COLUMNS, RUN_COLUMNS
from sim.outputs.results import MANIFEST, Results, load_results

TABLES = ("county_year", "region_year", "levers_year", "flows")


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


def read_results(directory: str | Path) -> ResultsSet:
    """Read a run folder, a batch folder, or a folder of either.

    Raises:
        InputError: the folder is missing, holds none of the layouts, or has no
            successful run.
    """
    path = Path(directory)
    if not path.is_dir():
        raise InputError("results folder not found", source=str(path))
    if _is_run(path):
        return _from_run(load_results(path), str(path))
    if _is_batch(path):
        return _read_batch(path)
    children = sorted(p for p in path.iterdir() if p.is_dir() and (_is_run(p) or _is_batch(p)))
    if not children:
        raise InputError("not a results folder: expected county_year.parquet (a run), "
                         "county_year/ (a batch) or subfolders holding either",
                         source=str(path))
    parts = [_from_run(load_results(p), str(p)) if _is_run(p) else _read_batch(p)
             for p in children]
    return _combine(parts, source=str(path))


def _is_run(path: Path) -> bool:
    return (path / "county_year.parquet").is_file()


def _is_batch(path: Path) -> bool:
    return (path / "county_year").is_dir()


def _from_run(results: Results, source: str | None) -> ResultsSet:
    return ResultsSet(county_year=results.county_year, region_year=results.region_year,
                      levers_year=results.levers_year, flows=results.flows,
                      manifest=results.manifest, source=source)


def _read_batch(path: Path) -> ResultsSet:
    manifest = {}
    if (path / MANIFEST).is_file():
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    runs = pd.read_parquet(path / "runs.parquet") if (path / "runs.parquet").is_file() else None
    ok = None
    if runs is not None and "status" in runs.columns:
        ok = set(runs.loc[runs["status"] == "done", "run_id"])
    tables: dict[str, pd.DataFrame | None] = {}
    for name in TABLES:
        folder = path / name
        files = sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []
        if ok is not None:
            files = [f for f in files if f.stem.removeprefix("part-") in ok]
        tables[name] = (pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
                        if files else None)
    for name in ("county_year", "region_year"):
        if tables[name] is None or tables[name].empty:
            raise InputError(f"batch folder has no successful runs in {name}/ (expected "
                             "part-<run_id>.parquet files)", source=str(path))
    if runs is None:
        runs = _runs_from_table(tables["region_year"])
    elif ok is not None:
        runs = runs[runs["run_id"].isin(ok)].reset_index(drop=True)
    return ResultsSet(county_year=tables["county_year"], region_year=tables["region_year"],
                      levers_year=_or_empty(tables["levers_year"]), flows=tables["flows"],
                      runs=runs, manifest=manifest, source=str(path))


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
    dup = runs.duplicated(["scenario", "replicate", *kept[0].parameter_columns])
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
    """Columns that identify a run in a table: ids plus any swept parameters."""
    ids = [c for c in ("run_id", "scenario", "replicate", "seed") if c in table.columns]
    return ids + [c for c in table.columns if c not in CONTRACT_COLUMNS]
