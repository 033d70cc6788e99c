"""``ecology``: joint protection and governance of the ecological environment."""

from __future__ import annotations

from typing import Literal, override

import numpy as np
from pydantic import Field

from sim.model.core.state import Policy
from sim.model.levers.base import Evidence, Lever, LeverContext


class Ecology(Lever):
    """Protected areas: less buildable land, better ecological amenity.

    Attributes:
        protected_share: share of the ordinary construction-land quota growth
            forgone because land is protected (0–1).
        amenity_boost: added to the ecological amenity E of targets (0–1).
    """

    mechanism = ("scales the targets' ordinary land-quota growth by (1 − `protected_share`) "
                 "(eq. 9c) and adds `amenity_boost` to their amenity E (eq. 5i)")
    source_area = "joint protection and governance of the ecological environment"
    shows_in = ("land_km2", "amenity", "in_migration")
    primary_outcome = "in_migration"
    evidence = Evidence(
        measure=("no comparable estimate: effects of protected areas or ecological "
                 "amenity on county in-migration in China were not verified (range "
                 "not verified)"))
    identification = ("identified: the amenity weight is calibrated on 2010→2020 "
                      "population change and registration; the size of the amenity "
                      "boost is illustrative")

    type: Literal["ecology"]
    protected_share: float = Field(0.2, ge=0, le=1, description="share")
    amenity_boost: float = Field(0.05, ge=0, le=1, description="amenity index points")

    @override
    def apply(self, policy: Policy, masks: dict[str, np.ndarray], weight: float,
              ctx: LeverContext) -> None:
        m = masks["targets"]
        kept = 1.0 - policy.protected_share[m]
        policy.protected_share[m] = 1.0 - kept * (1.0 - weight * self.protected_share)
        policy.amenity_boost[m] += weight * self.amenity_boost
