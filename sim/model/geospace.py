"""The county model in mesa-geo: county agents as GeoAgents in a GeoSpace (the geo extra).

:class:`GeoCountyModel` is :class:`~sim.model.shell.CountyModel` with one
difference: its county agents are :class:`GeoCountyAgent` objects, which are
both a :class:`~sim.model.shell.CountyAgent` (the view on the county's row of the
model's arrays: population, GDP, income …) and a ``mesa_geo.GeoAgent`` with the
county's polygon (:mod:`sim.model.geography`), and they sit in a
``mesa_geo.GeoSpace`` as ``model.space``. The vectorised core is untouched, so a
run gives the same tables as ``CountyModel``; mesa-geo's tools
(``space.get_neighbors``, ``get_agents_as_GeoDataFrame``, distances) and its
Leaflet map (``mesa_geo.visualization.make_geospace_component``, see
:mod:`sim.apps.geomap`) work on the model. Needs ``pip install 'countysim[geo]'``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sim.base.errors import InputError
from sim.model import geography
from sim.model.shell import CountyAgent, CountyModel

try:
    import mesa_geo as mg
    from mesa_geo.geo_base import GeoBase
except ImportError as err:  # pragma: no cover - the geo extra is part of dev
    raise InputError("the mesa-geo adapter needs mesa-geo, which is not installed "
                     f"({geography.INSTALL_HINT})") from err


@cache
def _shapes() -> dict[int, Any]:
    codes, shapes = geography.county_shapes()
    return dict(zip(codes.tolist(), shapes, strict=True))


class GeoCountyAgent(mg.GeoAgent, CountyAgent):
    """A county agent with its polygon: a CountyAgent and a mesa-geo GeoAgent.

    Takes the arguments of :class:`~sim.model.shell.CountyAgent`; the geometry is
    the county's boundary in WGS84 (the space converts it to its own CRS).
    """

    def __init__(self, model: CountyModel, index: int, code: int, *identity: Any) -> None:
        # CountyAgent registers the agent with the model (mesa.Agent.__init__, once);
        # the GeoAgent part needs only its CRS and geometry.
        CountyAgent.__init__(self, model, index, code, *identity)
        GeoBase.__init__(self, crs=geography.CRS)
        self.geometry = _shapes()[int(code)]


class GeoCountyModel(CountyModel):
    """The county model with its agents in a mesa-geo ``GeoSpace`` (``model.space``).

    Args:
        scenario: as :class:`~sim.model.shell.CountyModel`.
        crs: coordinate system of the space (default: an Albers equal-area
            projection fitted to the region, in metres, so areas and distances
            are true to a fraction of a percent).
        **kwargs: the other arguments of :class:`~sim.model.shell.CountyModel`.

    Raises:
        BoundariesUnavailable: the county boundaries cannot be read.
    """

    agent_class = GeoCountyAgent

    def __init__(self, scenario: Any = None, *, crs: str = geography.REGION_ALBERS,
                 **kwargs: Any) -> None:
        _shapes()  # fail before the run is set up if the boundaries are unavailable
        super().__init__(scenario, **kwargs)
        self.space = mg.GeoSpace(crs=crs, warn_crs_conversion=False)
        self.space.add_agents(list(self.agents))
