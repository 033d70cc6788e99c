"""Sensitivity specs: TOML files in ``scenarios/sensitivity/``, validated up front.

A spec names a scenario (and a baseline, for effect outcomes), the factors
and their ranges, the design, the outcomes, and optionally a scenario
discovery question. Every mistake stops before anything runs, with one line
naming the file, the field and what is allowed (see docs/sensitivity.md).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.base.errors import InputError
from sim.base.tomlfile import read_toml
from sim.model.scenario import Scenario, load_scenario
from sim.studies.batch.fields import as_sequence, check_fields, check_type, check_whole
from sim.studies.batch.spec import TABLES
from sim.studies.sensitivity.factors import Factor, make_factor
from sim.studies.sensitivity.factors import problem as salib_problem
from sim.studies.sensitivity.outcomes import Outcome, make_outcome, tables_needed

SPEC_FIELDS = ("name", "description", "scenario", "baseline", "seed", "deterministic",
               "replicates", "end_year", "tables", "design", "factors", "outcomes",
               "analysis", "discovery")
METHODS = ("sobol", "morris", "lhs", "factorial")
DESIGN_FIELDS = ("method", "samples", "second_order", "levels")
ANALYSIS_FIELDS = ("confidence", "resamples", "convergence")
DISCOVERY_FIELDS = ("outcome", "threshold", "direction", "method", "max_depth",
                    "min_mass", "min_density")
DISCOVERY_METHODS = ("tree", "prim")


@dataclass(frozen=True)
class Design:
    """How the factor space is sampled.

    Attributes:
        method: ``sobol`` (Saltelli's scheme), ``morris``, ``lhs`` or ``factorial``.
        samples: Sobol: base sample N (a power of 2); Morris: trajectories; LHS:
            points; factorial: unused.
        second_order: Sobol only: also second-order indices (N(2k+2) runs, not N(k+2)).
        levels: Morris: grid levels (even); factorial: values per factor.
    """

    method: str = "sobol"
    samples: int = 64
    second_order: bool = False
    levels: int = 4


@dataclass(frozen=True)
class Analysis:
    """How indices are estimated.

    Attributes:
        confidence: level of the bootstrap confidence intervals.
        resamples: bootstrap resamples.
        convergence: also estimate indices on the first N/2, N/4, … base samples.
    """

    confidence: float = 0.95
    resamples: int = 1000
    convergence: bool = True


@dataclass(frozen=True)
class Discovery:
    """A scenario discovery question: where does an outcome pass a threshold?

    Attributes:
        outcome: the outcome's name.
        threshold: the threshold.
        direction: ``above`` (cases of interest: outcome > threshold) or ``below``.
        method: ``tree`` (a classification tree, scikit-learn) or ``prim`` (the EMA
            Workbench's PRIM; needs ``countysim[ema]``).
        max_depth: tree depth (conditions per box).
        min_mass: smallest share of the design points a box may hold.
        min_density: PRIM: the box chosen is the one of largest coverage whose
            density reaches this.
    """

    outcome: str
    threshold: float
    direction: str = "above"
    method: str = "tree"
    max_depth: int = 3
    min_mass: float = 0.05
    min_density: float = 0.8


@dataclass(frozen=True)
class SensitivitySpec:
    """A validated sensitivity analysis. Build it with :func:`load_sensitivity_spec`.

    Attributes:
        name: the analysis's name (default results folder ``results/<name>``).
        description: what it asks.
        scenario: the scenario whose parameters and lever intensities vary (its
            ``end_year`` replaced by the spec's, if given).
        baseline: the reference scenario of effect outcomes (None without them).
        seed: root seed of the design, the bootstrap and every run.
        deterministic: expected flows instead of random draws.
        replicates: runs per design point (the outcome is their mean).
        factors: the factors, in design column order.
        outcomes: the outcomes.
        design: the sampling design.
        analysis: how indices are estimated.
        discovery: the scenario discovery question, if any.
        tables: run tables written (those the outcomes read, plus any asked for).
        columns: table → the columns written of a table the outcomes read and the
            spec did not ask to keep whole (ids and keys are always written).
        source: the spec file.
    """

    name: str
    scenario: Scenario
    factors: tuple[Factor, ...]
    outcomes: tuple[Outcome, ...]
    design: Design
    seed: int
    description: str = ""
    baseline: Scenario | None = None
    deterministic: bool = True
    replicates: int = 1
    analysis: Analysis = field(default_factory=Analysis)
    discovery: Discovery | None = None
    tables: tuple[str, ...] = ()
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source: str | None = None

    @property
    def problem(self) -> dict[str, Any]:
        """The SALib problem (factor names and ranges)."""
        return salib_problem(self.factors)

    @property
    def needs_baseline(self) -> bool:
        """Whether some outcome is an effect against the baseline."""
        return any(o.effect is not None for o in self.outcomes)


def load_sensitivity_spec(path: str | Path) -> SensitivitySpec:
    """Read and validate a sensitivity spec (TOML); scenario paths are relative to it.

    Raises:
        InputError: naming the file and field, for any problem.
    """
    path = Path(path)
    return spec_from_data(read_toml(path, "sensitivity spec"), source=str(path),
                          base=path.parent)


def spec_from_data(data: Mapping[str, Any], *, source: str | None = None,
                   base: str | Path = ".") -> SensitivitySpec:
    """Validate spec data (as read from TOML) into a :class:`SensitivitySpec`.

    Args:
        data: the spec's fields; ``scenario`` and ``baseline`` may be file paths
            (relative to ``base``) or :class:`~sim.Scenario` objects.
        source: the file the data came from, for messages.
        base: the folder scenario paths are relative to.
    """
    where = source or "<sensitivity spec>"
    check_fields(data, SPEC_FIELDS, "", where)
    for key in ("scenario", "factors", "outcomes"):
        if key not in data:
            raise InputError(f"{key}: required field missing; see docs/sensitivity.md",
                             source=where)
    end_year = data.get("end_year")
    scenario = _scenario(data["scenario"], "scenario", base, end_year, where)
    baseline = (_scenario(data["baseline"], "baseline", base, end_year, where)
                if "baseline" in data else None)
    if baseline is not None and baseline.name == scenario.name:
        raise InputError(f"baseline: has the same name as the scenario ('{scenario.name}'); "
                         "names label the runs, so they must differ", source=where)
    name = data.get("name", Path(source).stem if source else "sensitivity")
    check_type(name, str, "name", "a text", where)
    if not name or not all(c.isalnum() or c in "_-." for c in name):
        raise InputError(f"name: {name!r} is not allowed; use letters, digits, '_', '-' and "
                         "'.'", source=where)
    description = data.get("description", "")
    check_type(description, str, "description", "a text", where)
    seed = data.get("seed", scenario.seed)
    check_whole(seed, "seed", 0, 2**63 - 1, where)
    deterministic = data.get("deterministic", True)
    check_type(deterministic, bool, "deterministic", "true or false", where)
    replicates = data.get("replicates", 1)
    check_whole(replicates, "replicates", 1, 10_000, where)
    if deterministic and replicates > 1:
        raise InputError("replicates: deterministic runs are all alike; set deterministic = "
                         "false for stochastic replicates, or replicates = 1", source=where)

    factors = tuple(make_factor(e, i, scenario, where)
                    for i, e in enumerate(as_sequence(data["factors"], "factors", where)))
    if not factors:
        raise InputError("factors: list at least one factor", source=where)
    names = [f.name for f in factors]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise InputError(f"factors[{i}]: {n} is listed twice", source=where)
    outcomes = tuple(make_outcome(e, i, scenario, where)
                     for i, e in enumerate(as_sequence(data["outcomes"], "outcomes", where)))
    if not outcomes:
        raise InputError("outcomes: list at least one outcome", source=where)
    for i, o in enumerate(outcomes):
        if o.name in [p.name for p in outcomes[:i]]:
            raise InputError(f"outcomes[{i}].name: '{o.name}' is used twice", source=where)
        if o.name in names:
            raise InputError(f"outcomes[{i}].name: '{o.name}' is also a factor", source=where)
        if o.effect is not None and baseline is None:
            raise InputError(f"outcomes[{i}].effect: an effect needs a baseline; add "
                             "baseline = \"../baseline.toml\"", source=where)
    design = _design(data.get("design", {}), factors, where)
    analysis = _analysis(data.get("analysis", {}), where)
    discovery = (_discovery(data["discovery"], outcomes, where)
                 if "discovery" in data else None)
    whole = as_sequence(data.get("tables", []), "tables", where)
    tables = _tables(whole, outcomes, where)
    columns = {t: tuple(sorted({c for o in outcomes if o.table == t for c in o.columns}))
               for t in tables if t not in whole}
    return SensitivitySpec(
        name=name, description=description, scenario=scenario, baseline=baseline,
        seed=int(seed), deterministic=deterministic, replicates=int(replicates),
        factors=factors, outcomes=outcomes, design=design, analysis=analysis,
        discovery=discovery, tables=tables, columns=columns, source=source)


def _scenario(ref: Any, key: str, base: str | Path, end_year: Any, where: str) -> Scenario:
    if isinstance(ref, Scenario):
        scenario = ref
    elif isinstance(ref, str):
        file = Path(os.path.normpath(Path(base) / ref))
        if not file.is_file():
            raise InputError(f"{key}: scenario file '{ref}' not found (looked for {file})",
                             source=where)
        scenario = load_scenario(file)
    else:
        raise InputError(f"{key}: expected a scenario file name, got {ref!r}", source=where)
    if end_year is None:
        return scenario
    if isinstance(end_year, bool) or not isinstance(end_year, int) or \
            not scenario.start_year < end_year <= scenario.end_year:
        raise InputError(f"end_year: expected a year after {scenario.start_year} and at most "
                         f"{scenario.end_year} (the {key}'s years), got {end_year!r}",
                         source=where)
    return scenario.with_changes(end_year=end_year)


def _design(data: Any, factors: tuple[Factor, ...], where: str) -> Design:
    if not isinstance(data, Mapping):
        raise InputError("design: expected a table with method and samples", source=where)
    check_fields(data, DESIGN_FIELDS, "design.", where)
    method = data.get("method", "sobol")
    if method not in METHODS:
        raise InputError(f"design.method: {method!r}; allowed: {', '.join(METHODS)}",
                         source=where)
    samples = data.get("samples", 64)
    check_whole(samples, "design.samples", 2, 1_000_000, where)
    if method == "sobol" and samples & (samples - 1):
        raise InputError(f"design.samples: {samples} is not a power of 2; Sobol' sequences "
                         "are balanced at powers of 2 (e.g. 64, 128, 256, 512)", source=where)
    second = data.get("second_order", False)
    check_type(second, bool, "design.second_order", "true or false", where)
    if second and method != "sobol":
        raise InputError("design.second_order: only Sobol designs estimate second-order "
                         "indices", source=where)
    levels = data.get("levels", 4 if method == "morris" else 3)
    check_whole(levels, "design.levels", 2, 1000, where)
    if method == "morris" and levels % 2:
        raise InputError(f"design.levels: {levels}; Morris designs need an even number of "
                         "levels (e.g. 4 or 6)", source=where)
    if method != "factorial" and any(f.values for f in factors):
        i = next(i for i, f in enumerate(factors) if f.values)
        raise InputError(f"factors[{i}].values: explicit values are for factorial designs; "
                         "give range = [lo, hi] instead", source=where)
    if method == "factorial" and "samples" in data:
        raise InputError("design.samples: a factorial design runs every combination of "
                         "levels; set design.levels or factors[i].values", source=where)
    return Design(method=method, samples=int(samples), second_order=second,
                  levels=int(levels))


def _analysis(data: Any, where: str) -> Analysis:
    if not isinstance(data, Mapping):
        raise InputError("analysis: expected a table", source=where)
    check_fields(data, ANALYSIS_FIELDS, "analysis.", where)
    confidence = data.get("confidence", 0.95)
    if isinstance(confidence, bool) or not isinstance(confidence, float | int) or \
            not 0.5 <= confidence < 1:
        raise InputError(f"analysis.confidence: expected a number from 0.5 to 0.999, got "
                         f"{confidence!r}", source=where)
    resamples = data.get("resamples", 1000)
    check_whole(resamples, "analysis.resamples", 10, 100_000, where)
    convergence = data.get("convergence", True)
    check_type(convergence, bool, "analysis.convergence", "true or false", where)
    return Analysis(confidence=float(confidence), resamples=int(resamples),
                    convergence=convergence)


def _discovery(data: Any, outcomes: tuple[Outcome, ...], where: str) -> Discovery:
    if not isinstance(data, Mapping):
        raise InputError("discovery: expected a table with outcome and threshold",
                         source=where)
    check_fields(data, DISCOVERY_FIELDS, "discovery.", where)
    for key in ("outcome", "threshold"):
        if key not in data:
            raise InputError(f"discovery.{key}: required field missing", source=where)
    names = [o.name for o in outcomes]
    if data["outcome"] not in names:
        raise InputError(f"discovery.outcome: {data['outcome']!r} is not an outcome of this "
                         f"spec; outcomes: {', '.join(names)}", source=where)
    threshold = data["threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or \
            not math.isfinite(threshold):
        raise InputError(f"discovery.threshold: expected a number, got {threshold!r}",
                         source=where)
    direction = data.get("direction", "above")
    if direction not in ("above", "below"):
        raise InputError(f"discovery.direction: {direction!r}; allowed: above, below",
                         source=where)
    method = data.get("method", "tree")
    if method not in DISCOVERY_METHODS:
        raise InputError(f"discovery.method: {method!r}; allowed: "
                         f"{', '.join(DISCOVERY_METHODS)}", source=where)
    depth = data.get("max_depth", 3)
    check_whole(depth, "discovery.max_depth", 1, 10, where)
    shares = {}
    for key, default in (("min_mass", 0.05), ("min_density", 0.8)):
        v = data.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v <= 1:
            raise InputError(f"discovery.{key}: expected a share in (0, 1], got {v!r}",
                             source=where)
        shares[key] = float(v)
    return Discovery(outcome=data["outcome"], threshold=float(threshold), direction=direction,
                     method=method, max_depth=int(depth), **shares)


def _tables(extra: Any, outcomes: tuple[Outcome, ...], where: str) -> tuple[str, ...]:
    for t in extra:
        if t not in TABLES:
            raise InputError(f"tables: unknown table {t!r}; allowed: "
                             f"{', '.join(TABLES)}", source=where)
    wanted = {*tables_needed(outcomes), *extra}
    return tuple(t for t in TABLES if t in wanted)
