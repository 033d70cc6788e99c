"""Market access, output and incomes (docs/model.md §5.2–5.4)."""

from __future__ import annotations

import numpy as np

from sim.model.core.land import TINY, room

BN = 1e9  # yuan per bn yuan


def market_access(gdp: np.ndarray, access: np.ndarray, initial_mean: float) -> np.ndarray:
    """Eq. 2: MA_i = Σ_j Y_j exp(−θ τ_ij), divided by its mean at the census year."""
    return access @ gdp / initial_mean


def land_factor(land: np.ndarray, urban: np.ndarray, land_per_urban: float,
                elasticity: float) -> np.ndarray:
    """Eq. 3b: h = min(1, C / (λ U))^η, the output penalty of scarce urban land."""
    return room(land, urban, land_per_urban) ** elasticity


def output(tfp: np.ndarray, access_norm: np.ndarray, capital: np.ndarray,
           labour: np.ndarray, land: np.ndarray, capital_share: float,
           agglomeration: float) -> np.ndarray:
    """Eq. 3: non-agricultural output Y_n = A · MA^φ · K^α · L_n^(1−α) · h (bn yuan)."""
    return (tfp * access_norm ** agglomeration * capital ** capital_share
            * labour ** (1.0 - capital_share) * land)


def nonfarm_labour(labour: np.ndarray, farm_employment: np.ndarray,
                   offfarm: float) -> np.ndarray:
    """Eq. 3e: L_n = (1 − e + ω e) L, the labour of the rest of the economy.

    Farm workers (share e of the employed) give a share ω of their time to off-farm
    work (part-time farming), so labour leaving agriculture adds (1 − ω) of a worker.
    """
    return (1.0 - (1.0 - offfarm) * farm_employment) * labour


def farm_output(agri_tfp: np.ndarray, farm_labour: np.ndarray,
                labour_elasticity: float) -> np.ndarray:
    """Eq. 3c: agricultural output Y_a = B · L_a^β (bn yuan); land is fixed and in B."""
    return agri_tfp * farm_labour ** labour_elasticity


def farm_employment_share(farm_share: np.ndarray, urban: np.ndarray,
                          rural: np.ndarray) -> np.ndarray:
    """Eq. 3d: e = f · rural / residents, the share of the employed who farm.

    f is the county's farm employment per rural resident relative to its employment
    rate (census-year e over rural share); it falls with structural change (eq. 9d).
    Urbanisation lowers e by itself: residents who move to towns leave farming.
    """
    pop = urban + rural
    return np.minimum(farm_share * rural / np.maximum(pop, TINY), 1.0)


def incomes(gdp_other: np.ndarray, gdp_farm: np.ndarray, urban: np.ndarray,
            rural: np.ndarray, farm_pop_share: np.ndarray, capital_share: float,
            rural_support: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eq. 4: income per capita, overall and of urban and rural residents (yuan).

    Farming households (e·P residents, all rural; e the farm employment share) earn the
    agricultural value added Y_a (labour and land); everyone else (urban residents and
    the other rural residents) shares the labour income (1−α)Y_n of the rest of the
    economy. Rural income support is added on top. If nobody farms, Y_a (then 0 or
    negligible) is shared by everyone.

    Returns:
        (income, urban_income, rural_income), each (N,).
    """
    pop = urban + rural
    labour_income = (1.0 - capital_share) * gdp_other * BN
    farm_income = gdp_farm * BN
    farming = np.minimum(farm_pop_share * pop, rural)
    has_farmers = farming > 0
    other_income = ((labour_income + farm_income * ~has_farmers)
                    / np.maximum(pop - farming, TINY))
    rural_income = np.where(
        rural > 0,
        (farm_income * has_farmers + (rural - farming) * other_income)
        / np.maximum(rural, TINY),
        other_income) + rural_support
    income = (labour_income + farm_income + rural_support * rural) / pop
    return income, other_income, rural_income
