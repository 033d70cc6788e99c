"""The lever-effect table: each single-lever scenario against the baseline, 2025.

    countysim levers                      # writes docs/tables/lever_effects.csv, docs/levers.md

For each shipped single-lever scenario (:data:`SINGLE_LEVER_SCENARIOS`), the
scenario and the baseline are run deterministically with the same parameters,
and the lever's primary outcome (``primary_outcome`` of its class) is compared
in :data:`EFFECT_YEAR`: the percentage change of the targets' total, the
largest change of one target county, and the change of the whole region's
total. With several parameter sets (a calibrated ensemble) the table gives the
median and the 5–95 % range over the sets. Each row also carries the lever's
empirical range (``evidence``) and where the model sits in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.model.levers import LEVER_TYPES
from sim.model.parameters import Parameters
from sim.model.reference import LEVER_EFFECTS_CSV as TABLE_PATH
from sim.model.region import census_year_for, load_region
from sim.model.resolve import resolve_lever_masks
from sim.model.scenario import REPO_SCENARIOS, Scenario, load_scenario

#: The shipped scenarios with one lever type each, in the order of the table.
SINGLE_LEVER_SCENARIOS = ("connectivity", "modern_industry", "innovation", "land_layout",
                          "land_quota_trading", "ecology", "public_services", "urban_rural",
                          "governance", "policy_support")
#: The year in which effects are measured.
EFFECT_YEAR = 2025
#: Smallest effect on the targets (in %, absolute) that counts as a working channel.
MIN_EFFECT_PCT = 0.2

COLUMNS = ("scenario", "lever_type", "primary_outcome", "n_targets", "n_parameter_sets",
           "effect_pct", "effect_p05", "effect_p95", "max_county_effect_pct",
           "region_effect_pct", "evidence_low_pct", "evidence_high_pct", "position",
           "identification")


def lever_type_of(scenario: Scenario) -> str:
    """The one lever type of a single-lever scenario.

    Raises:
        ValueError: the scenario has no lever or levers of several types.
    """
    types = {lever.type for lever in scenario.levers}
    if len(types) != 1:
        raise ValueError(f"{scenario.name}: expected one lever type, found {sorted(types)}")
    return types.pop()


def target_mask(scenario: Scenario) -> np.ndarray:
    """Counties any of the scenario's levers targets (union of ``targets`` masks)."""
    masks = resolve_lever_masks(scenario)
    parts = [m["targets"] for m in masks.values() if "targets" in m]
    return np.logical_or.reduce(parts)


def year_table(scenario: Scenario, params: Parameters) -> pd.DataFrame:
    """The deterministic run's county rows in :data:`EFFECT_YEAR`, indexed by code."""
    from sim.studies.run import run

    cy = run(scenario, deterministic=True, parameters=params).county_year
    return cy[cy["year"] == EFFECT_YEAR].set_index("code")


def scenario_effects(scenario: Scenario, baseline: Scenario,
                     parameter_sets: Sequence[Parameters],
                     baseline_tables: Sequence[pd.DataFrame] | None = None
                     ) -> dict[str, np.ndarray]:
    """Effects (in %) of one single-lever scenario, one value per parameter set.

    ``baseline_tables``: the baseline's :func:`year_table` for each parameter set, when
    the caller has them already (the baseline is the same for every scenario).
    """
    cls = LEVER_TYPES[lever_type_of(scenario)]
    column = cls.primary_outcome
    region = load_region(scenario.region, census_year_for(scenario.start_year))
    codes = region.codes
    mask = pd.Series(target_mask(scenario), index=codes)
    if baseline_tables is None:
        baseline_tables = [year_table(baseline, p) for p in parameter_sets]
    targets, largest, whole = [], [], []
    for params, base_table in zip(parameter_sets, baseline_tables, strict=True):
        base = base_table[column].loc[codes]
        lever = year_table(scenario, params)[column].loc[codes]
        t = mask.to_numpy()
        targets.append(100.0 * (lever[t].sum() / base[t].sum() - 1.0))
        county = 100.0 * (lever[t] / base[t] - 1.0)
        largest.append(float(county.loc[county.abs().idxmax()]))
        whole.append(100.0 * (lever.sum() / base.sum() - 1.0))
    return {"targets": np.array(targets), "max_county": np.array(largest),
            "region": np.array(whole), "n_targets": int(mask.sum())}


def lever_effects(parameter_sets: Sequence[Parameters] | None = None,
                  scenarios: Sequence[str] = SINGLE_LEVER_SCENARIOS) -> pd.DataFrame:
    """The lever-effect table.

    Args:
        parameter_sets: one set (the value) or several (median and 5–95 % range);
            default: the baseline's parameters (the calibrated defaults).
        scenarios: names of scenario files in ``scenarios/`` with one lever type each.

    Returns:
        One row per scenario with :data:`COLUMNS`; effects in % of the primary outcome
        in :data:`EFFECT_YEAR` against the baseline.
    """
    baseline = load_scenario(REPO_SCENARIOS / "baseline.toml")
    sets = list(parameter_sets) if parameter_sets else [baseline.model_parameters()]
    base_tables = [year_table(baseline, p) for p in sets]  # once, for every scenario
    rows = []
    for name in scenarios:
        scenario = load_scenario(REPO_SCENARIOS / f"{name}.toml")
        kind = lever_type_of(scenario)
        cls = LEVER_TYPES[kind]
        eff = scenario_effects(scenario, baseline, sets, base_tables)
        median = float(np.median(eff["targets"]))
        several = len(sets) > 1
        ev = cls.evidence
        rows.append({
            "scenario": name, "lever_type": kind, "primary_outcome": cls.primary_outcome,
            "n_targets": eff["n_targets"], "n_parameter_sets": len(sets),
            "effect_pct": median,
            "effect_p05": float(np.percentile(eff["targets"], 5)) if several else median,
            "effect_p95": float(np.percentile(eff["targets"], 95)) if several else median,
            "max_county_effect_pct": float(np.median(eff["max_county"])),
            "region_effect_pct": float(np.median(eff["region"])),
            "evidence_low_pct": np.nan if ev.low is None else ev.low,
            "evidence_high_pct": np.nan if ev.high is None else ev.high,
            "position": ev.position(median),
            "identification": cls.identification.split(":", 1)[0],
        })
    return pd.DataFrame(rows, columns=list(COLUMNS))


def write_table(table: pd.DataFrame, path: str | Path = TABLE_PATH) -> Path:
    """Write the table as CSV (full precision)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False, float_format="%.17g")
    return path


def read_table(path: str | Path = TABLE_PATH) -> pd.DataFrame | None:
    """The committed table, or None if it has not been written yet."""
    path = Path(path)
    return pd.read_csv(path) if path.is_file() else None
