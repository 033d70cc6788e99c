"""Arrays the core reads and writes: state, constants, policy and flows."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np


@dataclass(frozen=True, eq=False)
class Constants:
    """Per-run values that never change during a run (arrays of length N).

    Attributes:
        area_km2: land area.
        fertility_level: the county's total fertility rate of 2010 (children per
            woman), from its 2010 births and women by age (eq. 7a).
        mortality_level: the county's death rates over the standard schedule's
            (1 = standard), from its 2010 deaths by age, shrunk to its province's.
        male_share_at_birth: share of boys among births (its province's age-0 sex
            ratio at the census year).
        mover_profile: (86,) migration intensity by single year of age,
            population-weighted mean 1 over the system at the census year
            (Rogers–Castro; eq. 5l).
        return_mix: (2, 86) sex and age composition of migrants returning from ROC
            (sums to 1).
        newcomer_mix: (2, 86) composition of newcomers from ROC (sums to 1).
        services_initial: public-service index at the census year (mean 1).
        income_initial: income per capita at the census year (yuan).
        market_access_mean: mean market access at the census year (eq. 2 norm).
        roc_income_initial: ROC income per capita at the census year (yuan).
        census_year: year of the initial data.
        province: 0 Sichuan, 1 Chongqing.
        province_rows: for each province, the slice (or index array) of its counties.
        fiscal_gap: budget expenditure minus revenue over GDP (eq. 6c).
    """

    area_km2: np.ndarray
    fertility_level: np.ndarray
    mortality_level: np.ndarray
    male_share_at_birth: np.ndarray
    mover_profile: np.ndarray
    return_mix: np.ndarray
    newcomer_mix: np.ndarray
    services_initial: np.ndarray
    income_initial: np.ndarray
    market_access_mean: float
    roc_income_initial: float
    census_year: int
    province: np.ndarray
    province_rows: tuple = ()
    fiscal_gap: np.ndarray = field(default_factory=lambda: np.zeros(0))


@dataclass(eq=False)
class State:
    """The county state at the end of a year (arrays of length N).

    Stocks carry over between years; ``income``, ``services``, ``amenity``,
    ``market_access`` and ``governance`` are the values the year's decisions
    were based on (governance is recomputed each year from the levers, eq. 6a).
    Units: persons, bn yuan (constant census-year prices), km², yuan/person.

    Residents are held by sex and single year of age 0–84 and 85+ (``ages``, (N, 2,
    86)); ``urban`` + ``rural`` equals their total. Registration (hukou) stocks:
    ``registered_other_county`` and ``registered_other_province`` are residents
    registered in another county of the same province or in another province (the rest
    are registered in their county);
    ``emigrants`` are people registered in the county who live in the rest of China.

    Output has two sectors (eq. 3): ``gdp`` is their sum, ``gdp_farm`` agriculture's
    (so ``primary_va_share`` = gdp_farm / gdp); ``tfp`` is A of the rest of the
    economy, ``agri_tfp`` B of agriculture. ``farm_share`` is f, farm employment per
    rural resident relative to the employment rate (eq. 3d), and ``primary_pop_share``
    the farm employment share e = f × rural share the year's output used.
    """

    year: int
    ages: np.ndarray
    urban: np.ndarray
    rural: np.ndarray
    registered_other_county: np.ndarray
    registered_other_province: np.ndarray
    emigrants: np.ndarray
    capital: np.ndarray
    gdp: np.ndarray
    tfp: np.ndarray
    land: np.ndarray
    governance: np.ndarray
    primary_va_share: np.ndarray
    primary_pop_share: np.ndarray
    gdp_farm: np.ndarray
    agri_tfp: np.ndarray
    farm_share: np.ndarray
    income: np.ndarray
    urban_income: np.ndarray
    rural_income: np.ndarray
    services: np.ndarray
    amenity: np.ndarray
    market_access: np.ndarray

    @property
    def population(self) -> np.ndarray:
        """Residents, urban plus rural."""
        return self.urban + self.rural


@dataclass(frozen=True, eq=False)
class ServiceSharing:
    """Public services of ``providers`` count for counties within ``radius_h``.

    Attributes:
        providers: (N,) bool, counties whose services are shared.
        radius_h: travel-time radius (hours).
        share: fraction of a provider's service advantage a neighbour gains.
        cross_border: whether neighbours in the other province benefit.
    """

    providers: np.ndarray
    radius_h: float
    share: float
    cross_border: bool


def _zeros() -> np.ndarray:
    return np.zeros(0)


@dataclass(eq=False)
class Policy:
    """Lever effects in one year, per county. All zero means no reform.

    Built by :mod:`sim.model.levers` each year; the core only reads it.

    Attributes:
        tfp_boost: extra TFP growth rate (1/year).
        spillover_multiplier: multiplies the knowledge spill-over ψ (1 = none).
        sector_shift: extra relative decline of the primary sector's shares (1/year).
        land_quota_extra: extra construction-land growth (1/year, relative).
        land_quota_km2: construction land added this year (km², e.g. traded quota).
        protected_share: share of ordinary land-quota growth forgone (0–1).
        amenity_boost: added to ecological amenity E.
        services_boost: relative increase of the public-service level.
        sharing: public-service sharing arrangements.
        hukou_bonus: destination utility bonus for migrants (settling made easier).
        urbanisation_boost: relative increase of the urbanisation rate.
        rural_income_support: yuan per rural resident per year.
        governance_boost: added to governance efficiency g (capped at 1).
        investment_attraction: relative increase of attractiveness to investors.
        transfers_bn_yuan: net fiscal transfer received (sums to 0 over counties).
        land_payments_bn_yuan: investment gained (+) or spent (−) in land-quota
            trades: buyers pay the price, sellers keep the reclamation cost.
        land_traded_km2: quota bought (+) or sold (−), for the output tables.
        land_transfer_km2: quota received (+) or given up (−) by provincial
            allocation (policy support), for the output tables.
        land_trade_value_bn_yuan: value received (+) or paid (−), for the output.
    """

    n: int
    tfp_boost: np.ndarray = field(default_factory=_zeros)
    spillover_multiplier: np.ndarray = field(default_factory=_zeros)
    sector_shift: np.ndarray = field(default_factory=_zeros)
    land_quota_extra: np.ndarray = field(default_factory=_zeros)
    land_quota_km2: np.ndarray = field(default_factory=_zeros)
    protected_share: np.ndarray = field(default_factory=_zeros)
    amenity_boost: np.ndarray = field(default_factory=_zeros)
    services_boost: np.ndarray = field(default_factory=_zeros)
    sharing: tuple[ServiceSharing, ...] = ()
    hukou_bonus: np.ndarray = field(default_factory=_zeros)
    urbanisation_boost: np.ndarray = field(default_factory=_zeros)
    rural_income_support: np.ndarray = field(default_factory=_zeros)
    governance_boost: np.ndarray = field(default_factory=_zeros)
    investment_attraction: np.ndarray = field(default_factory=_zeros)
    transfers_bn_yuan: np.ndarray = field(default_factory=_zeros)
    land_payments_bn_yuan: np.ndarray = field(default_factory=_zeros)
    land_traded_km2: np.ndarray = field(default_factory=_zeros)
    land_transfer_km2: np.ndarray = field(default_factory=_zeros)
    land_trade_value_bn_yuan: np.ndarray = field(default_factory=_zeros)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray) and value.size == 0:
                fill = 1.0 if f.name == "spillover_multiplier" else 0.0
                setattr(self, f.name, np.full(self.n, fill))


@dataclass(frozen=True, eq=False)
class YearFlows:
    """What moved during one year (arrays of length N unless noted).

    Attributes:
        births, deaths: persons.
        in_migration, out_migration: persons, exchanges with ROC included.
        roc_in_migration, roc_out_migration: persons arriving from / leaving to ROC;
            arrivals are ``roc_returns`` + ``roc_newcomers``.
        roc_returns: people registered in the county coming back from ROC.
        roc_newcomers: people registered outside Sichuan and Chongqing arriving.
        hukou_conversions: residents registered elsewhere who registered here.
        births_by_sex: (N, 2) births (boys, girls).
        newborn_deaths: (N, 2) of them, those who died within the year.
        deaths_by_age: (N, 2, 86) deaths by sex and single year of age at the start
            of the year (age 0 includes the newborns who died).
        out_by_age, in_by_age: (N, 2, 86) departures and arrivals by sex and age,
            exchanges with ROC included.
        investment_in: all investment the county received (its own retained
            savings, other counties', ROC's and net fiscal transfers), bn yuan.
        investment_out: savings sent to other counties and ROC, bn yuan.
        migration_od: (N, N+1) persons from i to j (ROC last column), diagonal 0;
            None unless requested or drawn.
        investment_od: (N, N+1) bn yuan from i to j (ROC last), diagonal = retained;
            None unless requested.
        investment_from_roc: (N,) bn yuan invested in j from outside the region: the
            fiscal inflow F_j (eq. 6c).
    """

    births: np.ndarray
    deaths: np.ndarray
    in_migration: np.ndarray
    out_migration: np.ndarray
    roc_in_migration: np.ndarray
    roc_out_migration: np.ndarray
    roc_returns: np.ndarray
    roc_newcomers: np.ndarray
    hukou_conversions: np.ndarray
    births_by_sex: np.ndarray
    newborn_deaths: np.ndarray
    deaths_by_age: np.ndarray
    out_by_age: np.ndarray
    in_by_age: np.ndarray
    investment_in: np.ndarray
    investment_out: np.ndarray
    migration_od: np.ndarray | None
    investment_od: np.ndarray | None
    investment_from_roc: np.ndarray
