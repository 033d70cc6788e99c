"""The state at the census year, from data and parameters (docs/model.md §3)."""

from __future__ import annotations

import numpy as np

from sim.model.census import CensusData
from sim.model.core import amenities, cohorts, investment, production
from sim.model.core import land as construction
from sim.model.core.kernels import Kernels
from sim.model.core.land import TINY
from sim.model.core.state import Constants, State
from sim.model.economy import PATH_YEARS, EconomyData
from sim.model.parameters import Parameters


def initial_state(data: CensusData, kernels: Kernels, params: Parameters
                  ) -> tuple[State, Constants]:
    """Build the census-year state and the run's constants.

    Output has two sectors (eq. 3). Agriculture's value added Y_a is the county's
    primary value added, and its productivity B = Y_a / L_a^β reproduces it with the
    census's farm labour L_a = e·ℓ·W (e the primary employment share, W the residents
    aged 15–64). The rest, Y_n = Y − Y_a, is produced with the capital K₀ of the census
    year (eqs. 3.1–3.3: κ × the county's capital weight × GDP for 2010; for 2020 the
    perpetual inventory of 2010–2019 investment) and a TFP A₀ that is the residual
    making eq. 3 reproduce it exactly. Like every later state, the returned one holds
    end-of-year stocks: capital after the census year's investment (the data's
    investment rate, eq. 3.3) and both productivities after the year's growth.
    Construction land C₀ is the MODIS built-up area of the census year (λU₀(1 + slack)
    where MODIS has none), at most the buildable area; S₀ = schooling years over their
    population-weighted mean (a proxy for the public-service level). Residents by sex
    and age, and registration stocks, are the census's; the emigrant stock of a 2020
    start is the 2010 one times ``emigrant_stock_change`` (the 2020 census has no hukou
    counts). Eq. 7a's county levels come from 2010 (eqs. 3.7, 3.8 of docs/model.md); a
    2010 start adds the children aged 0–4 the census missed (eq. 3.9,
    ``child_undercount_2010``).
    """
    p = params
    econ = data.economy
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
    capital = initial_capital(econ, data.year, p.capital_output_ratio, p.depreciation_rate)
    land = construction.initial_land(urban, data.area_km2, p.land_per_urban_resident_km2,
                                     p.initial_land_slack, p.buildable_share,
                                     econ.builtup_km2)
    # Eq. 2's norm is the census year's own mean, so MA₀ has mean 1.
    access_mean = float((kernels.access @ gdp).mean())
    access = production.market_access(gdp, kernels.access, access_mean)
    land_h = production.land_factor(land, urban, p.land_per_urban_resident_km2,
                                    p.land_constraint_elasticity)
    working = ages[:, :, cohorts.WORKING].sum(axis=(1, 2))
    labour = p.labour_participation * working
    farm_employment = data.primary_pop_share.astype(float)
    rural_share = rural / np.maximum(population, TINY)
    # f = e / rural share (eq. 3d); a fully urban unit has no farmers in the model.
    farm_share = np.divide(farm_employment, rural_share, out=np.zeros_like(gdp),
                           where=rural_share > 1e-6)
    farm_employment = production.farm_employment_share(farm_share, urban, rural)
    gdp_farm = data.primary_va_share * gdp
    farm_labour = farm_employment * labour
    agri_tfp = np.divide(gdp_farm, farm_labour ** p.agri_labour_elasticity,
                         out=np.zeros_like(gdp), where=farm_labour > 0)
    gdp_farm = production.farm_output(agri_tfp, farm_labour, p.agri_labour_elasticity)
    gdp_other = gdp - gdp_farm
    nonfarm = production.nonfarm_labour(labour, farm_employment, p.offfarm_work_share)
    unit_tfp = production.output(np.ones_like(gdp), access, capital, nonfarm, land_h,
                                 p.capital_share, p.agglomeration_elasticity)
    tfp = gdp_other / unit_tfp
    year_index = PATH_YEARS.index(data.year)
    invested = econ.investment_share_path[:, year_index] * gdp
    end_of_year_capital = investment.accumulate(capital, invested, p.depreciation_rate)
    end_of_year_tfp = tfp * (1.0 + p.tfp_growth)
    no_support = np.zeros_like(gdp)
    income, urban_income, rural_income = production.incomes(
        gdp_other, gdp_farm, urban, rural, farm_employment, p.capital_share, no_support)
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
        province_rows=province_rows(data.province), fiscal_gap=econ.fiscal_gap,
    )
    state = State(
        year=data.year, ages=ages, urban=urban, rural=rural,
        registered_other_county=data.registered_other_county.astype(float),
        registered_other_province=data.registered_other_province.astype(float),
        emigrants=emigrants.astype(float),
        capital=end_of_year_capital, gdp=gdp, tfp=end_of_year_tfp, land=land,
        governance=np.full_like(gdp, p.governance_initial, dtype=float),
        primary_va_share=gdp_farm / gdp, primary_pop_share=farm_employment,
        gdp_farm=gdp_farm, agri_tfp=agri_tfp * (1.0 + p.agri_tfp_growth),
        farm_share=farm_share,
        income=income.copy(), urban_income=urban_income, rural_income=rural_income,
        services=services0.copy(),
        amenity=amenities.amenity(land, data.area_km2, no_support), market_access=access,
    )
    return state, const


def initial_capital(econ: EconomyData, year: int, ratio: float, depreciation: float
                    ) -> np.ndarray:
    """Capital at the start of the census year (eqs. 3.1–3.2, bn yuan of that year).

    2010: K = κ · w_i · Y_i, w the county's capital weight (its relative investment
    rate, GDP-weighted mean 1 in each province), so each province's K/Y is κ. 2020: the
    2010 stock carried forward by perpetual inventory, K_t = (1 − δ) K_(t−1) + I_t,
    with I_t the county's investment share × real GDP of 2010–2019 (2020 prices).
    """
    start = ratio * econ.capital_weight * econ.gdp_path[:, 0]
    if year == PATH_YEARS[0]:
        return start
    span = PATH_YEARS.index(year)
    invested = econ.investment_share_path[:, :span] * econ.gdp_path[:, :span]
    return investment.perpetual_inventory(start, invested, depreciation)


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
