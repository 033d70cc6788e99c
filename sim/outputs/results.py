"""Run results: tidy tables plus a manifest, saved as Parquet and JSON.

A results folder holds ``county_year.parquet``, ``region_year.parquet``,
``levers_year.parquet``, optionally ``flows.parquet``, and ``manifest.json``
(scenario, parameters, seed, versions, git commit); columns are those of
:mod:`sim.model.schema`. Files are written atomically (:mod:`sim.outputs.files`);
:func:`sim.outputs.reader.load_results` reads a folder back.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.base.errors import InputError
from sim.model.schema import RUN_TABLES
from sim.outputs.files import WriteError, write_json_atomic, write_parquet_atomic

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
        """Write the tables and manifest into ``directory`` (created if needed).

        Raises:
            InputError: ``directory`` is not a folder a run may write (see
                :func:`check_run_folder`).
        """
        out = check_run_folder(directory)
        for name in TABLES:
            table = getattr(self, name)
            if table is not None:
                write_parquet_atomic(table, out / f"{name}.parquet")
        write_json_atomic(self.manifest, out / MANIFEST)
        return out


#: What a run's folder may hold: its files, the network, compare's figures, temporaries.
RUN_FOLDER_ENTRIES = frozenset({*(f"{t}.parquet" for t in TABLES), MANIFEST,
                                "network.graphml", "figures"})


#: ``countysim run --geo``'s export of one year of county_year.
GEO_EXPORT = re.compile(r"county_year_\d{4}\.(gpkg|parquet)")


def check_run_folder(directory: str | Path) -> Path:
    """Make sure a run's results may go into ``directory``; create it; return it.

    Call it before simulating, so that a folder that cannot take the results costs
    no run. Allowed: a new or empty folder, or an earlier run's folder (its files
    are replaced). Refused: a file, a batch, sensitivity or other folder (so a run
    never overwrites the manifest of a batch, nor files in the working directory),
    and a folder that cannot be written.

    Raises:
        InputError: one line naming the folder and why.
    """
    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise InputError("results folder is a file; a run writes a folder of tables",
                         source=str(out))
    if out.is_dir():
        others = sorted(p.name for p in out.iterdir()
                        if p.name not in RUN_FOLDER_ENTRIES and not p.name.startswith(".")
                        and not GEO_EXPORT.fullmatch(p.name))
        kind = _manifest_kind(out / MANIFEST)
        if others or kind not in (None, "countysim run"):
            what = "a batch's" if kind == "countysim batch" else "another kind of"
            raise InputError(
                f"results folder holds {what} results or other files ("
                f"{', '.join(others[:3]) or MANIFEST}); a run writes into a new or empty "
                "folder, or over an earlier run's: choose another --out", source=str(out))
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out, prefix=".probe-", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        cause = WriteError.from_os_error(err, out / "x").cause
        raise InputError(f"cannot write the results folder: {cause}", source=str(out)) from None
    return out


def _manifest_kind(path: Path) -> str | None:
    """The manifest's ``kind`` (``countysim run``, ``countysim batch`` …); None without one."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "unreadable"
    if not isinstance(data, dict):
        return "unreadable"
    return str(data.get("kind", "unknown"))
