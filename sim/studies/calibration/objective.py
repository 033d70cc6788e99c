"""What calibration minimises, and the search space it minimises over.

The objective is a concentrated Gaussian log-likelihood over the training
groups, with one error variance per component:

    J(θ) = Σ_k n_k · ln(MSE_k(θ) + ε) + Σ_m (r_m / σ_m)²,
    k ∈ {population, urban, gdp, registered, ages, pyramids, primary_employment,
         primary_output, investment},  m ∈ {growth}

* population: log growth ln(P̂₂₀₂₀/P₂₀₁₀) − ln(P₂₀₂₀/P₂₀₁₀);
* urban: 2020 urban share, predicted − observed (percentage points);
* gdp: log growth 2010→2019 of the group's share of the training groups' GDP
  (comparable groups only: no imputed 2010 GDP; 2019 avoids the 2020 shock; 2019
  deflated by the provinces' GDP deflators, as the model's GDP is at 2010 prices);
* registered: ln of predicted over observed 2020 residents registered in another
  county of the province, and in another province (two residuals per group);
* ages: 2020 shares of residents aged 0–14 and 65+, predicted − observed
  (percentage points; two residuals per group);
* pyramids: ln of predicted over observed 2020 residents of each province by sex and
  census age group (2 × 2 × 19 residuals, all counties of the region: they tell the
  birth level from the 2010 census's missing children and show migration by age);
* primary_employment: 2020 primary (farm) share of employment, predicted − observed
  (percentage points; census shares weighted by residents);
* primary_output: 2019 primary share of value added, predicted − observed (points;
  the model's share is at 2010 prices, the data's nominal: agriculture's relative
  price rise is absorbed by the growth of B, see docs/economy.md);
* investment: ln of the group's 2017 investment rate relative to the training groups'
  (model: investment received over GDP; data: fixed-asset investment over GDP,
  comparable groups), predicted − observed;
* growth (a moment with a fixed σ, not a concentrated variance: it is one number):
  ln of the region's real GDP 2019/2010 over the comparable training groups,
  predicted − observed (2019 deflated by the provinces' GDP deflators),
  σ = :data:`GROWTH_SD`.

With priors (:class:`~sim.studies.calibration.priors.Prior`, e.g. the
market-access estimate of φ), J gains Σ_p ((value_p − mean_p) / sd_p)², −2 × the
log prior density: J is then −2 × a log posterior, and its differences keep
their likelihood-ratio reading.

Profiling the variances out makes J scale-free (no hand-set weights between
persons, points and yuan), and J(θ) − J(θ̂) is the likelihood-ratio statistic
that :mod:`sim.studies.calibration.fit` uses for profile intervals. ε = 1e-12 only
keeps the logarithm finite when a synthetic twin is fitted exactly.

Each fitted parameter is searched over its documented *plausible* range,
mapped to [0, 1]: linearly, or logarithmically when the range spans a factor
of 10 or more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from sim.base.errors import InputError
from sim.model.parameters import Parameters, parameter_hint
from sim.studies.calibration.observed import Targets
from sim.studies.calibration.priors import Prior, check_priors, prior_penalty
from sim.studies.calibration.validation_run import END_YEAR, EndState, run_validation

COMPONENTS = ("population", "urban", "gdp", "registered", "ages", "pyramids",
              "primary_employment", "primary_output", "investment")
#: σ of the growth moment: the uncertainty of the deflated 9-year growth (log points).
#: Sichuan's revised and first-published indices differ by 0.9 % over 2011–2014, the
#: deflators of the two GDP vintages by 0.2–1.8 %, the county sums from the provincial
#: totals by up to 0.5 % (docs/economy.md); 0.02 ≈ 0.2 points of yearly growth.
GROWTH_SD = 0.02
#: Components with a fixed σ (added as (r/σ)², not profiled).
MOMENTS = {"growth": GROWTH_SD}
EPSILON = 1e-12
#: Returned for parameter values where the model fails (overflow, NaN).
FAILED = 1e9


def residuals(outcome: EndState, targets: Targets, mask: np.ndarray) -> dict[str, np.ndarray]:
    """Prediction errors per component over the groups in ``mask``."""
    g = targets.groups
    pop = targets.aggregate(outcome.population)[mask]
    urban = targets.aggregate(outcome.urban)[mask]
    p20 = g["pop_2020"].to_numpy()[mask]
    u20 = g["urban_2020"].to_numpy()[mask]
    ok = g["gdp_comparable"].to_numpy()[mask]

    def observed(column: str) -> np.ndarray:
        return g[column].to_numpy()[mask]

    def predicted(values: np.ndarray) -> np.ndarray:
        return targets.aggregate(values)[mask]

    registered = np.concatenate([
        np.log(predicted(outcome.registered_other_county)
               / observed("registered_other_county_2020")),
        np.log(predicted(outcome.registered_other_province)
               / observed("registered_other_province_2020"))])
    ages = 100.0 * np.concatenate([
        predicted(outcome.aged_0_14) / pop - observed("aged_0_14_2020") / p20,
        predicted(outcome.aged_65_plus) / pop - observed("aged_65_plus_2020") / p20])
    gdp19 = predicted(outcome.gdp_2019)[ok]
    obs19 = observed("real_gdp_2019")[ok]  # in 2010 prices, as the model's GDP
    gdp10 = observed("gdp_2010")[ok]
    growth = (np.log(gdp19.sum() / gdp10.sum())
              - np.log(observed("real_gdp_2019")[ok].sum() / gdp10.sum()))
    farm = (100.0 * (predicted(outcome.farm_employment * outcome.population) / pop
                     - observed("farm_employed_2020") / p20))
    va = 100.0 * (predicted(outcome.primary_va_2019 * outcome.gdp_2019)
                  / predicted(outcome.gdp_2019) - observed("primary_va_2019")
                  / observed("gdp_2019"))
    inv_pred = predicted(outcome.investment_2017)[ok] / predicted(outcome.gdp_2017)[ok]
    inv_obs = observed("fai_2017")[ok] / observed("gdp_2017")[ok]
    inv_pred_all = predicted(outcome.investment_2017)[ok].sum() / predicted(
        outcome.gdp_2017)[ok].sum()
    inv_obs_all = observed("fai_2017")[ok].sum() / observed("gdp_2017")[ok].sum()
    return {
        "population": np.log(pop / p20),
        "urban": 100.0 * (urban / pop - u20 / p20),
        "gdp": (np.log(gdp19 / gdp19.sum()) - np.log(obs19 / obs19.sum())),
        "registered": registered,
        "ages": ages,
        "pyramids": np.log(targets.pyramids_of(outcome.age_groups) / targets.pyramids).ravel(),
        "primary_employment": farm,
        "primary_output": va,
        "investment": np.log(inv_pred / inv_pred_all) - np.log(inv_obs / inv_obs_all),
        "growth": np.array([growth]),
    }


def _scale(spec_range: tuple[float, float]) -> str:
    lo, hi = spec_range
    return "log" if lo > 0 and hi / lo >= 10 else "linear"


@dataclass(frozen=True)
class SearchSpace:
    """The fitted parameters and the map between their values and [0, 1]^k."""

    names: tuple[str, ...]
    ranges: tuple[tuple[float, float], ...] = field(init=False)
    scales: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        specs = Parameters.specs()
        for name in self.names:
            hint = parameter_hint(name)
            if hint:
                raise InputError(f"--fit: unknown parameter '{name}' to fit; {hint}")
        if len(set(self.names)) != len(self.names):
            raise InputError("a parameter to fit is listed twice")
        ranges = tuple(specs[n].plausible for n in self.names)
        object.__setattr__(self, "ranges", ranges)
        object.__setattr__(self, "scales", tuple(_scale(r) for r in ranges))

    def values(self, z: np.ndarray) -> dict[str, float]:
        """Parameter values of a point of the unit cube (clipped into it)."""
        out = {}
        for name, (lo, hi), scale, zi in zip(self.names, self.ranges, self.scales,
                                             np.clip(z, 0.0, 1.0), strict=True):
            if scale == "log":
                out[name] = float(math.exp(math.log(lo) + zi * (math.log(hi) - math.log(lo))))
            else:
                out[name] = float(lo + zi * (hi - lo))
        return out

    def unit(self, values: dict[str, float]) -> np.ndarray:
        """The unit-cube point of some parameter values (clipped into the cube)."""
        z = []
        for name, (lo, hi), scale in zip(self.names, self.ranges, self.scales, strict=True):
            v = values[name]
            if scale == "log":
                z.append((math.log(v) - math.log(lo)) / (math.log(hi) - math.log(lo)))
            else:
                z.append((v - lo) / (hi - lo))
        return np.clip(np.array(z), 0.0, 1.0)


@dataclass(frozen=True)
class Evaluation:
    """The objective at one parameter set, with its components.

    ``objective`` includes ``prior``, the priors' penalty (0 without priors).
    """

    objective: float
    mse: dict[str, float]
    n: dict[str, int]
    prior: float = 0.0


@dataclass(frozen=True, eq=False)
class Objective:
    """J(θ) on a set of groups, as a function of the unit-cube coordinates.

    Picklable, so that worker processes can evaluate it.

    Attributes:
        targets: observed (or synthetic) values.
        mask: the groups J is computed on (the training split).
        space: the fitted parameters.
        base: values of every parameter not fitted.
        region, end_year: the validation run.
        priors: Gaussian priors whose penalty is added to J (none by default).
    """

    targets: Targets
    mask: np.ndarray
    space: SearchSpace
    base: Parameters
    region: str = "sichuan_chongqing"
    end_year: int = END_YEAR
    priors: tuple[Prior, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "priors", check_priors(self.priors))

    def parameters(self, z: np.ndarray) -> Parameters:
        """The full parameter set at unit-cube point ``z``."""
        return self.base.replace(**self.space.values(z))

    def residuals_at(self, params: Parameters) -> dict[str, np.ndarray]:
        """The prediction errors per component (:func:`residuals`) of a full parameter set."""
        with np.errstate(all="ignore"):
            return residuals(run_validation(params, self.region, self.end_year), self.targets,
                             self.mask)

    def evaluate_parameters(self, params: Parameters) -> Evaluation:
        """J and its components for a full parameter set."""
        res = self.residuals_at(params)
        mse = {k: float(np.mean(r**2)) for k, r in res.items()}
        n = {k: len(r) for k, r in res.items()}
        if not all(math.isfinite(v) for v in mse.values()):
            return Evaluation(FAILED, mse, n)
        value = (sum(n[k] * math.log(mse[k] + EPSILON) for k in COMPONENTS)
                 + sum(mse[m] / sd**2 for m, sd in MOMENTS.items()))
        penalty = prior_penalty(self.priors, params)
        return Evaluation(value + penalty, mse, n, penalty)

    def evaluate(self, z: np.ndarray) -> Evaluation:
        """J and its components at unit-cube point ``z``."""
        return self.evaluate_parameters(self.parameters(np.asarray(z, dtype=float)))

    def __call__(self, z: np.ndarray) -> float:
        """J at unit-cube point ``z`` (what the optimisers minimise)."""
        return self.evaluate(z).objective
