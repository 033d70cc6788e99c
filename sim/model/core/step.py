"""One simulated year: docs/model.md §5, steps 2–9 in their fixed order.

Longer than usual for one function: the year is one sequence of equations whose
intermediate arrays feed later steps; splitting it would only pass them around.

Step 1 (infrastructure) and step 10 (collect) belong to the Mesa shell, which
owns the network and the output buffers.
"""

from __future__ import annotations

import numpy as np

from sim.model.core import (
    amenities,
    cohorts,
    demography,
    investment,
    knowledge,
    migration,
    production,
)
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
    ages = state.ages
    n = len(urban)
    pop = urban + rural

    # 2. Market access, from last year's output.
    access = production.market_access(state.gdp, kernels.access, const.market_access_mean)

    # 3. Production with this year's stocks, in two sectors; labour is the working-age
    # residents, of whom the share e farms.
    land_h = production.land_factor(state.land, urban, p.land_per_urban_resident_km2,
                                    p.land_constraint_elasticity)
    working = ages[:, :, cohorts.WORKING].sum(axis=(1, 2))
    labour = p.labour_participation * working
    farm_employment = production.farm_employment_share(state.farm_share, urban, rural)
    nonfarm = production.nonfarm_labour(labour, farm_employment, p.offfarm_work_share)
    gdp_other = production.output(state.tfp, access, state.capital, nonfarm, land_h,
                                   p.capital_share, p.agglomeration_elasticity)
    gdp_farm = production.farm_output(state.agri_tfp, farm_employment * labour,
                                      p.agri_labour_elasticity)
    gdp = gdp_other + gdp_farm

    # 4. Incomes.
    income, urban_income, rural_income = production.incomes(
        gdp_other, gdp_farm, urban, rural, farm_employment, p.capital_share,
        policy.rural_income_support)

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
    # Residents reconsider with the age profile r(a) (eq. 5l); all choose alike.
    movers_by_group = p.migration_rate * const.mover_profile * ages  # (N, 2, A)
    movers = movers_by_group.sum(axis=(1, 2))
    choice = migration.choose(movers, utility, roc_utility, kernels.migration)
    stay, to_roc_share = migration.stay_and_roc_shares(choice, kernels.migration)
    # From ROC: returns of the county's emigrants, and newcomers (eq. 5d).
    returns = p.roc_return_rate * state.emigrants
    arrivals_new = migration.newcomers(p.roc_newcomer_rate * pop.sum(), choice)
    registered_here = np.maximum(pop - state.registered_other_county
                                 - state.registered_other_province, 0.0)
    local_share = registered_here / np.maximum(pop, TINY)
    province_share = (local_share
                      + state.registered_other_county / np.maximum(pop, TINY))
    od = None
    if rng is not None or want_od:
        od = migration.expected_od(choice, kernels.migration)
        if rng is not None:
            limit = movers / (p.migration_rate * const.mover_profile.max()) \
                if p.migration_rate > 0 else np.zeros(n)  # no single year overdrawn
            od = migration.draw_flows(rng, od, limit)
            returns = np.minimum(rng.poisson(returns).astype(float), state.emigrants)
            arrivals_new = rng.poisson(arrivals_new).astype(float)
    # Arrivals by sex and census age group (one matrix product; eq. 5m), spread over
    # the single years of each group like the system's movers of that group.
    movers_groups = cohorts.to_groups(movers_by_group)  # (N, 2, 19)
    system_groups = movers_groups.sum(axis=0)
    within = movers_by_group.sum(axis=0) / np.maximum(system_groups, TINY)[
        :, cohorts.GROUP_OF_AGE]  # (2, 86): each year's share of its group's movers
    if rng is not None:
        out_migration, to_roc = od.sum(axis=1), od[:, -1]
        mix = movers_groups.reshape(n, -1) / np.maximum(movers, TINY)[:, None]
        arrivals_by_group = od[:, :-1].T @ mix
        out_by_age = (out_migration / np.maximum(movers, TINY))[:, None, None] \
            * movers_by_group
        same = migration.arrivals_from_same_province(None, kernels.migration, od,
                                                     province_share, const.province_rows)
    else:
        leave = 1.0 - stay
        out_migration, to_roc = movers * leave, movers * to_roc_share
        arrivals_by_group = migration.arrivals_by_group(
            choice, kernels.migration, kernels.migration_to, movers_groups.reshape(n, -1))
        out_by_age = movers_by_group * leave[:, None, None]
        same = migration.arrivals_from_same_province(choice, kernels.migration, None,
                                                     province_share, const.province_rows)
    arrivals = arrivals_by_group.sum(axis=1)
    from_roc = returns + arrivals_new
    in_migration = arrivals + from_roc
    in_by_age = (arrivals_by_group.reshape(n, 2, -1)[:, :, cohorts.GROUP_OF_AGE] * within
                 + returns[:, None, None] * const.return_mix
                 + arrivals_new[:, None, None] * const.newcomer_mix)
    after_ages = ages - out_by_age + in_by_age
    after_migration = pop - out_migration + in_migration
    # Registration (hukou) stocks: leavers are registered like the residents; arrivals
    # from the same province who were registered in it count in "another county", the
    # rest in "another province"; returns are registered here (eq. 5n).
    keep = 1.0 - out_migration / np.maximum(pop, TINY)
    other_county = state.registered_other_county * keep + same
    other_province = (state.registered_other_province * keep + (arrivals - same)
                      + arrivals_new)
    emigrants = (state.emigrants * (1.0 - p.emigrant_attrition) - returns
                 + to_roc * local_share)

    # 6. Investment.
    governance = np.minimum(p.governance_initial + policy.governance_boost, 1.0)
    attract = investment.attractiveness(gdp, state.capital, governance,
                                        policy.investment_attraction, p.capital_share,
                                        p.investment_return_elasticity)
    roc_attract = p.roc_capital_return ** p.investment_return_elasticity
    savings = p.saving_rate * gdp
    from_counties, sent = investment.totals(savings, p.home_bias, attract, roc_attract,
                                            kernels.investment)
    inv_from_roc = investment.fiscal_inflow(gdp, const.fiscal_gap, p.fiscal_investment_share)
    received = (from_counties + inv_from_roc + policy.transfers_bn_yuan
                + policy.land_payments_bn_yuan)
    capital = investment.accumulate(state.capital, received, p.depreciation_rate)
    inv_od = (investment.flows(savings, p.home_bias, attract, roc_attract, kernels.investment)
              if want_od else None)

    # 7. Natural change by sex and age, on the population after migration, and a year
    # of ageing.
    fertility, death_rates = cohorts.vital_schedules(
        const.fertility_level, const.mortality_level, year - cohorts.BASE_YEAR,
        p.fertility_trend, p.mortality_decline, p.birth_registration_factor)
    deaths_by_age, births_by_sex, newborn_deaths, new_ages = cohorts.natural_change(
        after_ages, fertility, death_rates, const.male_share_at_birth, rng)
    births, deaths = births_by_sex.sum(axis=1), deaths_by_age.sum(axis=(1, 2))
    new_pop = new_ages.sum(axis=(1, 2))  # = after_migration + births − deaths
    # Leavers are urban and rural in proportion, arrivals settle more in towns
    # (eq. 5k); natural change keeps the urban share after migration, and the
    # registration shares.
    urban_m, _ = demography.settle_migrants(
        urban, rural, out_migration, in_migration, p.migrant_urban_bias)
    # (An emptied county has no births or deaths either: 0 / TINY = 0.)
    scale = new_pop / np.maximum(after_migration, TINY)
    new_urban = urban_m * scale
    conversions = p.hukou_conversion_rate * (other_county + other_province) * scale
    other_county = other_county * scale * (1.0 - p.hukou_conversion_rate)
    other_province = other_province * scale * (1.0 - p.hukou_conversion_rate)
    new_urban = np.minimum(new_urban, new_pop)
    new_rural = new_pop - new_urban

    # 8. Urbanisation.
    moved = demography.urbanisation(new_rural, urban_income, rural_income, state.land,
                                     new_urban, p.land_per_urban_resident_km2,
                                     p.urbanisation_base_rate, p.urbanisation_rate,
                                     policy.urbanisation_boost)
    new_urban, new_rural = new_urban + moved, new_rural - moved

    # 9. Knowledge diffusion and structural change (eq. 9d); construction land grows.
    tfp = knowledge.diffuse(state.tfp, kernels.diffusion, p.tfp_growth, policy.tfp_boost,
                            scratch=scratch, spillover=p.knowledge_spillover,
                            multiplier=policy.spillover_multiplier,
                            row_sums=kernels.diffusion_row_sums)
    decline = np.maximum(1.0 - p.primary_share_decline - policy.sector_shift, 0.0)
    land = construction.grow_land(state.land, const.area_km2, p.land_quota_growth,
                                  policy.protected_share, policy.land_quota_extra,
                                  policy.land_quota_km2, p.buildable_share)

    new_state = State(
        year=year, ages=new_ages, urban=new_urban, rural=new_rural,
        registered_other_county=other_county, registered_other_province=other_province,
        emigrants=emigrants, capital=capital, gdp=gdp, tfp=tfp,
        land=land, governance=governance,
        primary_va_share=gdp_farm / np.maximum(gdp, TINY),
        primary_pop_share=farm_employment, gdp_farm=gdp_farm,
        agri_tfp=state.agri_tfp * (1.0 + p.agri_tfp_growth),
        farm_share=state.farm_share * decline,
        income=income, urban_income=urban_income, rural_income=rural_income,
        services=services, amenity=amenity, market_access=access,
    )
    flows = YearFlows(
        births=births, deaths=deaths, in_migration=in_migration,
        out_migration=out_migration, roc_in_migration=from_roc,
        roc_out_migration=to_roc, roc_returns=returns, roc_newcomers=arrivals_new,
        hukou_conversions=conversions, births_by_sex=births_by_sex,
        newborn_deaths=newborn_deaths, deaths_by_age=deaths_by_age, out_by_age=out_by_age,
        in_by_age=in_by_age,
        investment_in=received, investment_out=sent,
        migration_od=od, investment_od=inv_od,
        investment_from_roc=inv_from_roc,
    )
    return new_state, flows
