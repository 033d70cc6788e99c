"""``public_services``: joint contribution and sharing of public services."""

from __future__ import annotations

from typing import Literal, override

import numpy as np
from pydantic import Field

from sim.model.core.state import Policy, ServiceSharing
from sim.model.levers.base import Evidence, Lever, LeverContext


class PublicServices(Lever):
    """Better schools and hospitals in targets, shared with their neighbours.

    Attributes:
        services_boost: relative increase of the targets' public-service level.
        sharing_radius_h: counties within this travel time of a target use its
            services (0: no sharing).
        sharing_share: share of a target's service advantage a neighbour gains.
        cross_border: whether neighbours in the other province share too.
    """

    mechanism = ("raises the targets' service level S by `services_boost` (eq. 5g); every "
                 "county within `sharing_radius_h` of a target gains `sharing_share` of "
                 "its service advantage, across the provincial border if `cross_border` "
                 "(eq. 5h)")
    source_area = "joint contribution and sharing of public services"
    shows_in = ("services", "in_migration", "population")
    primary_outcome = "in_migration"
    evidence = Evidence(
        measure=("no county-level effect of service improvements on in-migration was"
                 " verified; the channel's elasticity rests on Zhang & Fang (2019): "
                 "a 1 % better man-made amenity index (education, health, culture) "
                 "raises a city's choice probability by 0.17 % (conditional logit, "
                 "CLDS 2016)"),
        citations=(
            "Zhang & Fang (2019), 中国人口·资源与环境 2019(3), doi:10.12062/cpre.20181005.",))
    identification = ("prior-bound: the services weight β_S is held to the "
                      "literature prior N(0.17, 0.08) of Zhang & Fang (2019) in the "
                      "calibration")

    type: Literal["public_services"]
    services_boost: float = Field(0.1, ge=0, le=2, description="relative")
    sharing_radius_h: float = Field(1.0, ge=0, le=6, description="hours")
    sharing_share: float = Field(0.5, ge=0, le=1, description="share")
    cross_border: bool = True

    @override
    def apply(self, policy: Policy, masks: dict[str, np.ndarray], weight: float,
              ctx: LeverContext) -> None:
        m = masks["targets"]
        policy.services_boost[m] += weight * self.services_boost
        if self.sharing_radius_h > 0 and self.sharing_share > 0:
            policy.sharing = (*policy.sharing, ServiceSharing(
                providers=m, radius_h=self.sharing_radius_h,
                share=weight * self.sharing_share, cross_border=self.cross_border))
