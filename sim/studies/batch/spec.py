"""Batch specifications and the runs they plan.

A batch is scenarios × parameter points × parameter sets × replicates; the
parameter sets are members of the calibrated ensemble (``ensemble = N``,
:mod:`sim.model.ensemble`), one set, the calibrated point estimate, by default.
The points are the full factorial of a sweep, or an explicit list (a sampling design, see
:mod:`sim.studies.batch.points`), which may also vary the intensities of levers.
:class:`BatchSpec` holds it, validated; :func:`load_batch_spec` reads it from a
TOML batch file; :func:`plan_batch` lists every run as a
:class:`RunSpec` before anything runs.

Seeds come from ``numpy.random.SeedSequence(root_seed)`` by a stable key, never
by the order runs are planned or submitted. With common random numbers (the
default) the key is the replicate number alone, so replicate k has the same
seed in every scenario, parameter point and parameter set, and differences between
them are not differences between random streams. Without them the key is (replicate,
scenario name, parameter point).
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.base.errors import InputError
from sim.base.tomlfile import read_toml
from sim.model.ensemble import read_ensemble
from sim.model.scenario import Scenario, load_scenario
from sim.model.schema import DEFAULT_TABLES, RUN_TABLES
from sim.studies.batch import points
from sim.studies.batch.fields import (
    MAX_RUNS,
    as_sequence,
    check_fields,
    check_name,
    check_type,
    check_whole,
    full_factorial,
    sweep_values,
)
from sim.studies.batch.plan import PointPlanner, RunSpec, run_seed  # noqa: F401 (moved)

#: Run tables a batch can write (``flows`` is switched on separately).
TABLES = DEFAULT_TABLES  # flows: output.flows = true

#: Fields of a batch file, as documented in docs/batches.md.
BATCH_FIELDS = ("name", "description", "scenarios", "seed", "replicates", "deterministic",
                "common_random_numbers", "ensemble", "ensemble_file", "sweep", "output")
#: Parameter sets a batch may draw at most.
MAX_ENSEMBLE = 10_000
OUTPUT_FIELDS = ("tables", "flows", "columns")
#: Columns of each run table (for ``output.columns``).
TABLE_COLUMNS = {name: RUN_TABLES[name].names for name in TABLES}


@dataclass(frozen=True)
class BatchSpec:
    """A validated batch: what to run and what to write.

    Args:
        scenarios: scenarios (or paths of scenario files) to run; names must differ.
        name: the batch's name (the default results folder is ``results/<name>``).
        description: what the batch is for.
        seed: root seed of every run's seed. Default: the seed the scenarios share
            (an error if they differ).
        replicates: replicates per scenario and parameter point. Default: each
            scenario's own ``replicates``, or 1 for deterministic batches.
        deterministic: use expected flows instead of random draws.
        common_random_numbers: replicate k gets the same seed in every scenario,
            parameter point and parameter set (default); if False the seed also
            depends on the scenario name, the parameter point and the parameter set.
        ensemble: parameter sets per scenario and point: 1 (default) runs the
            calibrated point estimate; N > 1 runs N members of the calibrated
            ensemble, evenly spaced through its file (:mod:`sim.model.ensemble`), each
            with every replicate. A member's values stand in for the calibrated
            parameters' defaults; a scenario's own ``[parameters]`` and the sweep or
            design still win.
        ensemble_file: the ensemble file (default: the packaged
            ``sim/data/calibrated_ensemble.csv``); read only when ``ensemble > 1``.
        sweep: parameter name → list of values or ``"lo:hi:n"``; the batch runs the
            full factorial of all swept parameters.
        design: explicit points instead of a sweep: a list of mappings of factor →
            value, every point with the same factors. A factor is a parameter name
            or ``"<lever id>.<field>"``, a numeric intensity of a scenario's lever
            (see :mod:`sim.studies.batch.points`). Runs that come out identical (a
            scenario without the lever of a factor that alone differs) run once.
        tables: which run tables to write (any of :data:`TABLES`).
        columns: table → the only columns of it to write, besides the columns that
            identify a row (run_id, scenario, replicate, seed, year, code, …) and
            the design columns; tables not listed are written whole. Smaller and
            faster stores for batches that need a few numbers per run.
        flows: also write yearly origin–destination flows.
        source: the batch file, if the spec came from one (used in messages).

    Raises:
        InputError: naming the batch file and field, for any invalid value.
    """

    scenarios: tuple[Scenario, ...]
    name: str = "batch"
    description: str = ""
    seed: int | None = None
    replicates: int | None = None
    deterministic: bool = False
    common_random_numbers: bool = True
    sweep: Mapping[str, Any] = field(default_factory=dict)
    design: Sequence[Mapping[str, float]] | None = None
    tables: tuple[str, ...] = TABLES
    columns: Mapping[str, Sequence[str]] = field(default_factory=dict)
    flows: bool = False
    source: str | None = None
    ensemble: int = 1
    ensemble_file: str | Path | None = None
    #: The members' values, one mapping per parameter set (``({},)`` for ensemble = 1).
    parameter_sets: tuple[dict[str, float], ...] = field(init=False, default=({},),
                                                         repr=False)
    #: What the manifest records of the ensemble (file, sha256, provenance, members).
    ensemble_record: dict[str, Any] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        where = self.source or "<batch>"
        scenarios = tuple(s if isinstance(s, Scenario) else load_scenario(s)
                          for s in as_sequence(self.scenarios, "scenarios", where))
        if not scenarios:
            raise InputError("scenarios: list at least one scenario file", source=where)
        seen: dict[str, int] = {}
        for i, s in enumerate(scenarios):
            if s.name in seen:
                raise InputError(
                    f"scenarios[{i}]: a second scenario named '{s.name}' (also scenarios"
                    f"[{seen[s.name]}]); names label the rows of the results, so each "
                    "scenario needs its own name", source=where)
            seen[s.name] = i
        object.__setattr__(self, "scenarios", scenarios)
        check_name(self.name, where)
        check_type(self.description, str, "description", "a text", where)
        for flag in ("deterministic", "common_random_numbers", "flows"):
            check_type(getattr(self, flag), bool, flag, "true or false", where)
        object.__setattr__(self, "seed", self._root_seed(where))
        if self.replicates is not None:
            check_whole(self.replicates, "replicates", 1, 100_000, where)
        self._set_ensemble(where)
        tables = tuple(as_sequence(self.tables, "output.tables", where))
        for t in tables:
            if t not in TABLES:
                raise InputError(f"output.tables: unknown table {t!r}; allowed: "
                                 f"{', '.join(TABLES)} (flows: set output.flows = true)",
                                 source=where)
        if not tables and not self.flows:
            raise InputError("output.tables: list at least one table", source=where)
        object.__setattr__(self, "tables", tuple(t for t in TABLES if t in tables))
        object.__setattr__(self, "columns", self._checked_columns(where))
        if not isinstance(self.sweep, Mapping):
            raise InputError("sweep: expected a table of parameter = values", source=where)
        object.__setattr__(self, "sweep", {name: sweep_values(name, values, where)
                                           for name, values in self.sweep.items()})
        if self.design is not None:
            if self.sweep:
                raise InputError("design: a batch has a sweep or an explicit design, not "
                                 "both", source=where)
            object.__setattr__(self, "design", self._checked_design(where))
        planned = self.runs_planned()
        if planned > MAX_RUNS:
            raise InputError(f"{planned:,} runs planned, more than a batch may have "
                             f"({MAX_RUNS:,}); split it into several batches", source=where)

    def runs_planned(self) -> int:
        """Scenarios × points × parameter sets × replicates, counted, not listed.

        At least :func:`plan_batch`'s number of runs.
        """
        points = (len(self.design) if self.design is not None
                  else math.prod(len(v) for v in self.sweep.values()))
        return points * self.ensemble * sum(self.replicates_of(s) for s in self.scenarios)

    def _set_ensemble(self, where: str) -> None:
        check_whole(self.ensemble, "ensemble", 1, MAX_ENSEMBLE, where)
        if self.ensemble_file is not None and not isinstance(self.ensemble_file, str | Path):
            raise InputError(f"ensemble_file: expected a file name, got "
                             f"{self.ensemble_file!r}", source=where)
        if self.ensemble == 1:
            object.__setattr__(self, "parameter_sets", ({},))
            object.__setattr__(self, "ensemble_record", {
                "size": 1, "point_estimate": "sim/data/calibrated_parameters.toml"})
            return
        ensemble = read_ensemble(self.ensemble_file, field="ensemble", source=where)
        rows = ensemble.choose(self.ensemble, "ensemble", where)
        sets = tuple(dict(ensemble.members[i]) for i in rows)
        object.__setattr__(self, "parameter_sets", sets)
        object.__setattr__(self, "ensemble_record", {
            "size": self.ensemble, "file": str(ensemble.path), "sha256": ensemble.sha256,
            "members_in_file": ensemble.size, "digest": ensemble.digest(rows),
            "provenance": list(ensemble.provenance),
            "parameter_sets": [{"parameter_set": k, "member": ensemble.labels[i],
                                "row": i, "values": sets[k]}
                               for k, i in enumerate(rows)]})

    def _checked_columns(self, where: str) -> dict[str, tuple[str, ...]]:
        if not isinstance(self.columns, Mapping):
            raise InputError("output.columns: expected a table of table = [columns]",
                             source=where)
        out = {}
        for table, names in self.columns.items():
            if table not in self.tables:
                raise InputError(f"output.columns.{table}: not a table this batch writes "
                                 f"({', '.join(self.tables)})", source=where)
            allowed = TABLE_COLUMNS[table]
            names = tuple(as_sequence(names, f"output.columns.{table}", where))
            for name in names:
                if name not in allowed:
                    close = difflib.get_close_matches(str(name), allowed, n=1)
                    hint = f"did you mean '{close[0]}'? " if close else ""
                    raise InputError(f"output.columns.{table}: unknown column {name!r}; "
                                     f"{hint}see docs/model.md", source=where)
            out[table] = names
        return out

    def _checked_design(self, where: str) -> tuple[dict[str, float], ...]:
        design = as_sequence(self.design, "design", where)
        if not design:
            raise InputError("design: list at least one point", source=where)
        first = design[0]
        if not isinstance(first, Mapping) or not first:
            raise InputError("design[0]: expected a table of factor = value", source=where)
        names = list(first)
        for name in names:
            points.check_factor(name, self.scenarios, where, "design[0].")
        out = []
        for i, point in enumerate(design):
            if not isinstance(point, Mapping) or set(point) != set(names):
                raise InputError(f"design[{i}]: expected values of the same factors as "
                                 f"design[0] ({', '.join(names)})", source=where)
            out.append({n: points.check_value(n, point[n], self.scenarios, where,
                                              f"design[{i}].") for n in names})
        return tuple(out)

    def _root_seed(self, where: str) -> int:
        if self.seed is not None:
            check_whole(self.seed, "seed", 0, 2**63 - 1, where)
            return int(self.seed)
        seeds = {s.seed for s in self.scenarios}
        if len(seeds) > 1:
            listed = ", ".join(f"{s.name}: {s.seed}" for s in self.scenarios)
            raise InputError(f"seed: the scenarios have different seeds ({listed}); set "
                             "seed in the batch file so that replicate k shares its seed "
                             "across scenarios", source=where)
        return seeds.pop()

    @property
    def output_tables(self) -> tuple[str, ...]:
        """The tables each run writes, flows included when switched on."""
        return (*self.tables, "flows") if self.flows else self.tables

    def replicates_of(self, scenario: Scenario) -> int:
        """The number of replicates the batch runs of ``scenario``."""
        if self.replicates is not None:
            return int(self.replicates)
        return 1 if self.deterministic else scenario.replicates

    @property
    def design_columns(self) -> list[str]:
        """The design columns of the runs table and of every table part."""
        return list(self.design[0]) if self.design else list(self.sweep)

    def points(self) -> list[dict[str, float]]:
        """The points: the explicit design, or the sweep's full factorial (``[{}]``)."""
        if self.design is not None:
            return [dict(p) for p in self.design]
        return full_factorial(self.sweep)

    def to_data(self) -> dict[str, Any]:
        """The spec as plain data (scenarios by name and file), for manifests."""
        return {
            "name": self.name,
            "description": self.description,
            "scenarios": [{"name": s.name, "file": s.source} for s in self.scenarios],
            "seed": self.seed,
            "replicates": self.replicates,
            "deterministic": self.deterministic,
            "common_random_numbers": self.common_random_numbers,
            **({"ensemble": self.ensemble,
                "ensemble_file": self.ensemble_record["file"]} if self.ensemble > 1 else {}),
            "sweep": {k: list(v) for k, v in self.sweep.items()},
            **({"design": {"factors": self.design_columns, "points": len(self.design),
                           "digest": self.design_digest()}} if self.design else {}),
            "output": {"tables": list(self.tables), "flows": self.flows,
                       **({"columns": {t: list(c) for t, c in self.columns.items()}}
                          if self.columns else {})},
        }

    def design_digest(self) -> str | None:
        """A short hash of the explicit design points (None without a design)."""
        if self.design is None:
            return None
        text = json.dumps([list(p.items()) for p in self.design])
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def identity(self) -> dict[str, Any]:
        """What defines the batch's runs and files; resuming needs it unchanged.

        Scenarios enter by their content hash, not by their file name, so a moved
        batch folder can be resumed; the name and description do not enter.
        """
        return {
            "scenarios": {s.name: s.digest() for s in self.scenarios},
            "seed": self.seed,
            "replicates": {s.name: self.replicates_of(s) for s in self.scenarios},
            "deterministic": self.deterministic,
            "common_random_numbers": self.common_random_numbers,
            # Only with an ensemble, so the batches made before it keep their fingerprint.
            **({"ensemble": {"size": self.ensemble, "members": self.ensemble_record["digest"]}}
               if self.ensemble > 1 else {}),
            "sweep": {k: list(v) for k, v in self.sweep.items()},
            **({"design": self.design_digest()} if self.design else {}),
            "output": list(self.output_tables),
            **({"columns": {t: list(c) for t, c in self.columns.items()}}
               if self.columns else {}),
        }

    def fingerprint(self) -> str:
        """A short hash of :meth:`identity`."""
        text = json.dumps(self.identity(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_batch_spec(path: str | Path) -> BatchSpec:
    """Read and validate a batch file (TOML).

    Scenario paths are relative to the batch file. See docs/batches.md.

    Raises:
        InputError: missing or malformed file, unknown field, missing scenario file,
            bad sweep, or any other invalid value; the message names the file and field.
    """
    path = Path(path)
    return batch_spec_from_data(read_toml(path, "batch file"), source=str(path),
                                base=path.parent)


def batch_spec_from_data(data: Mapping[str, Any], *, source: str | None = None,
                         base: str | Path = ".") -> BatchSpec:
    """Validate batch-file data (as read from TOML) into a :class:`BatchSpec`.

    Args:
        data: the batch file's fields.
        source: the file the data came from, for messages.
        base: folder that scenario paths are relative to.
    """
    where = source or "<batch>"
    check_fields(data, BATCH_FIELDS, "", where)
    output = data.get("output", {})
    if not isinstance(output, Mapping):
        raise InputError("output: expected a table with tables and flows", source=where)
    check_fields(output, OUTPUT_FIELDS, "output.", where)
    if "scenarios" not in data:
        raise InputError("scenarios: required field missing; list scenario files, e.g. "
                         "scenarios = [\"../baseline.toml\"]", source=where)
    files = as_sequence(data["scenarios"], "scenarios", where)
    scenarios = []
    for i, ref in enumerate(files):
        if not isinstance(ref, str):
            raise InputError(f"scenarios[{i}]: expected a file name, got {ref!r}",
                             source=where)
        file = Path(os.path.normpath(Path(base) / ref))
        if not file.is_file():
            raise InputError(f"scenarios[{i}]: scenario file '{ref}' not found (looked for "
                             f"{file})", source=where)
        scenarios.append(load_scenario(file))
    name = data.get("name", Path(source).stem if source else "batch")
    ensemble_file = data.get("ensemble_file")
    if isinstance(ensemble_file, str):  # relative to the batch file, as scenarios are
        ensemble_file = Path(os.path.normpath(Path(base) / ensemble_file))
    return BatchSpec(
        scenarios=tuple(scenarios), name=name, description=data.get("description", ""),
        seed=data.get("seed"), replicates=data.get("replicates"),
        deterministic=data.get("deterministic", False),
        common_random_numbers=data.get("common_random_numbers", True),
        sweep=data.get("sweep", {}), tables=output.get("tables", TABLES),
        columns=output.get("columns", {}), flows=output.get("flows", False), source=source,
        ensemble=data.get("ensemble", 1), ensemble_file=ensemble_file)


#: What :func:`plan_batch` and :func:`sim.run_batch` accept as a batch.
SpecLike = BatchSpec | str | Path | Mapping[str, Any] | Sequence[Scenario | str | Path]


def as_batch_spec(spec: SpecLike, **fields: Any) -> BatchSpec:
    """A :class:`BatchSpec` from any of the forms a batch can be given in.

    Args:
        spec: a :class:`BatchSpec`; the path of a batch file; batch-file data (a
            dict); or a list of scenarios (or scenario file paths).
        **fields: :class:`BatchSpec` fields to set or change, e.g. ``replicates=10``,
            ``seed=1``, ``sweep={"migration_rate": "0.02:0.1:5"}``.
    """
    if isinstance(spec, str | Path):
        spec = load_batch_spec(spec)
    elif isinstance(spec, Mapping):
        spec = batch_spec_from_data(spec)
    elif isinstance(spec, Sequence) and not isinstance(spec, BatchSpec):
        return BatchSpec(scenarios=tuple(spec), **fields)
    if not isinstance(spec, BatchSpec):
        raise TypeError(f"expected a BatchSpec, a batch file path, a dict or a list of "
                        f"scenarios, got {type(spec).__name__}")
    return dataclasses.replace(spec, **fields) if fields else spec


def plan_batch(spec: SpecLike, **fields: Any) -> list[RunSpec]:
    """List every run of a batch, in a stable order, before running any.

    Order: scenarios as listed, then parameter points (the sweep's full factorial,
    last swept parameter fastest, or the design's points in order), then
    parameter sets, then replicates. Seeds and run ids do not depend on this
    order. A run identical to one already listed (same run id: a scenario without
    the lever of the only factor that differs) is listed once.

    Args:
        spec: a :class:`BatchSpec`, the path of a batch file, batch-file data, or a
            list of scenarios.
        **fields: :class:`BatchSpec` fields to set, e.g. ``replicates=10``.

    Returns:
        One :class:`RunSpec` per run.
    """
    spec = as_batch_spec(spec, **fields)
    runs: dict[str, RunSpec] = {}
    for scenario in spec.scenarios:
        planner = PointPlanner(spec, scenario)
        for point in spec.points():
            for member in range(spec.ensemble):
                for k in range(spec.replicates_of(scenario)):
                    run = planner.run(point, k, member)
                    runs.setdefault(run.run_id, run)
    return list(runs.values())
