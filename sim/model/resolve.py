"""A scenario's levers resolved against its region: county masks and network changes.

Levers name counties (``targets``, ``sellers``, …) by keyword, name, code or
prefecture; before a run, every selection becomes a boolean mask over the
region's counties, and the connectivity levers' changes are combined into one
:class:`~sim.model.network.NetworkChanges`. The scenario loader resolves the
masks once to report unknown counties at load time; the Mesa shell resolves
them for its run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.base.errors import InputError
from sim.model.network import Network, NetworkChanges
from sim.model.parameters import Parameters
from sim.model.region import Region, census_year_for, load_region

if TYPE_CHECKING:
    from sim.model.scenario import Scenario


def resolve_lever_masks(scenario: Scenario, *, region: Region | None = None,
                        params: Parameters | None = None, label: str | None = None
                        ) -> dict[str, dict[str, np.ndarray]]:
    """Resolve every lever's county selections to boolean masks over the region.

    ``border`` selections use the network as it is in the scenario's start year
    (``scenario.start_year``, not the census year), without the scenario's own
    changes.

    Raises:
        InputError: naming the lever field, for unknown counties or empty selections.
    """
    region = region or load_region(scenario.region, census_year_for(scenario.start_year))
    needs_times = any(spec.border for lever in scenario.levers
                      for spec in lever.target_fields().values())
    travel_time = None
    if needs_times:
        base = Network(region, params or scenario.model_parameters())
        base.set_year(scenario.start_year)
        travel_time = base.travel_time
    masks: dict[str, dict[str, np.ndarray]] = {}
    for i, lever in enumerate(scenario.levers):
        masks[lever.id] = {}
        for field, spec in lever.target_fields().items():
            try:
                masks[lever.id][field] = spec.resolve(region, travel_time)
            except InputError as err:
                raise InputError(f"levers[{i}].{field}: {err}",
                                 source=label or scenario.source) from None
    return masks


def network_changes(scenario: Scenario, masks: dict[str, dict[str, np.ndarray]],
                    region: Region) -> NetworkChanges:
    """Combine the network changes of all levers."""
    parts = [lever.network_changes(masks[lever.id], region) for lever in scenario.levers]
    return NetworkChanges(
        line_open_years=tuple(x for p in parts for x in p.line_open_years),
        line_year_shifts=tuple(x for p in parts for x in p.line_year_shifts),
        links=tuple(x for p in parts for x in p.links),
        time_factors=tuple(x for p in parts for x in p.time_factors),
        frozen_after=min((p.frozen_after for p in parts if p.frozen_after is not None),
                         default=None),
    )
