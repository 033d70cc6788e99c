"""Scenario versus baseline: paired differences and replicate bands.

Runs are paired by replicate (and by swept parameter values, in a batch that
sweeps them): replicate *k* of a scenario and replicate *k* of the baseline use
the same seed (common random numbers), so their difference removes most of the
stochastic noise that two independent runs would differ by. Bands are
percentiles of the paired differences over replicates.

In a batch with an ensemble (``ensemble = N``) runs are also paired by
``parameter_set``: replicate *k* of member *m* with replicate *k* of member *m*.
The band is then over every run, so it holds parameter uncertainty and stochastic
noise, and :func:`summarise` adds the parameter band (of the members' means) and
the split of the variance into ``var_parameter`` and ``var_stochastic``
(:mod:`sim.outputs.bands`). Without an ensemble the tables are as they always were.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from sim.base.errors import InputError
from sim.model.schema import CONTRACT_COLUMNS, ID_COLUMNS, PARAMETER_SET
from sim.outputs.bands import ensemble_split, has_ensemble
from sim.outputs.reader import ResultsSet

LEVELS = ("region", "county")
#: Default band: the 5th to the 95th percentile over replicates (a 90 % band).
BAND = (5.0, 95.0)
_NOT_VARIABLES = {*ID_COLUMNS, PARAMETER_SET, "year", "code", "origin", "destination"}


def table_for(rs: ResultsSet, level: str) -> pd.DataFrame:
    """The region-year or county-year table of a results set."""
    if level not in LEVELS:
        raise InputError(f"unknown level '{level}'; allowed: {', '.join(LEVELS)}")
    return rs.region_year if level == "region" else rs.county_year


def variables(rs: ResultsSet, level: str = "region") -> list[str]:
    """Numeric output columns that can be compared at a level."""
    table = table_for(rs, level)
    return [c for c in table.columns if c in CONTRACT_COLUMNS and c not in _NOT_VARIABLES
            and pd.api.types.is_numeric_dtype(table[c]) and table[c].dtype != bool]


def check_variable(rs: ResultsSet, variable: str, level: str = "region") -> None:
    """Raise :class:`InputError` unless ``variable`` is a numeric column at ``level``."""
    allowed = variables(rs, level)
    if variable not in allowed:
        raise InputError(f"unknown {level} variable '{variable}'; allowed: "
                         + ", ".join(allowed), source=rs.label)


def pair_keys(rs: ResultsSet) -> list[str]:
    """Columns on which scenario runs are paired with baseline runs.

    The replicate, the parameter set (in a batch with an ensemble) and the swept
    parameters.
    """
    member = [PARAMETER_SET] if PARAMETER_SET in rs.region_year.columns else []
    return ["replicate", *member, *rs.parameter_columns]


def paired_differences(rs: ResultsSet, variable: str, baseline: str = "baseline", *,
                       level: str = "region", relative: bool = False,
                       scenarios: Sequence[str] | None = None,
                       years: Sequence[int] | None = None) -> pd.DataFrame:
    """Scenario minus baseline for each paired run, year (and county).

    Args:
        rs: the results.
        variable: a numeric column of the region-year or county-year table.
        baseline: the reference scenario.
        level: ``"region"`` or ``"county"``.
        relative: differences in % of the baseline value instead of absolute.
        scenarios: the scenarios to compare (default: all but the baseline).
        years: only these years (default: all recorded years).

    Returns:
        One row per scenario, replicate, year (and county) with ``value``,
        ``baseline_value`` and ``difference``.

    Raises:
        InputError: unknown baseline, scenario or variable, or a scenario run
            without a baseline run of the same replicate.
    """
    rs.require_scenario(baseline, "baseline")
    check_variable(rs, variable, level)
    scenarios = [s for s in (scenarios or rs.scenarios) if s != baseline]
    for name in scenarios:
        rs.require_scenario(name)
    where = ["year", "code"] if level == "county" else ["year"]
    extra = [c for c in ("name_en", "province", "is_pilot") if level == "county"]
    table = table_for(rs, level)
    if years is not None:
        table = table[table["year"].isin(list(years))]
    return difference_table(table, variable, baseline, keys=pair_keys(rs),
                            where=where, extra=extra, relative=relative,
                            scenarios=scenarios, label=rs.label)


def difference_table(table: pd.DataFrame, variable: str, baseline: str, *,
                     keys: Sequence[str], where: Sequence[str], scenarios: Sequence[str],
                     extra: Sequence[str] = (), relative: bool = False,
                     label: str | None = None) -> pd.DataFrame:
    """Pair the rows of each scenario with the baseline's and take differences.

    Args:
        table: a tidy table with ``scenario``, the pairing ``keys``, the
            ``where`` columns (year, code) and ``variable``.
        variable: the column to difference.
        baseline: the reference scenario.
        keys: columns runs are paired on (replicate, swept parameters).
        where: columns rows are matched on within a run pair.
        scenarios: the scenarios to compare, in output order.
        extra: columns carried along (e.g. county names).
        relative: % of the baseline value instead of absolute differences.
        label: folder named in errors.

    Returns:
        ``scenario``, keys, where, extra, ``value``, ``baseline_value``, ``difference``.
    """
    keys, where = list(keys), list(where)
    base = table.loc[table["scenario"] == baseline, [*keys, *where, variable]].rename(
        columns={variable: "baseline_value"})
    other = table.loc[table["scenario"].isin(scenarios),
                      ["scenario", *keys, *where, *extra, variable]].rename(
        columns={variable: "value"})
    _check_pairs(label, base[keys], other[["scenario", *keys]], keys)
    merged = other.merge(base, on=[*keys, *where], how="left", validate="many_to_one")
    if relative:
        merged["difference"] = 100.0 * (merged["value"] / merged["baseline_value"] - 1.0)
    else:
        merged["difference"] = merged["value"] - merged["baseline_value"]
    order = {name: i for i, name in enumerate(scenarios)}
    return merged.sort_values(["scenario", *keys, *where],
                              key=lambda s: s.map(order) if s.name == "scenario" else s,
                              kind="stable").reset_index(drop=True)


def _check_pairs(label: str | None, base: pd.DataFrame, other: pd.DataFrame,
                 keys: list[str]) -> None:
    """Every scenario run needs a baseline run with the same pairing keys."""
    present = base.drop_duplicates().assign(_paired=True)
    runs = other.drop_duplicates().merge(present, on=keys, how="left")
    missing = runs[runs["_paired"].isna()]
    if missing.empty:
        return
    row = missing.iloc[0]
    params = [k for k in keys if k != "replicate"]  # swept parameters
    same = "replicate" + (" and " + ", ".join(f"{k}={row[k]}" for k in params)
                          if params else "")
    held = "; ".join(f"baseline {'replicates' if k == 'replicate' else k}: "
                     + ", ".join(str(v) for v in _sorted_values(base[k])) for k in keys)
    more = f" ({len(missing)} unpaired runs in all)" if len(missing) > 1 else ""
    raise InputError(f"scenario '{row['scenario']}' replicate {row['replicate']} has no "
                     f"baseline run with the same {same}{more}; {held}", source=label)


def _sorted_values(values: pd.Series) -> list:
    """Distinct values, sorted when they can be."""
    distinct = list(pd.unique(values))
    try:
        return sorted(distinct)
    except TypeError:
        return distinct


def summarise(table: pd.DataFrame, value: str, by: Sequence[str],
              band: tuple[float, float] = BAND) -> pd.DataFrame:
    """Mean, median and percentile band of ``value`` over runs.

    Returns:
        One row per group of ``by`` with ``mean``, ``median``, ``low``, ``high``
        (the ``band`` percentiles over every run) and ``n`` (finite values). The band
        is kept in ``.attrs["band"]``. When ``table`` holds more than one
        ``parameter_set`` (a batch with an ensemble) and ``by`` does not group by it,
        the split of the band follows (:data:`sim.outputs.bands.SPLIT_COLUMNS`):
        ``parameter_sets``, ``parameter_low`` and ``parameter_high`` (the band of the
        parameter sets' means: parameter uncertainty alone), ``var_parameter``,
        ``var_stochastic`` and ``parameter_share``; ``.attrs["ensemble"]`` is then
        True.
    """
    lo, hi = band
    if not 0 <= lo < hi <= 100:
        raise InputError(f"band ({lo}, {hi}) must be two percentiles with 0 ≤ low < high ≤ 100")
    g = table.groupby(list(by), sort=False)[value]
    out = pd.DataFrame({
        "mean": g.mean(),
        "median": g.median(),
        "low": g.quantile(lo / 100),
        "high": g.quantile(hi / 100),
        "n": g.count(),
    })
    ensemble = PARAMETER_SET not in by and has_ensemble(table)
    if ensemble:
        out = out.join(ensemble_split(table, value, by, low=lo / 100, high=hi / 100))
    out = out.reset_index()
    out.attrs["band"] = (lo, hi)
    out.attrs["ensemble"] = ensemble
    return out


def levels(rs: ResultsSet, variable: str, *, level: str = "region",
           scenarios: Sequence[str] | None = None, band: tuple[float, float] = BAND,
           years: Sequence[int] | None = None) -> pd.DataFrame:
    """A variable's mean and band over runs, per scenario and year (and county).

    ``years`` keeps only those years (default: all recorded years). With an
    ensemble, the band is over parameter sets and replicates, and split as
    :func:`summarise` says.
    """
    check_variable(rs, variable, level)
    table = table_for(rs, level)
    if years is not None:
        table = table[table["year"].isin(list(years))]
    if scenarios is not None:
        for name in scenarios:
            rs.require_scenario(name)
        table = table[table["scenario"].isin(scenarios)]
    by = ["scenario", "year", "code"] if level == "county" else ["scenario", "year"]
    return summarise(table, variable, by, band)


def compare(rs: ResultsSet, variable: str, baseline: str = "baseline", *,
            level: str = "region", relative: bool = False,
            scenarios: Sequence[str] | None = None, band: tuple[float, float] = BAND,
            years: Sequence[int] | None = None) -> pd.DataFrame:
    """Mean and band of scenario-minus-baseline differences per scenario and year.

    The band is taken over paired runs (see :func:`paired_differences`, whose
    arguments this shares): replicates and, with an ensemble, parameter sets, split
    as :func:`summarise` says. County level adds a ``code`` column.
    """
    diff = paired_differences(rs, variable, baseline, level=level, relative=relative,
                              scenarios=scenarios, years=years)
    by = ["scenario", "year", "code"] if level == "county" else ["scenario", "year"]
    return summarise(diff, "difference", by, band)


def final_year(rs: ResultsSet, year: int | None = None) -> int:
    """``year`` if it was recorded (default: the last recorded year)."""
    if year is None:
        return rs.years[-1]
    if year not in rs.years:
        raise InputError(f"year {year} was not recorded; years: {rs.years[0]}–{rs.years[-1]}",
                         source=rs.label)
    return int(year)
