"""One simulated year: docs/model.md §5, steps 2–9 in their fixed order.

Step 1 (infrastructure) and step 10 (collect) belong to the Mesa shell, which
owns the network and the output buffers.
"""

from __future__ import annotations

import numpy as np

from sim.model.core import amenities, demography, investment, knowledge, migration, production
from sim.model.core import land as construction
from sim.model.core.kernels import Kernels
from sim.model.core.land import TINY
from sim.model.core.state import Constants, Policy, State, YearFlows
from sim.model.parameters import Parameters


def advance(state: State, const: Constants, policy: Policy, kernels: Kernels,
            travel_time: np.ndarray, params: Parameters,
            rng: np.random.Generator | None, want_od: bool = False,
            scratch: np.ndarray | None = None) -> tuple[State, YearFlows]:
    """Advance the region by one year.

    Args:
        state: the state at the end of the previous year (not modified).
        const: per-run constants.
        policy: this year's lever effects.
        kernels: travel-time kernels of this year's network.
        travel_time: this year's (N+1)×(N+1) travel times (for service sharing).
        params: model parameters.
        rng: the run's generator for stochastic draws, or None for expected values.
        want_od: also return the origin–destination matrices (for recorded flows).
        scratch: an (N, N) work array reused by the caller across years. N×N
            temporaries are large enough that allocating them each year costs more
            (fresh pages) than the arithmetic; results do not depend on it.

    Returns:
        The new state (for year ``state.year + 1``) and the year's flows.
    """
    p = params
    year = state.year + 1
    urban, rural = state.urban, state.rural
    pop = urban + rural

    # 2. Market access, from last year's output.
    access = production.market_access(state.gdp, kernels.access, const.market_access_mean)

    # 3. Production with this year's stocks.
    land_h = production.land_factor(state.land, urban, p.land_per_urban_resident_km2,
                                    p.land_constraint_elasticity)
    gdp = production.output(state.tfp, access, state.capital, p.labour_participation * pop,
                            land_h, p.capital_share, p.agglomeration_elasticity)

    # 4. Incomes.
    income, urban_income, rural_income = production.incomes(
        gdp, urban, rural, state.primary_va_share, state.primary_pop_share,
        p.capital_share, policy.rural_income_support)

    # 5. Migration.
    own_services = amenities.services(const.services_initial, income, const.income_initial,
                                      p.services_income_elasticity, policy.services_boost)
    services = amenities.shared_services(own_services, travel_time[:-1, :-1],
                                         const.province, policy.sharing)
    amenity = amenities.amenity(state.land, const.area_km2, policy.amenity_boost)
    reachable_income = migration.commuting_income(income, pop, kernels.commuting)
    utility = migration.destination_utility(
        reachable_income, services, amenity,
        migration.crowding(state.land, urban, p.land_per_urban_resident_km2), urban,
        policy.hukou_bonus, p.income_elasticity, p.services_weight, p.amenity_weight,
        p.crowding_weight, p.destination_size_weight)
    roc_income = const.roc_income_initial * (1.0 + p.roc_income_growth) ** (
        year - const.census_year)
    roc_utility = p.income_elasticity * np.log(roc_income) + p.roc_preference
    choice = migration.choose(pop, p.migration_rate, utility, roc_utility, kernels.migration)
    from_roc = migration.roc_arrivals(p.roc_return_migration_rate * pop.sum(), choice,
                                      kernels.migration_from_roc)
    od = None
    if rng is not None or want_od:
        od = migration.expected_od(choice, kernels.migration)
        if rng is not None:
            od, from_roc = migration.draw_flows(rng, od, from_roc, pop)
        out_migration, arrivals, to_roc = od.sum(axis=1), od[:, :-1].sum(axis=0), od[:, -1]
    else:
        out_migration, arrivals, to_roc = migration.expected_totals(choice, kernels.migration)
    in_migration = arrivals + from_roc
    after_migration = pop - out_migration + in_migration

    # 6. Investment.
    governance = np.minimum(p.governance_initial + policy.governance_boost, 1.0)
    attract = investment.attractiveness(gdp, state.capital, governance,
                                        policy.investment_attraction, p.capital_share,
                                        p.investment_return_elasticity)
    roc_attract = p.roc_capital_return ** p.investment_return_elasticity
    savings = p.saving_rate * gdp
    from_counties, sent = investment.totals(savings, p.home_bias, attract, roc_attract,
                                            kernels.investment)
    inv_from_roc = investment.roc_inflow(p.roc_investment_inflow_share * gdp.sum(), attract,
                                         kernels.investment_from_roc)
    received = (from_counties + inv_from_roc + policy.transfers_bn_yuan
                + policy.land_payments_bn_yuan)
    capital = investment.accumulate(state.capital, received, p.depreciation_rate)
    inv_od = (investment.flows(savings, p.home_bias, attract, roc_attract, kernels.investment)
              if want_od else None)

    # 7. Natural change, on the population after migration.
    birth_rate, death_rate = demography.vital_rates(
        const.birth_rate_2010, const.death_rate_2010, year, p.birth_rate_trend,
        p.death_rate_trend)
    births, deaths = demography.natural_change(after_migration, birth_rate, death_rate, rng)
    new_pop = after_migration + births - deaths
    # Leavers are urban and rural in proportion, arrivals settle more in towns
    # (eq. 5k); natural change keeps the urban share after migration.
    urban_m, rural_m = demography.settle_migrants(
        urban, rural, out_migration, in_migration, p.migrant_urban_bias)
    # (An emptied county has no births or deaths either: 0 / TINY = 0.)
    scale = new_pop / np.maximum(after_migration, TINY)
    new_urban, new_rural = urban_m * scale, rural_m * scale

    # 8. Urbanisation.
    moved = demography.urbanisation(new_rural, urban_income, rural_income, state.land,
                                     new_urban, p.land_per_urban_resident_km2,
                                     p.urbanisation_base_rate, p.urbanisation_rate,
                                     policy.urbanisation_boost)
    new_urban, new_rural = new_urban + moved, new_rural - moved

    # 9. Knowledge diffusion and structural change; construction land grows.
    tfp = knowledge.diffuse(state.tfp, kernels.diffusion, p.tfp_growth, policy.tfp_boost,
                            scratch=scratch, spillover=p.knowledge_spillover,
                            multiplier=policy.spillover_multiplier,
                            row_sums=kernels.diffusion_row_sums)
    decline = np.maximum(1.0 - p.primary_share_decline - policy.sector_shift, 0.0)
    land = construction.grow_land(state.land, const.area_km2, p.land_quota_growth,
                                  policy.protected_share, policy.land_quota_extra,
                                  policy.land_quota_km2, p.buildable_share)

    new_state = State(
        year=year, urban=new_urban, rural=new_rural, capital=capital, gdp=gdp, tfp=tfp,
        land=land, governance=governance,
        primary_va_share=state.primary_va_share * decline,
        primary_pop_share=state.primary_pop_share * decline,
        income=income, urban_income=urban_income, rural_income=rural_income,
        services=services, amenity=amenity, market_access=access,
    )
    flows = YearFlows(
        births=births, deaths=deaths, in_migration=in_migration,
        out_migration=out_migration, roc_in_migration=from_roc,
        roc_out_migration=to_roc, investment_in=received, investment_out=sent,
        migration_od=od, investment_od=inv_od,
        investment_from_roc=inv_from_roc,
    )
    return new_state, flows
