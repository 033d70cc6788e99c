"""Cohort-component demography: schedules by age, ageing, births and deaths (docs/model.md §5.7).

Residents are held as (N, 2, 86) arrays: county × sex (male, female) × single years of
age 0, 1, …, 84 and the open group 85+. One simulated year moves everyone exactly one
year older (85+ keeps its survivors), so a census cohort stays a cohort: the people
aged 35–39 in 2010 are the survivors aged 45–49 in 2020. The census counts people in
the groups 0, 1–4, 5–9, …, 80–84, 85+; :func:`graduate` spreads each group over its
single years with a monotone spline of the cumulative counts (group totals exact), and
:func:`to_groups` sums them back for the tables.

The standard schedules (age shapes; county levels and trends are parameters):

* **mortality**: a Siler hazard μ(x) = a₀e^(−b₀x) + c + Ae^(Bx) by sex; the central death
  rate of each year of age (and of 85+ from a life table). The old-age part (A, B) was
  fitted to the 2010→2020 census cohort survival of ages 55+ of Sichuan and Chongqing
  pooled (docs/demography.md); the child and young-adult part (a₀, b₀, c) is an
  assumption;
* **fertility**: the Hadwiger (1940) shape in the parametrisation of Chandola, Coleman
  & Hiorns (1999), b = 3.5, C = 27 (peak at 25–29), over ages 15–49, per unit of TFR;
* **migration**: the Rogers & Castro (1981) model schedule with its "fundamental"
  parameters (a₁ = 0.02, α₁ = 0.1, a₂ = 0.06, α₂ = 0.1, μ₂ = 20, λ₂ = 0.4, c = 0.003;
  labour-force peak ≈ 23.5 years): children move with their parents (the pre-labour
  component falls with age at the labour component's rate), young adults most.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy.interpolate import PchipInterpolator

from sim.model.census import AGE_LOWER

#: Single years of age 0–84 and the open group 85+.
N_AGES = 86
OPEN = 85
#: Year the county fertility and mortality levels are measured in (the 2010 census);
#: their trends count from it.
BASE_YEAR = 2010
#: The census group of each single year (0, 1–4 → 1, 5–9 → 2, …, 85+ → 18).
GROUP_OF_AGE = np.searchsorted(AGE_LOWER, np.arange(N_AGES), side="right") - 1
#: First single year of each census group (for np.add.reduceat).
GROUP_START = AGE_LOWER.astype(int)
FERTILE = slice(15, 50)
WORKING = slice(15, 65)
CHILDREN, OLD = slice(0, 15), slice(65, None)

#: Siler hazard (a₀, b₀, c, A, B) by sex; see the module docstring.
SILER = {"m": (0.0233, 2.0, 0.0005, 1.84e-5, 0.1017),
         "f": (0.0233, 2.0, 0.0005, 3.55e-6, 0.1180)}
HADWIGER = (3.5, 27.0)
ROGERS_CASTRO = {"a1": 0.02, "alpha1": 0.1, "a2": 0.06, "alpha2": 0.1, "mu2": 20.0,
                 "lambda2": 0.4, "c": 0.003}


def graduate(groups: np.ndarray) -> np.ndarray:
    """Single years (…, 86) from census groups (…, 19), keeping every group's total.

    The cumulative count at the groups' bounds is interpolated with a monotone cubic
    (PCHIP, Fritsch & Carlson 1980), so single years are never negative and vary
    smoothly; 85+ stays one group.
    """
    groups = np.asarray(groups, dtype=float)
    closed = groups[..., :-1]
    bounds = np.append(AGE_LOWER[:-1], float(OPEN))
    cumulative = np.concatenate([np.zeros((*closed.shape[:-1], 1)),
                                 np.cumsum(closed, axis=-1)], axis=-1)
    spline = PchipInterpolator(bounds, cumulative, axis=-1)
    single = np.diff(spline(np.arange(0.0, OPEN + 1.0)), axis=-1)
    return np.concatenate([np.maximum(single, 0.0), groups[..., -1:]], axis=-1)


def to_groups(ages: np.ndarray) -> np.ndarray:
    """Census groups (…, 19) from single years (…, 86)."""
    return np.add.reduceat(ages, GROUP_START, axis=-1)


def age_one_year(pop: np.ndarray) -> np.ndarray:
    """Everyone one year older (last axis: single years; 85+ keeps its people)."""
    out = np.zeros_like(pop)
    out[..., 1:OPEN] = pop[..., :OPEN - 1]
    out[..., OPEN] = pop[..., OPEN - 1] + pop[..., OPEN]
    return out


@cache
def standard_death_rates() -> np.ndarray:
    """(2, 86) central death rates of the standard schedule by sex and age (1/year)."""
    out = np.array([_single_year_rates(SILER[s]) for s in ("m", "f")])
    out.flags.writeable = False
    return out


def _single_year_rates(p: tuple[float, ...]) -> np.ndarray:
    a0, b0, c, big_a, big_b = p
    ages = np.arange(0.0, 121.0)
    x0, x1 = ages[:-1], ages[1:]
    hazard = (c * (x1 - x0) + big_a / big_b * (np.exp(big_b * x1) - np.exp(big_b * x0))
              + a0 / b0 * (np.exp(-b0 * x0) - np.exp(-b0 * x1)))
    lx = np.concatenate([[1.0], np.cumprod(np.exp(-hazard))])
    dx = lx[:-1] - lx[1:]
    person_years = dx / hazard  # constant hazard within each year of age
    rates = hazard[:OPEN].copy()  # central rate of a year of constant hazard
    return np.append(rates, dx[OPEN:].sum() / person_years[OPEN:].sum())


@cache
def fertility_shape() -> np.ndarray:
    """(86,) births per woman per year by single year of age, for a TFR of 1."""
    b, c = HADWIGER
    x = np.arange(15, 50) + 0.5
    density = b / (c * np.sqrt(np.pi)) * (c / x) ** 1.5 * np.exp(-b * b * (c / x + x / c - 2))
    shape = np.zeros(N_AGES)
    shape[FERTILE] = density / density.sum()
    shape.flags.writeable = False
    return shape


def migration_profile(shift_years: float = 0.0) -> np.ndarray:
    """(86,) Rogers–Castro migration intensity by single year (85+: mean of 85–99).

    ``shift_years`` moves the labour-force peak (e.g. for return migrants, who are
    older than those who leave). The scale is arbitrary; callers normalise it.
    """
    return _profile(float(shift_years))


@cache
def _profile(shift: float) -> np.ndarray:
    rc = ROGERS_CASTRO
    x = np.arange(0.0, 100.0) + 0.5
    y = np.maximum(x - shift, 0.0)
    value = (rc["a1"] * np.exp(-rc["alpha1"] * y)
             + rc["a2"] * np.exp(-rc["alpha2"] * (y - rc["mu2"])
                                 - np.exp(-rc["lambda2"] * (y - rc["mu2"])))
             + rc["c"])
    out = np.append(value[:OPEN], value[OPEN:].mean())
    out.flags.writeable = False
    return out


def vital_schedules(fertility_level: np.ndarray, mortality_level: np.ndarray,
                    years_since_2010: int, fertility_trend: float, mortality_trend: float,
                    registration_factor: float) -> tuple[np.ndarray, np.ndarray]:
    """Eq. 7a: this year's fertility (N, 86) and death rates (N, 2, 86) by county.

    f_i(a, t) = F_i · ρ_b · shape(a) · e^(g_f (t − 2010)) and
    m_i(s, a, t) = K_i · m*(s, a) · (1 − g_m)^(t − 2010), with F_i the county's 2010
    fertility level (TFR), ρ_b the birth-registration factor, K_i its mortality level
    and m* the standard schedule.
    """
    tfr = fertility_level * registration_factor * np.exp(fertility_trend * years_since_2010)
    fertility = tfr[:, None] * fertility_shape()[None, :]
    decline = (1.0 - mortality_trend) ** years_since_2010
    deaths = (mortality_level * decline)[:, None, None] * standard_death_rates()[None]
    return fertility, deaths


def natural_change(pop: np.ndarray, fertility: np.ndarray, death_rates: np.ndarray,
                   male_share_at_birth: np.ndarray, rng: np.random.Generator | None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Eq. 7b: deaths by sex and age, births by sex, and the population a year older.

    Deaths: each resident of (s, a) dies with probability q = 1 − e^(−m); births:
    women of each age bear f(a) children a year, a share of them boys; newborns die at
    half the infant rate before the year ends (they live half a year on average).
    Stochastic runs draw deaths and births as Poisson counts around their expectations
    (deaths capped at the residents of the cell).

    Args:
        pop: (N, 2, 86) residents after the year's migration.
        fertility: (N, 86) births per woman by age.
        death_rates: (N, 2, 86) central death rates.
        male_share_at_birth: (N,) share of boys among births.
        rng: the run's generator, or None for expected values.

    Returns:
        (deaths, births, newborn_deaths, new_pop): deaths (N, 2, 86) by age at the
        start of the year (age 0 includes the newborns who died), births (N, 2), the
        newborns who died (N, 2), and the population at the end of the year: everyone a
        year older, the surviving newborns aged 0.
    """
    q = -np.expm1(-death_rates)
    expected_births = np.einsum("ia,ia->i", pop[:, 1], fertility)
    if rng is None:
        deaths = pop * q
        total_births = expected_births
    else:
        deaths = np.minimum(rng.poisson(pop * q).astype(float), pop)
        total_births = rng.poisson(expected_births).astype(float)
    births = np.stack([total_births * male_share_at_birth,
                       total_births * (1.0 - male_share_at_birth)], axis=1)
    newborn_deaths = births * -np.expm1(-0.5 * death_rates[:, :, 0])
    new_pop = age_one_year(pop - deaths)
    new_pop[:, :, 0] = births - newborn_deaths
    deaths = deaths.copy()
    deaths[:, :, 0] += newborn_deaths
    return deaths, births, newborn_deaths, new_pop


def age_shares(pop: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shares of residents aged 0–14, 15–64 and 65+ over the last two axes' totals."""
    total = np.maximum(pop.sum(axis=(-2, -1)), 1e-12)
    return (pop[..., CHILDREN].sum(axis=(-2, -1)) / total,
            pop[..., WORKING].sum(axis=(-2, -1)) / total,
            pop[..., OLD].sum(axis=(-2, -1)) / total)
