"""The state at the census year, from data and parameters (docs/model.md §3)."""

from __future__ import annotations

import numpy as np

from sim.model.core import amenities, production
from sim.model.core import land as construction
from sim.model.core.kernels import Kernels
from sim.model.core.state import Constants, State
from sim.model.parameters import Parameters


def initial_state(*, year: int, population: np.ndarray, urban: np.ndarray,
                  gdp: np.ndarray, primary_va_share: np.ndarray,
                  primary_pop_share: np.ndarray, edu_years: np.ndarray,
                  area_km2: np.ndarray, birth_rate: np.ndarray, death_rate: np.ndarray,
                  province: np.ndarray, kernels: Kernels, params: Parameters
                  ) -> tuple[State, Constants]:
    """Build the census-year state and the run's constants.

    The census year's output is produced with K = (K/Y)·Y₀ and a TFP A₀ that is
    the residual making eq. 3 reproduce the observed GDP exactly. Like every
    later state, the returned one holds end-of-year stocks: capital after the
    census year's investment (its savings invested at home, as the year's flows
    are not observed) and TFP after the year's growth. C₀ = min(λU₀(1 + slack), buildable area);
    S₀ = schooling years over their population-weighted mean (a proxy for the
    public-service level).
    """
    p = params
    rural = population - urban
    capital = p.capital_output_ratio * gdp
    land = construction.initial_land(urban, area_km2, p.land_per_urban_resident_km2,
                                     p.initial_land_slack, p.buildable_share)
    # Eq. 2's norm is the census year's own mean, so MA₀ has mean 1.
    access_mean = float((kernels.access @ gdp).mean())
    access = production.market_access(gdp, kernels.access, access_mean)
    land_h = production.land_factor(land, urban, p.land_per_urban_resident_km2,
                                    p.land_constraint_elasticity)
    unit_tfp = production.output(np.ones_like(gdp), access, capital,
                                 p.labour_participation * population, land_h,
                                 p.capital_share, p.agglomeration_elasticity)
    tfp = gdp / unit_tfp
    end_of_year_capital = (1.0 - p.depreciation_rate) * capital + p.saving_rate * gdp
    end_of_year_tfp = tfp * (1.0 + p.tfp_growth)
    no_support = np.zeros_like(gdp)
    income, urban_income, rural_income = production.incomes(
        gdp, urban, rural, primary_va_share, primary_pop_share, p.capital_share, no_support)
    services0 = edu_years / np.average(edu_years, weights=population)
    mean_income = float(np.average(income, weights=population))
    const = Constants(
        area_km2=area_km2, birth_rate_2010=birth_rate, death_rate_2010=death_rate,
        services_initial=services0, income_initial=income,
        market_access_mean=access_mean,
        roc_income_initial=p.roc_income_ratio * mean_income,
        census_year=year, province=province,
    )
    state = State(
        year=year, urban=urban.astype(float), rural=rural.astype(float),
        capital=end_of_year_capital, gdp=gdp.astype(float), tfp=end_of_year_tfp, land=land,
        governance=np.full_like(gdp, p.governance_initial, dtype=float),
        primary_va_share=primary_va_share.astype(float),
        primary_pop_share=primary_pop_share.astype(float),
        income=income.copy(), urban_income=urban_income, rural_income=rural_income,
        services=services0.copy(), amenity=amenities.amenity(land, area_km2, no_support),
        market_access=access,
    )
    return state, const
