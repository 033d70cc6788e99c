"""``modern_industry``: development of modern industries."""

from __future__ import annotations

from typing import Literal, override

import numpy as np
from pydantic import Field

from sim.model.core.state import Policy
from sim.model.levers.base import Evidence, Lever, LeverContext


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
    primary_outcome = "gdp_bn_yuan"
    evidence = Evidence(
        low=20.0, high=20.0,
        measure=("GDP level of a prefecture-level city after a state-level special "
                 "economic zone opens: about +20 %, mainly through capital "
                 "accumulation (Alder, Shao & Zilibotti 2016, 1988–2010 panel); "
                 "zones also raise capital, employment, output and productivity of the "
                 "zoned areas (Lu, Wang & Zhu 2019) and foreign investment (Wang "
                 "2013). A national zone over many years is a larger treatment than "
                 "five years of the lever's TFP boost"),
        citations=(
            ("Alder, S., Shao, L. & Zilibotti, F. (2016). Economic reforms and "
             "industrial policy in a panel of Chinese cities. Journal of Economic "
             "Growth 21(4): 305–349."),
            ("Lu, Y., Wang, J. & Zhu, L. (2019). Place-based policies, creation, and"
             " agglomeration economies: evidence from China's economic zone program."
             " American Economic Journal: Economic Policy 11(3): 325–360."),
            ("Wang, J. (2013). The economic impact of Special Economic Zones: "
             "evidence from Chinese municipalities. Journal of Development Economics"
             " 101: 133–147."),))
    identification = ("prior-bound: TFP growth passes to output through the "
                      "production function with the capital share fixed at 0.4 (Bai,"
                      " Hsieh & Qian 2006) and the farm-labour elasticity 0.4 "
                      "(assumption); no lever-like shock in the 2010–2019 data "
                      "calibrates the response")

    type: Literal["modern_industry"]
    tfp_boost: float = Field(0.005, ge=0, le=0.05, description="1/year")
    sector_shift: float = Field(0.02, ge=0, le=0.2, description="1/year")

    @override
    def apply(self, policy: Policy, masks: dict[str, np.ndarray], weight: float,
              ctx: LeverContext) -> None:
        m = masks["targets"]
        policy.tfp_boost[m] += weight * self.tfp_boost
        policy.sector_shift[m] += weight * self.sector_shift
