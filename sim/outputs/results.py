"""Run results: tidy tables plus a manifest, saved as Parquet and JSON.

A results folder holds ``county_year.parquet``, ``region_year.parquet``,
``levers_year.parquet``, optionally ``flows.parquet``, and ``manifest.json``
(scenario, parameters, seed, versions, git commit); columns are those of
:mod:`sim.model.schema`. Files are written atomically (:mod:`sim.outputs.files`);
:func:`sim.outputs.reader.load_results` reads a folder back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.model.schema import RUN_TABLES
from sim.outputs.files import write_json_atomic, write_parquet_atomic

TABLES = tuple(RUN_TABLES)
MANIFEST = "manifest.json"


@dataclass
class Results:
    """The tables and manifest of one run.

    Attributes:
        county_year: one row per county and year.
        region_year: one row per year with regional totals and indicators.
        levers_year: one row per (year, county, active lever).
        manifest: scenario, parameters, seed, versions and git commit.
        flows: yearly origin–destination flows, if recorded.
        age_year: residents by year, county, sex and age group, if recorded.
    """

    county_year: pd.DataFrame
    region_year: pd.DataFrame
    levers_year: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    flows: pd.DataFrame | None = None
    age_year: pd.DataFrame | None = None

    def save(self, directory: str | Path) -> Path:
        """Write the tables and manifest into ``directory`` (created if needed)."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            table = getattr(self, name)
            if table is not None:
                write_parquet_atomic(table, out / f"{name}.parquet")
        write_json_atomic(self.manifest, out / MANIFEST)
        return out
