"""``governance``: community-level governance."""

from __future__ import annotations

from typing import Literal, override

import numpy as np
from pydantic import Field

from sim.model.core.state import Policy
from sim.model.levers.base import Evidence, Lever, LeverContext


class Governance(Lever):
    """Better local administration: more efficient investment, lower transaction costs.

    Attributes:
        governance_boost: added to governance efficiency g (capped at 1).
        investment_attraction: relative increase of the targets' attractiveness to
            investors from other counties (lower transaction cost).
    """

    mechanism = ("adds `governance_boost` to g (eq. 6a) and multiplies the targets' "
                 "attractiveness to investors by (1 + `investment_attraction`)")
    source_area = "community-level governance"
    shows_in = ("investment_in_bn_yuan", "capital_bn_yuan", "gdp_bn_yuan")
    primary_outcome = "investment_in_bn_yuan"
    evidence = Evidence(
        measure=("no comparable estimate: no published effect of county governance "
                 "reform on investment in China was verified (range not verified)"))
    identification = ("not identified: governance efficiency g has no county data "
                      "(0.8 everywhere, an assumption), so the response of "
                      "investment to it is not calibrated")

    type: Literal["governance"]
    governance_boost: float = Field(0.1, ge=0, le=1, description="g points")
    investment_attraction: float = Field(0.1, ge=0, le=5, description="relative")

    @override
    def apply(self, policy: Policy, masks: dict[str, np.ndarray], weight: float,
              ctx: LeverContext) -> None:
        m = masks["targets"]
        policy.governance_boost[m] += weight * self.governance_boost
        policy.investment_attraction[m] += weight * self.investment_attraction
