"""Small synthetic regions for the core's oracle and property tests."""

from __future__ import annotations

import numpy as np

from sim.model.core import Constants, State
from sim.model.core.initial import province_rows

N_AGES = 86  # single years 0–84 and 85+


def one_age(totals: np.ndarray, age: int = 27) -> np.ndarray:
    """(N, 2, 86) residents: half men, half women, all of one age (27 by default)."""
    ages = np.zeros((len(totals), 2, N_AGES))
    ages[:, :, age] = np.asarray(totals, dtype=float)[:, None] / 2
    return ages


def make_state(ages: np.ndarray, urban: np.ndarray, gdp: np.ndarray, **fields) -> State:
    n = len(gdp)
    pop = ages.sum(axis=(1, 2))
    defaults = dict(
        year=2020, ages=ages, urban=urban, rural=pop - urban,
        registered_other_county=np.zeros(n), registered_other_province=np.zeros(n),
        emigrants=np.zeros(n), capital=3 * gdp, gdp=gdp, tfp=np.ones(n), land=np.full(n, 1e6),
        governance=np.ones(n), primary_va_share=np.zeros(n), primary_pop_share=np.zeros(n),
        gdp_farm=np.zeros(n), agri_tfp=np.zeros(n), farm_share=np.zeros(n),
        income=np.ones(n), urban_income=np.ones(n), rural_income=np.ones(n),
        services=np.ones(n), amenity=np.ones(n), market_access=np.ones(n))
    defaults.update(fields)
    return State(**defaults)


def make_constants(n: int, province: np.ndarray | None = None, **fields) -> Constants:
    province = np.zeros(n, dtype=int) if province is None else province
    flat = np.full((2, N_AGES), 1.0 / (2 * N_AGES))
    defaults = dict(
        area_km2=np.full(n, 1e7), fertility_level=np.zeros(n), mortality_level=np.zeros(n),
        male_share_at_birth=np.full(n, 0.5), mover_profile=np.ones(N_AGES),
        return_mix=flat, newcomer_mix=flat, services_initial=np.ones(n),
        income_initial=np.ones(n), market_access_mean=1.0, roc_income_initial=3.0e8,
        census_year=2020, province=province, province_rows=province_rows(province),
        fiscal_gap=np.zeros(n))
    defaults.update(fields)
    return Constants(**defaults)
