"""``urban_rural``: integrated urban and rural development."""

from __future__ import annotations

from typing import Literal, override

import numpy as np
from pydantic import Field

from sim.model.core.state import Policy
from sim.model.levers.base import Lever, LeverContext


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
