"""Sensitivity indices from a design and its outcomes, estimated by SALib.

* Sobol designs: first-order (S1) and total (ST) indices with bootstrap
  confidence intervals (:func:`SALib.analyze.sobol.analyze`, Saltelli et al.
  2010 estimators), and second-order indices when the design has them.
* Morris designs: μ (mean elementary effect), μ* (mean absolute effect) with a
  bootstrap interval, and σ (standard deviation of the effects)
  (:func:`SALib.analyze.morris.analyze`).
* Latin hypercubes: first-order indices by RBD-FAST
  (:func:`SALib.analyze.rbd_fast.analyze`), which works on any sample.
* Factorial designs: main-effect shares, Var(E[Y | Xᵢ]) / Var(Y) over the grid
  (exact for the grid; no interval).

Intervals are ``estimate ± conf`` with ``conf`` = z · bootstrap standard
deviation at the chosen level. The bootstrap is seeded from the root seed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.model.schema import MAIN_INDEX
from sim.studies.sensitivity.design import DesignMatrix, derived_seed
from sim.studies.sensitivity.spec import Analysis

#: Index columns per method (each with ``<name>_conf``, ``_lo`` and ``_hi`` if it has an interval).
INDEX_COLUMNS = {"sobol": ("S1", "ST"), "morris": ("mu_star", "mu", "sigma"),
                 "lhs": ("S1",), "factorial": ("S1",)}
#: The index figures and tables sort by, per method.
SORT_BY = MAIN_INDEX
#: Indices whose convergence is estimated, per method (none for the others).
CONVERGENCE_INDICES = {"sobol": ("S1", "ST"), "morris": ("mu_star",)}


@dataclass
class Indices:
    """The indices of every outcome of one design.

    Attributes:
        method: the design method.
        table: one row per outcome and factor: ``outcome``, ``factor`` and the
            method's indices (``S1``, ``S1_conf``, ``S1_lo``, ``S1_hi``, ``ST``, …;
            or ``mu_star``, ``mu_star_conf``, ``mu``, ``sigma``), sorted by the
            main index, largest first, within each outcome.
        second_order: Sobol designs with second order: ``outcome``, ``factor_a``,
            ``factor_b``, ``S2``, ``S2_conf`` (else empty).
        convergence: ``outcome``, ``samples``, ``runs``, ``factor``, ``index``,
            ``value``, ``conf`` for the first N/2ᵐ base samples (Sobol) or
            trajectories (Morris).
        notes: outcome → why it has no indices (e.g. it does not vary).
    """

    method: str
    table: pd.DataFrame
    second_order: pd.DataFrame = field(default_factory=pd.DataFrame)
    convergence: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: dict[str, str] = field(default_factory=dict)


def analyse(design: DesignMatrix, outcomes: pd.DataFrame, analysis: Analysis,
            root_seed: int) -> Indices:
    """Estimate the indices of every outcome column.

    Args:
        design: the design (its points in the order of ``outcomes``' rows).
        outcomes: one row per design point, one column per outcome (no NaN).
        analysis: confidence level, resamples, convergence.
        root_seed: the spec's root seed (the bootstrap seed is derived from it).

    Returns:
        The indices; an outcome that does not vary over the design gets NaN
        indices and a note.
    """
    if len(outcomes) != len(design.x):
        raise ValueError(f"{len(outcomes)} outcome rows for {len(design.x)} design points")
    seed = derived_seed(root_seed, "bootstrap")
    tables, seconds, convergence, notes = [], [], [], {}
    for name in outcomes.columns:
        y = outcomes[name].to_numpy(dtype=float)
        if np.isnan(y).any():
            raise ValueError(f"outcome {name} is missing at {int(np.isnan(y).sum())} points")
        if np.ptp(y) == 0 or np.std(y) <= 1e-12 * max(1.0, float(np.abs(y).max())):
            notes[name] = (f"{name} does not vary over the design (always {y[0]:.6g}); "
                           "no factor changes it")
            table = pd.DataFrame({"factor": design.names})
            for col in INDEX_COLUMNS[design.method]:
                table[col] = np.nan
            tables.append(table.assign(outcome=name))
            continue
        table, s2 = estimate(design, y, analysis, seed)
        tables.append(table.assign(outcome=name))
        if s2 is not None:
            seconds.append(s2.assign(outcome=name))
        if analysis.convergence:
            convergence.extend(c.assign(outcome=name)
                               for c in _convergence(design, y, analysis, seed))
    table = pd.concat(tables, ignore_index=True)
    key = SORT_BY[design.method]
    table["_order"] = table.groupby("outcome", sort=False)[key].rank(ascending=False,
                                                                     method="first")
    order = {n: i for i, n in enumerate(outcomes.columns)}
    table = (table.assign(_o=table["outcome"].map(order))
             .sort_values(["_o", "_order"], na_position="last")
             .drop(columns=["_o", "_order"]).reset_index(drop=True))
    table = table[["outcome", *[c for c in table.columns if c != "outcome"]]]
    return Indices(method=design.method, table=table,
                   second_order=_frame(seconds, ["outcome", "factor_a", "factor_b", "S2",
                                                 "S2_conf"]),
                   convergence=_frame(convergence, ["outcome", "samples", "runs", "factor",
                                                    "index", "value", "conf"]),
                   notes=notes)


def estimate(design: DesignMatrix, y: np.ndarray, analysis: Analysis, seed: int
             ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The indices of one outcome: (one row per factor, second-order pairs or None)."""
    problem, names = design.problem, design.names
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if design.method == "sobol":
            from SALib.analyze import sobol

            si = sobol.analyze(problem, y, calc_second_order=design.second_order,
                               num_resamples=analysis.resamples,
                               conf_level=analysis.confidence, seed=seed)
            table = _with_intervals(pd.DataFrame({
                "factor": names, "S1": si["S1"], "S1_conf": si["S1_conf"],
                "ST": si["ST"], "ST_conf": si["ST_conf"]}), ("S1", "ST"))
            s2 = None
            if design.second_order:
                pairs = [(a, b) for a in range(len(names)) for b in range(a + 1, len(names))]
                s2 = pd.DataFrame({
                    "factor_a": [names[a] for a, _ in pairs],
                    "factor_b": [names[b] for _, b in pairs],
                    "S2": [si["S2"][a, b] for a, b in pairs],
                    "S2_conf": [si["S2_conf"][a, b] for a, b in pairs]})
            return table, s2
        if design.method == "morris":
            from SALib.analyze import morris

            si = morris.analyze(problem, design.x, y, num_resamples=analysis.resamples,
                                conf_level=analysis.confidence, num_levels=design.levels,
                                seed=seed)
            table = pd.DataFrame({
                "factor": names, "mu_star": np.asarray(si["mu_star"], dtype=float),
                "mu_star_conf": np.asarray(si["mu_star_conf"], dtype=float),
                "mu": np.asarray(si["mu"], dtype=float),
                "sigma": np.asarray(si["sigma"], dtype=float)})
            return _with_intervals(table, ("mu_star",)), None
        if design.method == "lhs":
            from SALib.analyze import rbd_fast

            si = rbd_fast.analyze(problem, design.x, y, num_resamples=analysis.resamples,
                                  conf_level=analysis.confidence, seed=seed)
            table = pd.DataFrame({"factor": names, "S1": si["S1"], "S1_conf": si["S1_conf"]})
            return _with_intervals(table, ("S1",)), None
    return pd.DataFrame({"factor": names, "S1": main_effects(design, y)}), None


def main_effects(design: DesignMatrix, y: np.ndarray) -> np.ndarray:
    """Var(E[Y | Xᵢ]) / Var(Y) over the points of a full factorial grid."""
    frame = design.frame().assign(_y=y)
    total = float(np.var(y))
    return np.array([float(np.var(frame.groupby(n)["_y"].transform("mean"))) / total
                     for n in design.names])


def _with_intervals(table: pd.DataFrame, indices: tuple[str, ...]) -> pd.DataFrame:
    for name in indices:
        table[f"{name}_lo"] = table[name] - table[f"{name}_conf"]
        table[f"{name}_hi"] = table[name] + table[f"{name}_conf"]
    return table


def _convergence(design: DesignMatrix, y: np.ndarray, analysis: Analysis, seed: int
                 ) -> list[pd.DataFrame]:
    """Indices on the first n base samples (or trajectories), n = N, N/2, N/4, … down to 8."""
    out = []
    shown = CONVERGENCE_INDICES.get(design.method, ())
    for n in design.subsample_sizes():
        rows = n * design.block
        part = DesignMatrix(method=design.method, problem=design.problem,
                            x=design.x[:rows], samples=n, second_order=design.second_order,
                            levels=design.levels, seed=design.seed)
        if np.ptp(y[:rows]) == 0:
            continue
        table, _ = estimate(part, y[:rows], analysis, seed)
        for index in shown:
            out.append(pd.DataFrame({"samples": n, "runs": rows, "factor": table["factor"],
                                     "index": index, "value": table[index],
                                     "conf": table[f"{index}_conf"]}))
    return out


def _frame(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]
