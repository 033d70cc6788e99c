"""``modern_industry``: development of modern industries."""

from __future__ import annotations

from typing import Literal, override

import numpy as np
from pydantic import Field

from sim.model.core.state import Policy
from sim.model.levers.base import Lever, LeverContext


class ModernIndustry(Lever):
    """Industrial parks and upgrading: faster productivity growth, less farming.

    Attributes:
        tfp_boost: extra TFP growth of targets (1/year).
        sector_shift: extra relative decline per year of the primary sector's
            shares of value added and of population (1/year).
    """

    mechanism = ("adds `tfp_boost` to the targets' TFP growth (eq. 9) and `sector_shift` "
                 "to the yearly decline of their primary-sector shares (eq. 4)")
    source_area = "development of modern industries"
    shows_in = ("gdp_bn_yuan", "tfp", "income_per_capita_yuan", "rural_income_yuan")

    type: Literal["modern_industry"]
    tfp_boost: float = Field(0.005, ge=0, le=0.05, description="1/year")
    sector_shift: float = Field(0.02, ge=0, le=0.2, description="1/year")

    @override
    def apply(self, policy: Policy, masks: dict[str, np.ndarray], weight: float,
              ctx: LeverContext) -> None:
        m = masks["targets"]
        policy.tfp_boost[m] += weight * self.tfp_boost
        policy.sector_shift[m] += weight * self.sector_shift
