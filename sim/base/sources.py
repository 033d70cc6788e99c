"""Read the package data in ``sim/data/`` (copied from the project's sources).

Each reader returns a fresh copy of a cached table, so callers may modify what
they get. Provenance of every file is in ``sim/data/README.md``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import pandas as pd


def data_file(name: str) -> Traversable:
    """Return the packaged data file ``sim/data/<name>``."""
    return resources.files("sim") / "data" / name


@cache
def _read_csv(name: str) -> pd.DataFrame:
    with data_file(name).open("rb") as fh:
        return pd.read_csv(fh)


def counties() -> pd.DataFrame:
    """The 221 county-level units of Sichuan and Chongqing (2020 boundaries)."""
    return _read_csv("counties.csv").copy()


def comparison_groups() -> pd.DataFrame:
    """Comparison groups: units only comparable 2010↔2020 together, with totals."""
    return _read_csv("cmp_groups.csv").copy()


def rail_lines() -> pd.DataFrame:
    """Rail line stations ≥ 160 km/h, one row per (line section, station)."""
    return _read_csv("rail_lines.csv").copy()


def county_adjacency() -> pd.DataFrame:
    """Pairs of units sharing a border (``code_a < code_b``, ``shared_border_km``)."""
    return _read_csv("county_adjacency.csv").copy()


def expressways() -> pd.DataFrame:
    """A partial list of expressways with the counties they pass, in order."""
    return _read_csv("expressways.csv").copy()


def pilots() -> pd.DataFrame:
    """The nine 2020 pilot counties and what is known of their leading task."""
    return _read_csv("pilots.csv").copy()


def platforms() -> pd.DataFrame:
    """Sichuan–Chongqing cooperation platforms and their member counties."""
    return _read_csv("platforms.csv").copy()


def provinces_macro() -> pd.DataFrame:
    """Sichuan and Chongqing macro facts (GFCF shares, real GDP index, GDP, K/Y), long format."""
    return _read_csv("provinces_macro.csv").copy()


def census_age_migration() -> pd.DataFrame:
    """Census 2010 and 2020 by age × sex, hukou and migrant stocks (codes of each year).

    ``code`` is read as an integer; 2010 rows are on 2010 codes and boundaries (see
    :mod:`sim.model.census` for the harmonisation to 2020 units).
    """
    return _read_csv("census_age_migration.csv").copy()


@cache
def _crosswalk() -> pd.DataFrame:
    rows = []
    in_table = False
    for line in data_file("crosswalk.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("| 2010 code"):
            in_table = True
            continue
        if not in_table or not line.startswith("|") or set(line) <= set("|-: "):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) != 7:
            raise ValueError(f"crosswalk.md: a table row has {len(cells)} cells, not 7: "
                             f"{line[:60]}")
        code_2010, name_2010, codes_2020, names_2020, kind, group, _note = cells
        rows.append({"code_2010": int(code_2010), "name_2010": name_2010,
                     "codes_2020": tuple(int(c) for c in codes_2020.split("+")),
                     "names_2020": names_2020, "type": kind, "cmp_group": int(group)})
    return pd.DataFrame(rows)


def crosswalk() -> pd.DataFrame:
    """The table of ``crosswalk.md``: every 2010 unit → its 2020 unit(s) and comparison group.

    Columns: ``code_2010``, ``name_2010``, ``codes_2020`` (a tuple), ``names_2020``,
    ``type`` (same, rename, merge, split, boundary change) and ``cmp_group``.
    """
    return _crosswalk().copy()


@cache
def _prefectures() -> str:
    return data_file("prefectures.geojson").read_text(encoding="utf-8")


def prefectures_geojson() -> dict[str, Any]:
    """Prefecture boundaries (simplified GeoJSON FeatureCollection)."""
    return json.loads(_prefectures())


#: The source checkout this package lives in (``scenarios/``, ``docs/``), for an
#: editable install; the folders may be absent when the package is installed from a wheel.
CHECKOUT = Path(__file__).resolve().parents[2]
