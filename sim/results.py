"""Run results: tidy tables plus a manifest, saved as Parquet and JSON.

A results folder holds ``county_year.parquet``, ``region_year.parquet``,
``levers_year.parquet``, optionally ``flows.parquet``, and ``manifest.json``
(scenario, parameters, seed, versions, git commit). Files are written to a
temporary name and renamed, so a folder never holds half a table.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import InputError

TABLES = ("county_year", "region_year", "levers_year", "flows")
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
    """

    county_year: pd.DataFrame
    region_year: pd.DataFrame
    levers_year: pd.DataFrame
    manifest: dict[str, Any] = field(default_factory=dict)
    flows: pd.DataFrame | None = None

    def save(self, directory: str | Path) -> Path:
        """Write the tables and manifest into ``directory`` (created if needed)."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        for name in TABLES:
            table = getattr(self, name)
            if table is not None:
                write_parquet_atomic(table, out / f"{name}.parquet")
        write_text_atomic(json.dumps(self.manifest, indent=2, ensure_ascii=False) + "\n",
                          out / MANIFEST)
        return out


def write_parquet_atomic(table: pd.DataFrame, path: Path) -> None:
    """Write a table to a temporary file next to ``path``, then rename it.

    Text columns are dictionary-encoded and numbers are not (run tables repeat
    names but rarely numbers), which writes several times faster than
    ``DataFrame.to_parquet`` and gives smaller files; batches write three
    tables per run, so this is on their hot path.
    """
    arrow = pa.Table.from_pandas(table, preserve_index=False)
    text = [f.name for f in arrow.schema
            if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        pq.write_table(arrow, tmp, use_dictionary=text or False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(text: str, path: Path) -> None:
    """Write text to a temporary file next to ``path``, then rename it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_results(directory: str | Path) -> Results:
    """Read a results folder written by :meth:`Results.save` or ``countysim run``.

    Raises:
        InputError: the folder or one of its required files is missing.
    """
    path = Path(directory)
    if not path.is_dir():
        raise InputError("results folder not found", source=str(path))
    missing = [f"{n}.parquet" for n in ("county_year", "region_year")
               if not (path / f"{n}.parquet").is_file()]
    if missing:
        raise InputError(f"not a run results folder: {', '.join(missing)} missing (expected "
                         "county_year.parquet, region_year.parquet and manifest.json)",
                         source=str(path))
    manifest = {}
    if (path / MANIFEST).is_file():
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    optional = {n: pd.read_parquet(path / f"{n}.parquet")
                for n in ("levers_year", "flows") if (path / f"{n}.parquet").is_file()}
    return Results(
        county_year=pd.read_parquet(path / "county_year.parquet"),
        region_year=pd.read_parquet(path / "region_year.parquet"),
        levers_year=optional.get("levers_year", pd.DataFrame()),
        manifest=manifest,
        flows=optional.get("flows"),
    )
