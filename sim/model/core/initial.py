"""The state at the census year, from data and parameters (docs/model.md §3)."""

from __future__ import annotations

import numpy as np

from sim.model.census import CensusData
from sim.model.core import amenities, cohorts, production
from sim.model.core import land as construction
from sim.model.core.kernels import Kernels
from sim.model.core.state import Constants, State
from sim.model.parameters import Parameters


def initial_state(data: CensusData, kernels: Kernels, params: Parameters
                  ) -> tuple[State, Constants]:
    """Build the census-year state and the run's constants.

    The census year's output is produced with K = (K/Y)·Y₀ and a TFP A₀ that is
    the residual making eq. 3 reproduce the observed GDP exactly. Like every
    later state, the returned one holds end-of-year stocks: capital after the
    census year's investment (its savings invested at home, as the year's flows
    are not observed) and TFP after the year's growth. C₀ = min(λU₀(1 + slack),
    buildable area); S₀ = schooling years over their population-weighted mean (a
    proxy for the public-service level). Residents by sex and age, and registration
    stocks, are the census's; the emigrant stock of a 2020 start is the 2010 one
    times ``emigrant_stock_change`` (the 2020 census has no hukou counts). Eq. 7a's
    county levels come from 2010 (eqs. 3.7, 3.8 of docs/model.md); a 2010 start adds
    the children aged 0–4 the census missed (eq. 3.9, ``child_undercount_2010``).
    """
    p = params
    ages = cohorts.graduate(data.ages)  # single years from the census groups (eq. 3.0)
    urban = data.urban.astype(float)
    if data.year == cohorts.BASE_YEAR and p.child_undercount_2010 != 1.0:
        # The 2010 census missed young children (eq. 3.9); urban residents keep their share.
        counted = ages.sum(axis=(1, 2))
        ages[:, :, :5] *= p.child_undercount_2010
        urban = urban * ages.sum(axis=(1, 2)) / counted
    population = ages.sum(axis=(1, 2))
    urban = np.minimum(urban, population)  # a fully urban district: no rounding below 0
    rural = population - urban
    gdp = data.gdp.astype(float)
    capital = p.capital_output_ratio * gdp
    land = construction.initial_land(urban, data.area_km2, p.land_per_urban_resident_km2,
                                     p.initial_land_slack, p.buildable_share)
    # Eq. 2's norm is the census year's own mean, so MA₀ has mean 1.
    access_mean = float((kernels.access @ gdp).mean())
    access = production.market_access(gdp, kernels.access, access_mean)
    land_h = production.land_factor(land, urban, p.land_per_urban_resident_km2,
                                    p.land_constraint_elasticity)
    working = ages[:, :, cohorts.WORKING].sum(axis=(1, 2))
    unit_tfp = production.output(np.ones_like(gdp), access, capital,
                                 p.labour_participation * working, land_h,
                                 p.capital_share, p.agglomeration_elasticity)
    tfp = gdp / unit_tfp
    end_of_year_capital = (1.0 - p.depreciation_rate) * capital + p.saving_rate * gdp
    end_of_year_tfp = tfp * (1.0 + p.tfp_growth)
    no_support = np.zeros_like(gdp)
    income, urban_income, rural_income = production.incomes(
        gdp, urban, rural, data.primary_va_share, data.primary_pop_share, p.capital_share,
        no_support)
    services0 = data.edu_years / np.average(data.edu_years, weights=population)
    mean_income = float(np.average(income, weights=population))
    region_ages = ages.sum(axis=0)  # (2, A)
    profile = cohorts.migration_profile()
    mover_profile = profile / ((profile * region_ages).sum() / region_ages.sum())
    back = cohorts.migration_profile(p.return_age_shift_years) * region_ages
    new = profile * region_ages
    emigrants = data.emigrants_2010 * (1.0 if data.year == cohorts.BASE_YEAR
                                       else p.emigrant_stock_change)
    const = Constants(
        area_km2=data.area_km2,
        fertility_level=fertility_level(cohorts.graduate(data.ages_2010), data.births_2010),
        mortality_level=mortality_level(cohorts.graduate(data.ages_2010), data.deaths_2010,
                                        data.province, p.mortality_prior_deaths),
        male_share_at_birth=data.male_share_at_birth, mover_profile=mover_profile,
        return_mix=back / back.sum(), newcomer_mix=new / new.sum(),
        services_initial=services0, income_initial=income,
        market_access_mean=access_mean,
        roc_income_initial=p.roc_income_ratio * mean_income,
        census_year=data.year, province=data.province,
        province_rows=province_rows(data.province),
    )
    state = State(
        year=data.year, ages=ages, urban=urban, rural=rural,
        registered_other_county=data.registered_other_county.astype(float),
        registered_other_province=data.registered_other_province.astype(float),
        emigrants=emigrants.astype(float),
        capital=end_of_year_capital, gdp=gdp, tfp=end_of_year_tfp, land=land,
        governance=np.full_like(gdp, p.governance_initial, dtype=float),
        primary_va_share=data.primary_va_share.astype(float),
        primary_pop_share=data.primary_pop_share.astype(float),
        income=income.copy(), urban_income=urban_income, rural_income=rural_income,
        services=services0.copy(),
        amenity=amenities.amenity(land, data.area_km2, no_support), market_access=access,
    )
    return state, const


def fertility_level(ages_2010: np.ndarray, births_2010: np.ndarray) -> np.ndarray:
    """Eq. 3.7: each county's 2010 TFR, F_i = B_i / Σ_a shape(a) W_i(a).

    B the births of the year before the 2010 census, W the women by single year and
    shape the standard fertility schedule per unit of TFR; the county's 2010 births
    are reproduced exactly (before the registration factor).
    """
    women = ages_2010[:, 1, :]
    expected = women @ cohorts.fertility_shape()
    return np.divide(births_2010, expected, out=np.zeros_like(expected), where=expected > 0)


def mortality_level(ages_2010: np.ndarray, deaths_2010: np.ndarray, province: np.ndarray,
                    prior_deaths: float) -> np.ndarray:
    """Eq. 3.8: each county's mortality level K_i, shrunk towards its province's.

    E_i = Σ_(s,a) m*(s, a) P_i(s, a) are the deaths the standard schedule expects of
    the county's 2010 population; K_prov = Σ D / Σ E over the province and
    K_i = (D_i + w) / (E_i + w / K_prov), w = ``mortality_prior_deaths`` (a
    Poisson–gamma posterior mean: a county with few deaths keeps its province's level).
    """
    expected = np.einsum("isa,sa->i", ages_2010, cohorts.standard_death_rates())
    level = np.empty_like(expected)
    for prov in np.unique(province):
        rows = province == prov
        k_prov = deaths_2010[rows].sum() / expected[rows].sum()
        level[rows] = ((deaths_2010[rows] + prior_deaths)
                       / (expected[rows] + prior_deaths / k_prov))
    return level


def province_rows(province: np.ndarray) -> tuple:
    """The counties of each province: a slice where they are contiguous, else indices."""
    rows = []
    for prov in np.unique(province):
        idx = np.flatnonzero(province == prov)
        contiguous = idx[-1] - idx[0] + 1 == len(idx)
        rows.append(slice(int(idx[0]), int(idx[-1]) + 1) if contiguous else idx)
    return tuple(rows)
