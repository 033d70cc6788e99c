"""Outcomes: one number per run (or per pair of runs) computed from the run tables.

An outcome is a column of ``region_year`` (e.g. ``theil``) or an aggregate of a
``county_year`` column over a selection of counties (e.g. the population of
the pilots), in one year, optionally as the **effect of the scenario**: the
scenario's value minus the baseline's in the paired run (same design point,
same replicate and seed), absolute or relative (in %). With replicates, the
outcome of a design point is the mean over its replicates.

The same functions serve the batch store (:func:`read_run_values`) and runs
held in memory (:func:`run_values`, used by the EMA Workbench adapter), so
both compute the same numbers.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from sim.base.errors import InputError
from sim.model.region import census_year_for, load_region
from sim.model.scenario import Scenario
from sim.model.schema import COUNTY_YEAR_COLUMNS, FLOW_COLUMNS, REGION_YEAR_COLUMNS, SUM_COLUMNS
from sim.model.selection import TargetSpec
from sim.studies.batch.fields import check_fields

_NOT_OUTCOMES = {"run_id", "scenario", "replicate", "seed", "year", "code", "name_en",
                 "province", "is_pilot", "active_levers"}
#: Variables an outcome may use, by table.
REGION_VARIABLES = tuple(c for c in REGION_YEAR_COLUMNS if c not in _NOT_OUTCOMES)
COUNTY_VARIABLES = tuple(c for c in COUNTY_YEAR_COLUMNS if c not in _NOT_OUTCOMES)
#: County columns that add up over counties (others are averaged, weighted by population).
EXTENSIVE = SUM_COLUMNS
AGGREGATES = ("sum", "mean", "weighted_mean")
EFFECTS = ("absolute", "relative")
OUTCOME_FIELDS = ("name", "variable", "year", "counties", "aggregate", "effect")
#: Columns empty (NaN) in the start year's row: the year's flows, the lever bookkeeping
#: of its policy, and what the recorder derives from them (in the region table,
#: ``births`` and ``deaths`` are the flows' sums).
FLOW_VARIABLES = FLOW_COLUMNS


@dataclass(frozen=True)
class Outcome:
    """One outcome of a sensitivity analysis.

    Attributes:
        name: column name in the tables (letters, digits and ``_``).
        variable: the column it is computed from.
        year: the year it is measured in.
        counties: the county selection (None: a region-year variable).
        codes: the selected counties' codes (empty for region variables).
        aggregate: ``sum``, ``mean`` or ``weighted_mean`` (by population) over counties.
        effect: None, ``absolute`` (scenario − baseline) or ``relative``
            (100 · (scenario / baseline − 1), in %).
    """

    name: str
    variable: str
    year: int
    counties: TargetSpec | None = None
    codes: tuple[int, ...] = ()
    aggregate: str = "sum"
    effect: str | None = None

    @property
    def table(self) -> str:
        """The run table it reads."""
        return "region_year" if self.counties is None else "county_year"

    @property
    def columns(self) -> list[str]:
        """The columns of :attr:`table` it needs (besides run_id)."""
        if self.counties is None:
            return [self.variable]
        extra = ["population"] if self.aggregate == "weighted_mean" else []
        return ["code", self.variable, *extra]

    def describe(self) -> str:
        """A phrase for tables and captions, e.g. 'population, sum over pilots, 2025'."""
        where = (f", {self.aggregate.replace('_', ' ')} over {self.counties.describe()}"
                 if self.counties is not None else "")
        effect = {"absolute": " (scenario − baseline)",
                  "relative": " (scenario vs baseline, %)"}.get(self.effect or "", "")
        return f"{self.variable}{where}, {self.year}{effect}"


def make_outcome(entry: Any, i: int, scenario: Scenario, where: str) -> Outcome:
    """Validate one ``[[outcomes]]`` entry of a spec.

    Args:
        entry: ``name``, ``variable`` and optionally ``year`` (default: the end
            year), ``counties`` (a selection as in lever targets: ``"pilots"``,
            a list of counties, a table), ``aggregate`` and ``effect``.
        i: its index, for messages.
        scenario: the scenario (its years and region).
        where: the spec file, for messages.

    Raises:
        InputError: naming ``outcomes[i].<field>`` and what is allowed.
    """
    at = f"outcomes[{i}]"
    if not isinstance(entry, dict):
        raise InputError(f"{at}: expected a table with name and variable", source=where)
    check_fields(entry, OUTCOME_FIELDS, f"{at}.", where)
    for key in ("name", "variable"):
        if key not in entry:
            raise InputError(f"{at}.{key}: required field missing", source=where)
    name = entry["name"]
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
        raise InputError(f"{at}.name: {name!r} is not allowed; use letters, digits and '_', "
                         "starting with a letter", source=where)
    counties = None
    codes: tuple[int, ...] = ()
    if "counties" in entry:
        counties, codes = _counties(entry["counties"], scenario, f"{at}.counties", where)
    variable = entry["variable"]
    allowed = COUNTY_VARIABLES if counties is not None else REGION_VARIABLES
    if variable not in allowed:
        other = ("; county variables need counties = ..." if variable in COUNTY_VARIABLES
                 else "")
        level = "county" if counties is not None else "region"
        raise InputError(f"{at}.variable: {variable!r} is not a {level} variable{other}; "
                         f"allowed: {', '.join(allowed)}", source=where)
    year = entry.get("year", scenario.end_year)
    first = scenario.start_year + (1 if variable in FLOW_VARIABLES else 0)
    if isinstance(year, bool) or not isinstance(year, int) or not first <= year <= \
            scenario.end_year:
        what = "flows" if first > scenario.start_year else "values"
        raise InputError(f"{at}.year: expected a year from {first} to {scenario.end_year} "
                         f"(the years the scenario records {what} of {variable}), got "
                         f"{year!r}", source=where)
    default = "sum" if variable in EXTENSIVE else "weighted_mean"
    aggregate = entry.get("aggregate", default)
    if aggregate not in AGGREGATES:
        raise InputError(f"{at}.aggregate: {aggregate!r}; allowed: {', '.join(AGGREGATES)}",
                         source=where)
    if "aggregate" in entry and counties is None:
        raise InputError(f"{at}.aggregate: only county outcomes (with counties = ...) are "
                         "aggregated", source=where)
    effect = entry.get("effect")
    if effect is not None and effect not in EFFECTS:
        raise InputError(f"{at}.effect: {effect!r}; allowed: {', '.join(EFFECTS)} (leave it "
                         "out for the scenario's own value)", source=where)
    return Outcome(name=name, variable=variable, year=int(year), counties=counties,
                   codes=codes, aggregate=aggregate, effect=effect)


def _counties(value: Any, scenario: Scenario, at: str, where: str
              ) -> tuple[TargetSpec, tuple[int, ...]]:
    try:
        spec = TargetSpec.model_validate(value)
    except ValidationError as err:
        message = err.errors()[0]["msg"].removeprefix("Value error, ")
        raise InputError(f"{at}: {message}", source=where) from None
    region = load_region(scenario.region, census_year_for(scenario.start_year))
    travel_time = None
    if spec.border:
        from sim.model.network import Network

        network = Network(region, scenario.model_parameters())
        network.set_year(scenario.start_year)
        travel_time = network.travel_time
    try:
        mask = spec.resolve(region, travel_time)
    except InputError as err:
        raise InputError(f"{at}: {err}", source=where) from None
    codes = region.table["code"].to_numpy()[mask]
    return spec, tuple(int(c) for c in codes)


# -- values per run ---------------------------------------------------------------------


def tables_needed(outcomes: Sequence[Outcome]) -> list[str]:
    """The run tables the outcomes read, in the batch layer's order."""
    needed = {o.table for o in outcomes}
    return [t for t in ("county_year", "region_year") if t in needed]


