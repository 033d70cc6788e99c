"""Multi-start optimisation, profile likelihood and local identifiability.

* :func:`calibrate` minimises an :class:`~sim.studies.calibration.objective.Objective`
  from several starting points (the prior values and a Latin
  hypercube over the unit cube) with scipy's bounded Powell method, restarted
  from its own result until it stops improving, and returns every start's
  result so that the spread of the optima can be reported.
* :func:`profile` fixes one parameter at a time on a grid and re-minimises the
  others; J(θ) − J(θ̂) ≤ 3.84 (χ²₁, 95%) gives the profile interval.
* :func:`local_identifiability` uses a finite-difference Jacobian of the
  standardised residuals at the optimum (Gauss–Newton Fisher information) to
  give approximate standard errors, parameter correlations and the stiffest
  and sloppiest parameter combinations.

Work is spread over processes with :class:`concurrent.futures.ProcessPoolExecutor`
(``workers=1`` runs in the calling process).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.stats import qmc

from sim.studies.calibration.objective import COMPONENTS, MOMENTS, Evaluation, Objective

#: χ²₁ 95% quantile: the profile-likelihood threshold for one parameter.
CHI2_95 = 3.841458820694124


@dataclass(frozen=True)
class StartResult:
    """One local minimisation."""

    start: tuple[float, ...]
    z: tuple[float, ...]
    objective: float
    evaluations: int
    seconds: float


@dataclass(frozen=True)
class Calibration:
    """The result of :func:`calibrate`.

    Attributes:
        names: the fitted parameters.
        values: their fitted values (the best start).
        objective: J at the optimum.
        evaluation: J and its components at the optimum.
        starts: every start's result, best first.
        settings: optimiser settings, for the provenance record.
    """

    names: tuple[str, ...]
    values: dict[str, float]
    objective: float
    evaluation: Evaluation
    starts: tuple[StartResult, ...]
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def z(self) -> np.ndarray:
        """The unit-cube point of the optimum."""
        return np.array(self.starts[0].z)


def start_points(objective: Objective, n: int, seed: int = 20101101) -> list[np.ndarray]:
    """The prior values first, then ``n − 1`` Latin-hypercube points of the unit cube."""
    prior = objective.space.unit(objective.base.to_dict())
    points = [prior]
    if n > 1:
        points += list(qmc.LatinHypercube(d=len(prior), seed=seed).random(n - 1))
    return points


class _Fixed:
    """The objective with some unit-cube coordinates held fixed (for profiles)."""

    def __init__(self, objective: Objective, fixed: dict[int, float]) -> None:
        self.objective = objective
        self.fixed = fixed
        self.free = [i for i in range(len(objective.space.names)) if i not in fixed]

    def full(self, z_free: np.ndarray) -> np.ndarray:
        z = np.empty(len(self.objective.space.names))
        z[self.free] = z_free
        for i, v in self.fixed.items():
            z[i] = v
        return z

    def __call__(self, z_free: np.ndarray) -> float:
        return self.objective(self.full(z_free))


def _minimise(fun: Callable[[np.ndarray], float], z0: np.ndarray, max_evals: int,
              tolerance: float) -> tuple[np.ndarray, float, int]:
    """Bounded Powell, restarted from its result while it improves by > tolerance."""
    z, best, used = np.asarray(z0, dtype=float), math.inf, 0
    if len(z) == 0:  # nothing free (a one-parameter profile): just evaluate
        return z, float(fun(z)), 1
    while used < max_evals:
        res = minimize(fun, z, method="Powell", bounds=[(0.0, 1.0)] * len(z),
                       options={"maxfev": max_evals - used, "xtol": 1e-3, "ftol": 1e-6})
        used += int(res.nfev)
        improved = best - float(res.fun)
        if float(res.fun) < best:
            z, best = np.clip(res.x, 0.0, 1.0), float(res.fun)
        if improved <= tolerance:
            break
    return z, best, used


def _local(objective: Objective, z0: np.ndarray, max_evals: int,
           tolerance: float) -> StartResult:
    t0 = time.perf_counter()
    z, value, used = _minimise(objective, z0, max_evals, tolerance)
    return StartResult(start=tuple(map(float, z0)), z=tuple(map(float, z)), objective=value,
                       evaluations=used, seconds=time.perf_counter() - t0)


def _pool_map(fn: Callable, items: Iterable, workers: int) -> list:
    items = list(items)
    if workers <= 1 or len(items) <= 1:
        return [fn(*item) for item in items]
    with ProcessPoolExecutor(max_workers=min(workers, len(items))) as pool:
        futures = [pool.submit(fn, *item) for item in items]
        return [f.result() for f in futures]


def calibrate(objective: Objective, *, starts: int = 6, workers: int = 2,
              max_evals: int = 3000, tolerance: float = 0.01, seed: int = 20101101
              ) -> Calibration:
    """Minimise J from several starts and return the best and all results.

    Args:
        objective: what to minimise (its ``space`` says which parameters).
        starts: number of starting points (the first is the prior).
        workers: processes to use.
        max_evals: budget of model runs per start.
        tolerance: restart Powell while J improves by more than this.
        seed: seed of the Latin-hypercube starting points.
    """
    points = start_points(objective, starts, seed)
    results = _pool_map(_local, [(objective, z, max_evals, tolerance) for z in points],
                        workers)
    results.sort(key=lambda r: r.objective)
    best = np.array(results[0].z)
    return Calibration(
        names=objective.space.names, values=objective.space.values(best),
        objective=results[0].objective, evaluation=objective.evaluate(best),
        starts=tuple(results),
        settings={"method": "scipy.optimize.minimize(method='Powell'), bounded to the "
                            "plausible ranges, restarted while J improves by > "
                            f"{tolerance}",
                  "starts": starts, "max_evals_per_start": max_evals, "start_seed": seed})


def _profile_point(objective: Objective, index: int, value: float, z_opt: np.ndarray,
                   max_evals: int) -> tuple[int, float, float]:
    fixed = _Fixed(objective, {index: value})
    _, best, _ = _minimise(fixed, z_opt[fixed.free], max_evals, 0.01)
    return index, value, best


def profile(objective: Objective, calibration: Calibration, *, points: int = 7,
            max_evals: int = 400, workers: int = 2) -> pd.DataFrame:
    """Profile J over a grid of each fitted parameter.

    Each parameter is fixed at ``points`` evenly spaced unit-cube values (and its
    optimum), the others re-minimised from the optimum.

    Returns:
        One row per (parameter, value): ``parameter``, ``z``, ``value``,
        ``objective`` and ``delta`` = J − J(θ̂).
    """
    z_opt = calibration.z
    grid = np.linspace(0.0, 1.0, points)
    tasks = [(objective, i, float(v), z_opt, max_evals)
             for i in range(len(z_opt)) for v in grid]
    rows = _pool_map(_profile_point, tasks, workers)
    names = objective.space.names
    table = pd.DataFrame(rows, columns=["index", "z", "objective"])
    optimum = pd.DataFrame({"index": range(len(z_opt)), "z": z_opt,
                            "objective": calibration.objective})
    table = pd.concat([table, optimum], ignore_index=True)
    # A profile can never be below the optimum; a lower value means the
    # optimum was not global: keep the values, the report flags it.
    table["parameter"] = [names[i] for i in table["index"]]
    table["value"] = [objective.space.values(_one_hot(len(z_opt), i, z))[names[i]]
                      for i, z in zip(table["index"], table["z"], strict=True)]
    table["delta"] = table["objective"] - calibration.objective
    table = table.sort_values(["index", "z"]).drop(columns="index")
    return table[["parameter", "z", "value", "objective", "delta"]].reset_index(drop=True)


def _one_hot(n: int, i: int, value: float) -> np.ndarray:
    z = np.zeros(n)
    z[i] = value
    return z


def profile_intervals(table: pd.DataFrame, threshold: float = CHI2_95) -> pd.DataFrame:
    """Profile intervals {θ_k : J − J(θ̂) ≤ threshold}, interpolated on the grid.

    Returns:
        One row per parameter: ``lower``, ``upper`` (NaN-free; the range end
        when the profile stays below the threshold there), ``open_lower`` and
        ``open_upper`` (True when the interval reaches the end of the
        plausible range: the data do not bound the parameter on that side).
    """
    rows = []
    for name, g in table.groupby("parameter", sort=False):
        g = g.sort_values("value")
        v, d = g["value"].to_numpy(), g["delta"].to_numpy()
        inside = d <= threshold
        best = int(np.argmin(d))
        lo_i, hi_i = best, best
        while lo_i > 0 and inside[lo_i - 1]:
            lo_i -= 1
        while hi_i < len(v) - 1 and inside[hi_i + 1]:
            hi_i += 1
        lower = v[lo_i] if lo_i == 0 else _cross(v[lo_i - 1], d[lo_i - 1], v[lo_i], d[lo_i],
                                                 threshold)
        upper = v[hi_i] if hi_i == len(v) - 1 else _cross(v[hi_i], d[hi_i], v[hi_i + 1],
                                                          d[hi_i + 1], threshold)
        rows.append({"parameter": name, "lower": lower, "upper": upper,
                     "open_lower": lo_i == 0, "open_upper": hi_i == len(v) - 1})
    return pd.DataFrame(rows)


def _cross(v0: float, d0: float, v1: float, d1: float, threshold: float) -> float:
    """Where the straight line between (v0, d0) and (v1, d1) crosses the threshold."""
    if d1 == d0:
        return v0
    return v0 + (threshold - d0) * (v1 - v0) / (d1 - d0)


def _standardised_residuals(objective: Objective, z: np.ndarray,
                            scale: dict[str, float]) -> np.ndarray:
    res = objective.residuals_at(objective.parameters(z))
    return np.concatenate([res[k] / scale[k] for k in (*COMPONENTS, *MOMENTS)])


def local_identifiability(objective: Objective, calibration: Calibration,
                          step: float = 0.01) -> dict[str, Any]:
    """Gauss–Newton standard errors and correlations of the fitted parameters.

    With residuals r_k standardised by their RMSE at the optimum, the Fisher
    information of the concentrated likelihood is approximately F = Jᵀ J (J
    the Jacobian of the stacked standardised residuals with respect to the
    parameter values, by central differences of ``step`` in unit-cube
    coordinates). Its inverse gives local standard errors and correlations;
    its eigenvalues the stiff and sloppy directions. Parameters at a bound of
    their range get a one-sided difference.

    Returns:
        ``se`` (per parameter, in parameter units), ``correlation`` (matrix as
        nested lists), ``eigenvalues`` and ``eigenvectors`` (columns, unit-cube
        coordinates), ``condition_number``.
    """
    z0 = calibration.z
    scale = {k: math.sqrt(calibration.evaluation.mse[k]) for k in COMPONENTS}
    scale.update(MOMENTS)  # a moment's σ is fixed
    names = objective.space.names
    columns, dv = [], []
    for i in range(len(z0)):
        lo, hi = max(z0[i] - step, 0.0), min(z0[i] + step, 1.0)
        z_lo, z_hi = z0.copy(), z0.copy()
        z_lo[i], z_hi[i] = lo, hi
        r_lo = _standardised_residuals(objective, z_lo, scale)
        r_hi = _standardised_residuals(objective, z_hi, scale)
        v_lo = objective.space.values(z_lo)[names[i]]
        v_hi = objective.space.values(z_hi)[names[i]]
        columns.append((r_hi - r_lo) / (v_hi - v_lo))
        dv.append((v_hi - v_lo) / (hi - lo))
    jac = np.column_stack(columns)
    info = jac.T @ jac
    cov = np.linalg.pinv(info)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    corr = cov / np.outer(np.where(se > 0, se, 1.0), np.where(se > 0, se, 1.0))
    # Eigen-directions in unit-cube coordinates (comparable across parameters).
    info_z = info * np.outer(dv, dv)
    eigval, eigvec = np.linalg.eigh(info_z)
    return {
        "names": list(names),
        "se": dict(zip(names, map(float, se), strict=True)),
        "correlation": corr.tolist(),
        "eigenvalues": eigval.tolist(),
        "eigenvectors": eigvec.tolist(),
        "condition_number": float(eigval.max() / max(eigval.min(), 1e-300)),
    }
