"""The pilot effect: a simulated difference-in-differences.

A paper on the pilot programme would compare the change in pilot counties with
the change in comparable non-pilot counties (difference-in-differences). The
model can do what no field study can: run the same world with and without the
reform. This module does both:

1. **Matching.** Each treated county (default: the nine pilots) gets its ``k``
   nearest non-treated counties by Euclidean distance on standardised start-year
   covariates: log population, log GDP per capita and travel time to the cores
   (nearest-neighbour matching with replacement).
2. **Changes.** For each run, the outcome's change from the start year to the
   end year, Δ = f(x_end) − f(x_start), with f = 100·ln for positive outcomes
   (log points ≈ %) or f = identity; for flow columns (no start-year value)
   the sum over the simulated years.
3. **Differences-in-differences.** In each run, DiD = mean Δ of treated −
   mean Δ of their matched controls. The scenario's DiD minus the baseline's
   DiD (same replicate) is the **pilot effect**; it equals the true effect on
   the treated (scenario − baseline in the treated counties, ``att``) minus
   the spill-over onto the controls (``control_effect``), both reported so a
   reader can see how far the quasi-experiment is from the truth.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.analysis.compare import BAND, check_variable, pair_keys, summarise
from sim.base.errors import InputError
from sim.model.schema import CONTRACT_COLUMNS, PARAMETER_SET
from sim.outputs.reader import ResultsSet

#: Start-year covariates the matching uses, with their transformation.
MATCH_COVARIATES = {
    "population": np.log,
    "gdp_per_capita_yuan": np.log,
    "travel_time_to_core_h": lambda x: x,
}


def match_controls(rs: ResultsSet, treated: Sequence[int] | None = None, *, k: int = 1,
                   baseline: str | None = None, year: int | None = None) -> pd.DataFrame:
    """Nearest non-treated neighbours of each treated county on start-year covariates.

    Args:
        rs: the results (covariates come from the first run of ``baseline``, or of
            the first scenario).
        treated: codes of the treated counties (default: the pilots, ``is_pilot``).
        k: controls per treated county (with replacement).
        baseline: the scenario whose start-year state is used.
        year: the year of the covariates (default: the first recorded year).

    Returns:
        One row per (treated, control) pair: ``treated``, ``treated_name``,
        ``control``, ``control_name``, ``rank`` (1 = nearest), ``distance`` (in
        standard deviations) and the covariates of both.
    """
    state = _start_state(rs, baseline, year)
    is_treated = _treated_mask(state, treated, rs.label)
    pool = state[~is_treated]
    if len(pool) < k:
        raise InputError(f"k = {k} controls per treated county, but only {len(pool)} "
                         "non-treated counties", source=rs.label)
    z = _standardised(state)
    zt, zc = z[is_treated], z[~is_treated]
    dist = np.sqrt(((zt[:, None, :] - zc[None, :, :]) ** 2).sum(axis=2))
    order = np.argsort(dist, axis=1, kind="stable")[:, :k]
    rows = []
    for i, (_, t) in enumerate(state[is_treated].iterrows()):
        for rank, j in enumerate(order[i], start=1):
            c = pool.iloc[j]
            row = {"treated": int(t["code"]), "treated_name": t["name_en"],
                   "control": int(c["code"]), "control_name": c["name_en"],
                   "rank": rank, "distance": float(dist[i, j])}
            for name in MATCH_COVARIATES:
                row[f"treated_{name}"] = float(t[name])
                row[f"control_{name}"] = float(c[name])
            rows.append(row)
    return pd.DataFrame(rows)


def pilot_effect_runs(rs: ResultsSet, variable: str = "gdp_per_capita_yuan",
                      baseline: str = "baseline", *, treated: Sequence[int] | None = None,
                      matches: pd.DataFrame | None = None, k: int = 1,
                      log: bool | None = None, start: int | None = None,
                      end: int | None = None) -> pd.DataFrame:
    """The difference-in-differences of each scenario run against its baseline run.

    Args:
        rs: the results.
        variable: county outcome column.
        baseline: the reference scenario.
        treated: treated county codes (default: the pilots).
        matches: a table from :func:`match_controls` (default: computed with ``k``).
        k: controls per treated county when matching here.
        log: measure changes in log points (default: if the outcome is positive).
        start: the year changes are measured from (default: the first recorded).
        end: the year changes are measured to (default: the last recorded).

    Returns:
        One row per scenario run (baseline runs included, with zero effect):
        ``treated_change``, ``control_change``, ``did`` and, against the
        baseline run of the same replicate, ``did_baseline``, ``effect``
        (= did − did_baseline), ``att`` and ``control_effect``.
    """
    rs.require_scenario(baseline, "baseline")
    check_variable(rs, variable, "county")
    if matches is None:
        matches = match_controls(rs, treated, k=k, baseline=baseline)
    years = rs.years
    start = years[0] if start is None else start
    end = years[-1] if end is None else end
    if start not in years or end not in years or end <= start:
        raise InputError(f"pilot effect needs recorded years start < end; got {start}–{end}",
                         source=rs.label)
    change = _changes(rs.county_year, variable, start, end, log)
    keys = ["scenario", *pair_keys(rs)]
    wide = change.pivot_table(index=keys, columns="code", values="change", dropna=False)
    treated_codes = matches["treated"].to_numpy()
    control_codes = matches["control"].to_numpy()
    # Each treated county counts once; its k controls share its weight.
    t_unique = np.unique(treated_codes)
    out = wide.index.to_frame(index=False)
    out["treated_change"] = wide[t_unique].mean(axis=1).to_numpy()
    out["control_change"] = (wide[control_codes].T.groupby(treated_codes).mean().mean()
                             .to_numpy())
    out["did"] = out["treated_change"] - out["control_change"]
    base = out[out["scenario"] == baseline].drop(columns="scenario").rename(columns={
        "treated_change": "treated_change_baseline", "control_change": "control_change_baseline",
        "did": "did_baseline"})
    out = out.merge(base, on=pair_keys(rs), how="inner")
    out["effect"] = out["did"] - out["did_baseline"]
    out["att"] = out["treated_change"] - out["treated_change_baseline"]
    out["control_effect"] = out["control_change"] - out["control_change_baseline"]
    out["variable"], out["log_points"] = variable, bool(change.attrs["log"])
    out["start_year"], out["end_year"] = start, end
    out["contaminated_controls"] = out["scenario"].map(
        _contaminated(rs, set(control_codes.tolist()))).fillna(0).astype(int)
    order = {s: i for i, s in enumerate(rs.scenarios)}
    return out.sort_values(keys, key=lambda s: s.map(order) if s.name == "scenario" else s,
                           kind="stable").reset_index(drop=True)


def pilot_effect(rs: ResultsSet, variable: str = "gdp_per_capita_yuan",
                 baseline: str = "baseline", *, band: tuple[float, float] = BAND,
                 **kwargs) -> pd.DataFrame:
    """Mean and band over replicates of the simulated DiD, per scenario.

    Takes the arguments of :func:`pilot_effect_runs`. Returns one row per
    scenario and measure (``effect``, ``att``, ``control_effect``, ``did``,
    ``did_baseline``) with ``mean``, ``median``, ``low``, ``high`` and ``n``, the
    unit (``log points`` or the outcome's) and the count of matched controls that
    the scenario's own levers reach (``contaminated_controls``).
    """
    runs = pilot_effect_runs(rs, variable, baseline, **kwargs)
    runs = runs[runs["scenario"] != baseline]
    measures = ["effect", "att", "control_effect", "did", "did_baseline"]
    long = runs.melt(id_vars=["scenario", "contaminated_controls"], value_vars=measures,
                     var_name="measure", value_name="value")
    out = summarise(long, "value", ["scenario", "measure", "contaminated_controls"], band)
    out.insert(2, "variable", variable)
    out["unit"] = "log points" if runs["log_points"].all() else "level"
    return out


def _start_state(rs: ResultsSet, baseline: str | None, year: int | None) -> pd.DataFrame:
    scenario = baseline if baseline is not None else rs.scenarios[0]
    rs.require_scenario(scenario, "baseline")
    year = rs.years[0] if year is None else year
    cy = rs.county_year
    rows = cy[(cy["scenario"] == scenario) & (cy["year"] == year)]
    if rows.empty:
        raise InputError(f"no county rows of '{scenario}' in {year}", source=rs.label)
    first_run = rows["run_id"].iloc[0]
    return rows[rows["run_id"] == first_run].sort_values("code").reset_index(drop=True)


def _treated_mask(state: pd.DataFrame, treated: Sequence[int] | None, label: str
                  ) -> np.ndarray:
    if treated is None:
        mask = state["is_pilot"].to_numpy(dtype=bool)
    else:
        codes = [int(c) for c in treated]
        unknown = sorted(set(codes) - set(state["code"].astype(int)))
        if unknown:
            raise InputError(f"treated county {unknown[0]} is not in the results; use "
                             "administrative codes of the simulated region", source=label)
        mask = state["code"].isin(codes).to_numpy()
    if not mask.any() or mask.all():
        raise InputError("the pilot effect needs treated and non-treated counties",
                         source=label)
    return mask


def _standardised(state: pd.DataFrame) -> np.ndarray:
    cols = []
    for name, transform in MATCH_COVARIATES.items():
        x = transform(state[name].to_numpy(dtype=float))
        sd = x.std()
        cols.append((x - x.mean()) / (sd if sd > 0 else 1.0))
    return np.column_stack(cols)


def _changes(county_year: pd.DataFrame, variable: str, start: int, end: int,
             log: bool | None) -> pd.DataFrame:
    """Per run and county: change of ``variable`` from start to end (or flow sum)."""
    cy = county_year
    member = [PARAMETER_SET] if PARAMETER_SET in cy.columns else []
    ids = ["scenario", "replicate", *member,
           *(c for c in cy.columns if c not in CONTRACT_COLUMNS)]
    first = cy[cy["year"] == start].set_index([*ids, "code"])[variable]
    last = cy[cy["year"] == end].set_index([*ids, "code"])[variable]
    if first.isna().all():  # a flow column: sum the simulated years
        window = cy[(cy["year"] > start) & (cy["year"] <= end)]
        change = window.groupby([*ids, "code"])[variable].sum()
        use_log = False
    else:
        use_log = bool((first > 0).all() and (last > 0).all()) if log is None else log
        if use_log and not ((first > 0).all() and (last > 0).all()):
            raise InputError(f"'{variable}' is not positive everywhere; use log=False")
        change = (100 * (np.log(last) - np.log(first))) if use_log else last - first
    out = change.rename("change").reset_index()
    out.attrs["log"] = use_log
    return out


def _contaminated(rs: ResultsSet, controls: set[int]) -> dict[str, int]:
    """Per scenario: matched controls that the scenario's levers also act on."""
    lv = rs.levers_year
    if lv is None or lv.empty:
        return {}
    hit = lv[lv["code"].isin(controls)]
    return hit.groupby("scenario")["code"].nunique().to_dict()

