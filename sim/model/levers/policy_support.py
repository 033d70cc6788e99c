"""``policy_support``: provincial policy support for the pilots.

The source text promises pilots priority in provincial plans and quota
distribution. Money and quota given to targets are taken from donors, so
totals are conserved and the donors are recorded.
"""

from __future__ import annotations

from typing import Literal, override

import numpy as np
from pydantic import Field

from sim.base.errors import InputError
from sim.model.core.state import Policy
from sim.model.levers.base import Evidence, Lever, LeverContext, share_of
from sim.model.region import Region
from sim.model.selection import TargetSpec


class DonorsOutsideTargets(TargetSpec):
    """The donors of a :class:`PolicySupport` lever that are not among its targets.

    A lever whose donors are all targets would move nothing, so resolving it
    to no county is an error that says so.

    Attributes:
        targets: the lever's targets, taken out of the donors.
    """

    targets: TargetSpec

    @override
    def select(self, region: Region, travel_time: np.ndarray | None = None) -> np.ndarray:
        donors = super().select(region, travel_time)
        if not donors.any():
            raise InputError(super().empty_message(region))
        return donors & ~self.targets.resolve(region, travel_time)

    @override
    def empty_message(self, region: Region) -> str:
        return (f"every donor ({self.describe()}) is also a target, so the lever would move "
                "nothing; choose donors outside the targets")


class PolicySupport(Lever):
    """Fiscal transfers and land-quota priority from donors to targets.

    Attributes:
        transfer_share: transfer per year as a share of the targets' GDP; paid
            by donors in proportion to their GDP, received by targets in
            proportion to theirs, added to and taken from investment.
        quota_priority_km2: construction-land quota per year moved from donors
            (in proportion to their land) to targets (in proportion to theirs).
        donors: who pays (default: the rest of Sichuan, since the support is
            provincial); targets among them do not pay, and at least one donor
            must be outside the targets.
    """

    mechanism = ("moves `transfer_share` × targets' GDP per year from donors' investment "
                 "to targets' (eq. 6d) and `quota_priority_km2` of construction land "
                 "from donors to targets (eq. 9c); both totals are conserved")
    source_area = "provincial policy support for the pilots"
    shows_in = ("fiscal_transfer_bn_yuan", "investment_in_bn_yuan", "capital_bn_yuan",
                "land_km2")
    primary_outcome = "investment_in_bn_yuan"
    evidence = Evidence(
        measure=("no comparable estimate: place-based programmes raise capital "
                 "investment in the zoned areas (Lu, Wang & Zhu 2019; Alder, Shao & "
                 "Zilibotti 2016, GDP +20 % mainly through capital), but no verified"
                 " number on investment for a provincial transfer"),
        citations=(
            ("Lu, Y., Wang, J. & Zhu, L. (2019). Place-based policies, creation, and"
             " agglomeration economies: evidence from China's economic zone program."
             " American Economic Journal: Economic Policy 11(3): 325–360."),
            ("Alder, S., Shao, L. & Zilibotti, F. (2016). Economic reforms and "
             "industrial policy in a panel of Chinese cities. Journal of Economic "
             "Growth 21(4): 305–349."),))
    identification = ("identified: the transfer is an accounting move of investment "
                      "from donors to targets (eq. 6d), whose size the lever sets; "
                      "no behavioural parameter carries it")

    type: Literal["policy_support"]
    transfer_share: float = Field(0.02, ge=0, le=0.5, description="share of targets' GDP")
    quota_priority_km2: float = Field(1.0, ge=0, le=100, description="km²/year")
    donors: TargetSpec = TargetSpec(province="Sichuan")

    @override
    def target_fields(self) -> dict[str, TargetSpec]:
        donors = DonorsOutsideTargets.model_validate(
            {**self.donors.model_dump(), "targets": self.targets})
        return {"targets": self.targets, "donors": donors}

    @override
    def apply(self, policy: Policy, masks: dict[str, np.ndarray], weight: float,
              ctx: LeverContext) -> None:
        targets = masks["targets"]
        donors = masks["donors"] & ~targets
        if not donors.any():  # rejected at load (see DonorsOutsideTargets)
            return
        gdp, land = ctx.state.gdp, ctx.state.land
        amount = weight * self.transfer_share * gdp[targets].sum()
        policy.transfers_bn_yuan += amount * (share_of(gdp, targets) - share_of(gdp, donors))
        quota = weight * self.quota_priority_km2
        moved = quota * (share_of(land, targets) - share_of(land, donors))
        policy.land_quota_km2 += moved
        policy.land_transfer_km2 += moved
