"""``urban_rural``: integrated urban and rural development."""

from __future__ import annotations

from typing import Literal, override

import numpy as np
from pydantic import Field

from sim.model.core.state import Policy
from sim.model.levers.base import Evidence, Lever, LeverContext

#: What the shipped ``urban_rural`` scenario does to its targets' share of residents
#: registered in another county or province in 2025, in points against the baseline
#: (deterministic, calibrated parameters; tests/test_lever_effects.py recomputes it).
MIGRANT_SHARE_POINTS = 1.3


class UrbanRural(Lever):
    """Hukou and rural reform: easier settling and urbanisation, rural income support.

    Attributes:
        hukou_bonus: utility bonus for migrants settling in targets (logit units).
        urbanisation_boost: relative increase of the targets' urbanisation rate.
        rural_income_support_yuan: yuan per rural resident per year.
    """

    mechanism = ("adds `hukou_bonus` to the targets' destination utility (eq. 5a), raises "
                 "their urbanisation rate by `urbanisation_boost` (eq. 8) and adds "
                 "`rural_income_support_yuan` to rural incomes (eq. 4)")
    source_area = "integrated urban and rural development"
    shows_in = ("in_migration", "urban_population", "rural_income_yuan")
    primary_outcome = "in_migration"
    evidence = Evidence(
        measure=("none for in-migration itself; on the stock of migrants: "
                 "cities that eased settlement in the 2014 hukou reform saw the migrants' "
                 "(floating population's) share of the labour force rise by 1.5 % against "
                 "cities that did not (An & Yan 2024, difference-in-differences, CFPS "
                 "2012–2018; the abstract splits a 3.4 % fall of rural-hukou workers in "
                 "rural jobs into +1.9 and +1.5), and the lever raises its targets' share "
                 "of residents registered in another county or province by "
                 f"{MIGRANT_SHARE_POINTS:.1f} points by 2025 (calibrated parameters; "
                 "tests/test_lever_effects.py recomputes it): the same order. Tombe & Zhu "
                 "(2019) find that falling migration costs (hukou and other frictions) "
                 "account for much of China's 2000–2005 productivity growth"),
        citations=(
            ("安磊、鄢伟波 (An, L. & Yan, W.) (2024). 新一轮户籍改革的劳动力城乡再配置效应："
             "理论机制与经验证据. 当代经济科学 (Modern Economic Science) 2024(1): 45–59."),
            ("Tombe, T. & Zhu, X. (2019). Trade, migration, and productivity: a "
             "quantitative analysis of China. American Economic Review 109(5): "
             "1843–1872."),))
    identification = ("identified: the migration response to destination utility "
                      "(migration rate, income elasticity, stay bonus) is calibrated"
                      " on 2010→2020 population change and registration; the hukou "
                      "bonus in logit units is an illustrative intensity")

    type: Literal["urban_rural"]
    hukou_bonus: float = Field(0.3, ge=0, le=3, description="utility")
    urbanisation_boost: float = Field(0.3, ge=0, le=5, description="relative")
    rural_income_support_yuan: float = Field(500.0, ge=0, le=20000,
                                             description="yuan/person/year")

    @override
    def apply(self, policy: Policy, masks: dict[str, np.ndarray], weight: float,
              ctx: LeverContext) -> None:
        m = masks["targets"]
        policy.hukou_bonus[m] += weight * self.hukou_bonus
        policy.urbanisation_boost[m] += weight * self.urbanisation_boost
        policy.rural_income_support[m] += weight * self.rural_income_support_yuan
