"""The 2020→2025 baseline forecast with its uncertainty, for the validation report.

The baseline scenario (``scenarios/baseline.toml``) is run

* once deterministically with the calibrated point estimate (the package default);
* deterministically with every member of the calibrated ensemble: the spread of
  these runs is the **parameter** uncertainty;
* with ``replicates`` random draws at the point estimate, seeded as a batch's
  replicates are (:func:`~sim.studies.batch.spec.run_seed`): their spread is the
  **stochastic** uncertainty (migration and vital events drawn, not expected).

Totals are summed over the region, each province and each prefecture, by year.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from sim.model.parameters import Parameters
from sim.model.region import load_region
from sim.model.scenario import load_scenario
from sim.studies.batch.spec import run_seed
from sim.studies.run import run

ROOT = Path(__file__).resolve().parents[3]
BASELINE = ROOT / "scenarios" / "baseline.toml"
VARIABLES = {"population": "population (million)", "gdp_bn_yuan": "GDP (bn yuan, 2020 prices)"}
QUANTILES = (0.05, 0.5, 0.95)


def _totals(county_year: pd.DataFrame, prefecture: pd.Series) -> pd.DataFrame:
    cy = county_year[["year", "code", "province", *VARIABLES]].copy()
    cy["prefecture"] = cy["code"].map(prefecture)
    parts = [cy.groupby("year")[list(VARIABLES)].sum().assign(level="region", name="region")]
    for level in ("province", "prefecture"):
        part = cy.groupby([level, "year"])[list(VARIABLES)].sum().reset_index(level)
        parts.append(part.rename(columns={level: "name"}).assign(level=level))
    out = pd.concat(parts).reset_index()
    out["population"] /= 1e6
    return out.set_index(["level", "name", "year"]).sort_index()


def baseline_bands(members: Sequence[Parameters], point: Parameters, *,
                   replicates: int = 20, scenario: Path = BASELINE) -> pd.DataFrame:
    """Totals by level, name and year: the point forecast and its two bands.

    Columns per variable ``v``: ``v`` (point estimate, deterministic), ``v_param_p05`` /
    ``v_param_p50`` / ``v_param_p95`` over the ensemble members, ``v_stoch_p05`` /
    ``v_stoch_p95`` over the random replicates.
    """
    sc = load_scenario(scenario)
    table = load_region(sc.region, sc.start_year).table
    prefecture = pd.Series(table["prefecture_en"].to_numpy(), index=table["code"].to_numpy())
    out = _totals(run(sc, deterministic=True, parameters=point).county_year, prefecture)
    by_member = np.stack([
        _totals(run(sc, deterministic=True, parameters=p).county_year, prefecture)
        [list(VARIABLES)].to_numpy() for p in members])
    by_draw = np.stack([
        _totals(run(sc, run_seed(sc.seed, r), replicate=r, parameters=point).county_year,
                prefecture)
        [list(VARIABLES)].to_numpy() for r in range(replicates)])
    for j, v in enumerate(VARIABLES):
        q = np.quantile(by_member[:, :, j], QUANTILES, axis=0)
        out[f"{v}_param_p05"], out[f"{v}_param_p50"], out[f"{v}_param_p95"] = q
        s = np.quantile(by_draw[:, :, j], (0.05, 0.95), axis=0)
        out[f"{v}_stoch_p05"], out[f"{v}_stoch_p95"] = s
    return out


def bands_markdown(bands: pd.DataFrame, n_members: int, replicates: int, region: str,
                   years: tuple[int, ...] = (2020, 2021, 2023, 2025)) -> list[str]:
    """The README section: region and provinces by year, prefectures in 2025."""
    def cell(row: pd.Series, v: str, digits: int) -> str:
        return (f"{row[v]:.{digits}f} (parameters {row[f'{v}_param_p05']:.{digits}f}–"
                f"{row[f'{v}_param_p95']:.{digits}f}; noise {row[f'{v}_stoch_p05']:.{digits}f}–"
                f"{row[f'{v}_stoch_p95']:.{digits}f})")
    lines = [
        "## The 2020→2025 baseline forecast",
        "",
        f"`scenarios/baseline.toml` (region `{region}`), "
        "run deterministically with the calibrated parameters; in brackets the 5–95 % range "
        f"over the {n_members} members of the calibrated ensemble (parameter uncertainty), "
        f"then the 5–95 % range of {replicates} random replicates at the calibrated "
        "parameters (stochastic noise). This is a forecast: no post-2020 population figure "
        "was used to make it. The ensemble's spread is a lower bound (the likelihood "
        "treats neighbouring groups' residuals as independent; see the calibration "
        "section).",
        "",
        "| level | year | population, million | GDP, bn yuan (2020 prices) |",
        "|---|---|---|---|",
    ]
    for level in ("region", "province"):
        for name in bands.loc[level].index.get_level_values("name").unique():
            for year in years:
                row = bands.loc[(level, name, year)]
                label = name if level == "province" else "whole region"
                lines.append(f"| {label} | {year} | {cell(row, 'population', 2)} | "
                             f"{cell(row, 'gdp_bn_yuan', 0)} |")
    lines += ["", "Prefectures, 2025:", "",
              "| prefecture | population 2020 | population 2025 | GDP 2025 |",
              "|---|---|---|---|"]
    pref = bands.loc["prefecture"]
    for name in pref.index.get_level_values("name").unique():
        start, end = pref.loc[(name, years[0])], pref.loc[(name, years[-1])]
        lines.append(f"| {name} | {start['population']:.2f} | {cell(end, 'population', 2)} | "
                     f"{cell(end, 'gdp_bn_yuan', 0)} |")
    return lines