def values_from_tables(outcomes: Sequence[Outcome], tables: Mapping[str, pd.DataFrame]
                       ) -> pd.DataFrame:
    """Each outcome's value in each run of some run tables (effects not yet taken).

    Args:
        outcomes: the outcomes.
        tables: ``county_year`` and/or ``region_year`` rows of one or many runs,
            with ``run_id``, ``year`` and the outcomes' columns.

    Returns:
        One row per run (index ``run_id``), one column per outcome.
    """
    columns = {}
    for o in outcomes:
        t = tables[o.table]
        rows = t[t["year"] == o.year]
        if o.counties is None:
            columns[o.name] = rows.set_index("run_id")[o.variable].astype(float)
            continue
        rows = rows[rows["code"].isin(o.codes)]
        values = rows[o.variable].astype(float)
        if o.aggregate == "weighted_mean":
            w = rows["population"].astype(float)
            num = (values * w).groupby(rows["run_id"], observed=True).sum()
            columns[o.name] = num / w.groupby(rows["run_id"], observed=True).sum()
        else:
            columns[o.name] = values.groupby(rows["run_id"], observed=True).agg(o.aggregate)
    out = pd.DataFrame(columns)
    out.index = out.index.astype(str)
    out.index.name = "run_id"
    return out


def read_run_values(batch: Any, outcomes: Sequence[Outcome],
                    run_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """:func:`values_from_tables` for the done runs of a batch store.

    Reads each table once, only the rows of the years the outcomes use and only
    the columns they need.
    """
    tables = {}
    for table in tables_needed(outcomes):
        mine = [o for o in outcomes if o.table == table]
        columns = sorted({c for o in mine for c in o.columns})
        years = sorted({o.year for o in mine})
        tables[table] = batch.read(table, columns=["run_id", "year", *columns],
                                   filters=[("year", "in", years)], run_ids=run_ids)
    return values_from_tables(outcomes, tables)


def run_values(outcomes: Sequence[Outcome], results: Any) -> dict[str, float]:
    """Each outcome's value in one run held in memory (a :class:`sim.Results`)."""
    tables = {"county_year": results.county_year, "region_year": results.region_year}
    row = values_from_tables(outcomes, tables).iloc[0]
    return {o.name: float(row[o.name]) for o in outcomes}


def effect(outcome: Outcome, scenario: np.ndarray | float, baseline: np.ndarray | float
           ) -> np.ndarray | float:
    """The outcome as used in the analysis: the value itself, or its effect vs baseline."""
    if outcome.effect is None:
        return scenario
    if outcome.effect == "absolute":
        return np.subtract(scenario, baseline)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * (np.divide(scenario, baseline) - 1.0)


def design_outcomes(outcomes: Sequence[Outcome], values: pd.DataFrame,
                    runs: pd.DataFrame) -> pd.DataFrame:
    """The outcome of every design point: effects paired by replicate, mean over replicates.

    Args:
        outcomes: the outcomes.
        values: :func:`read_run_values` (index run_id).
        runs: one row per design point and replicate with ``point``, ``replicate``,
            ``run_id`` and (with effect outcomes) ``baseline_run_id``.

    Returns:
        One row per design point (index ``point``), one column per outcome; NaN
        where a run is missing.
    """
    out = {}
    for o in outcomes:
        s = values[o.name].reindex(runs["run_id"]).to_numpy()
        b = (values[o.name].reindex(runs["baseline_run_id"]).to_numpy()
             if o.effect is not None else math.nan)
        per_run = pd.Series(effect(o, s, b), index=runs.index)
        out[o.name] = per_run.groupby(runs["point"]).mean()
        # A point with a missing replicate is missing (the mean of the rest would
        # silently mix points of different precision).
        missing = pd.Series(np.isnan(per_run.to_numpy()), index=runs.index)
        out[o.name][missing.groupby(runs["point"]).any()] = math.nan
    frame = pd.DataFrame(out)
    frame.index.name = "point"
    return frame
