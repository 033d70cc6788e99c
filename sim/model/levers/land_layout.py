"""``land_layout``: optimisation of land layout, with quota trading.

Quota trading follows Chongqing's land-ticket (地票) market (pilots_notes.md §5):
rural construction land reclaimed in a selling county becomes urban
construction quota bought by a county short of land. The buyer pays the price;
the seller keeps the reclamation cost as local investment and its rural
residents receive the rest (85% farmers, 15% collectives in Chongqing's rules;
both are rural residents here). Default price and cost are the only figures in
the project's sources, from a low-confidence press piece (c. 2011): about
300,000 yuan per mu, of which about 100,000 reclamation cost. Traded volumes
are NOT CONFIRMED by any source: the default volume is illustrative.
"""

from __future__ import annotations

from typing import Literal, override

import numpy as np
from pydantic import Field, model_validator

from sim.base.errors import FieldError
from sim.model.core.land import buildable
from sim.model.core.production import BN
from sim.model.core.state import Policy
from sim.model.levers.base import Evidence, Lever, LeverContext, share_of
from sim.model.selection import TargetSpec

KM2_PER_MU = 1.0 / 1500.0


class LandLayout(Lever):
    """More construction-land quota for targets; optionally a quota market.

    Attributes:
        quota_growth: extra yearly growth of the targets' construction land (relative).
        trade_km2_per_year: quota offered per year by sellers (0: no trading).
        sellers: counties that reclaim rural land and sell quota (default: targets).
        buyers: counties that may buy quota (default: every county); each bids in
            proportion to its land shortage λU − C.
        price_yuan_per_mu: price paid per mu (1 km² = 1,500 mu).
        reclamation_cost_yuan_per_mu: part of the price spent on reclamation in the
            seller county (invested there); the rest is rural income. At most
            the price.
    """

    mechanism = ("adds `quota_growth` to the targets' land growth (eq. 9c); with trading, "
                 "sellers' quota goes to buyers in proportion to their land shortage, up "
                 "to `trade_km2_per_year`, buyers pay the price from their investment, "
                 "sellers keep the reclamation cost as investment and the rest as rural "
                 "income")
    source_area = "optimisation of the layout of land"
    shows_in = ("land_km2", "land_traded_km2", "land_trade_value_bn_yuan", "gdp_bn_yuan",
                "rural_income_yuan")
    primary_outcome = "gdp_bn_yuan"
    evidence = Evidence(
        low=11.12, high=11.12,
        measure=("Chongqing's economic output after its land-quota (地票) trading "
                 "programme: 11.12 % above its synthetic control (Liu, Zhang, Wang &"
                 " Guo 2022, synthetic control method); a whole-municipality, "
                 "many-year effect, larger in scope than the lever's quota for its "
                 "targets"),
        citations=(
            ("Liu, X., Zhang, X., Wang, M. & Guo, Z. (2022). Is urban and rural "
             "construction land quota trading 'chicken ribs'? An empirical study on "
             "Chongqing, China. Land 11(11): 1977."),))
    identification = ("not identified: output responds to land through the land-"
                      "constraint elasticity 0.3 (a modelling assumption) where land "
                      "binds, which the MODIS built-up area decides (docs/economy.md); "
                      "the calibration fits the land requirement per urban resident "
                      "but the data hold no land-supply shock. Quota trading "
                      "(`land_quota_trading.toml`) moves quota at a fixed price to the "
                      "few targets short of land, so its 29 targets' GDP moves by "
                      "little (below the 0.2 % mark) while the buyers gain most")

    type: Literal["land_layout"]
    quota_growth: float = Field(0.01, ge=0, le=0.2, description="1/year")
    trade_km2_per_year: float = Field(0.0, ge=0, le=500, description="km²/year")
    sellers: TargetSpec | None = None
    buyers: TargetSpec | None = None
    price_yuan_per_mu: float = Field(300_000.0, ge=0, le=5_000_000, description="yuan/mu")
    reclamation_cost_yuan_per_mu: float = Field(100_000.0, ge=0, le=5_000_000,
                                                description="yuan/mu")

    @model_validator(mode="after")
    def _cost_within_price(self) -> LandLayout:
        if self.reclamation_cost_yuan_per_mu > self.price_yuan_per_mu:
            raise FieldError("reclamation_cost_yuan_per_mu",
                             f"{self.reclamation_cost_yuan_per_mu:g} is above "
                             f"price_yuan_per_mu {self.price_yuan_per_mu:g}; the reclamation "
                             "cost is the part of the price spent in the seller county")
        return self

    @override
    def target_fields(self) -> dict[str, TargetSpec]:
        fields = {"targets": self.targets}
        if self.trade_km2_per_year > 0:
            fields["sellers"] = self.sellers or self.targets
            fields["buyers"] = self.buyers or TargetSpec(all=True)
        return fields

    @override
    def apply(self, policy: Policy, masks: dict[str, np.ndarray], weight: float,
              ctx: LeverContext) -> None:
        policy.land_quota_extra[masks["targets"]] += weight * self.quota_growth
        if self.trade_km2_per_year > 0:
            self._trade(policy, masks["sellers"], masks["buyers"], weight, ctx)

    def _trade(self, policy: Policy, sellers: np.ndarray, buyers: np.ndarray,
               weight: float, ctx: LeverContext) -> None:
        s = ctx.state
        # What a buyer can still use: its land need, up to its buildable area.
        usable = np.minimum(ctx.params.land_per_urban_resident_km2 * s.urban,
                            buildable(ctx.region.column("area_km2"),
                                      ctx.params.buildable_share))
        shortage = np.where(buyers & ~sellers, np.maximum(usable - s.land, 0.0), 0.0)
        traded = min(weight * self.trade_km2_per_year, shortage.sum())
        if traded <= 0:
            return
        bought = traded * shortage / shortage.sum()
        sold = traded * share_of(s.rural, sellers)
        price = self.price_yuan_per_mu / KM2_PER_MU / BN  # bn yuan per km²
        cost = self.reclamation_cost_yuan_per_mu / KM2_PER_MU / BN  # at most the price
        policy.land_quota_km2 += bought
        policy.land_traded_km2 += bought - sold
        policy.land_trade_value_bn_yuan += (sold - bought) * price
        policy.land_payments_bn_yuan += sold * cost - bought * price
        rural_cash = sold * (price - cost) * BN
        policy.rural_income_support += np.divide(rural_cash, s.rural,
                                                 out=np.zeros_like(rural_cash),
                                                 where=s.rural > 0)
