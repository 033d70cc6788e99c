"""Leave-one-prefecture-out check of the population fit.

For each prefecture, the migration parameters that set where people go
(:data:`LOPO_FIT`) are refitted on every comparison group outside it, starting
from the calibrated values, with the other parameters held at their calibrated
values; the refit model then predicts the left-out prefecture's groups. The
gravity baseline is refitted on the same groups. A prefecture is the first four
digits of a group's code; Chongqing, a province-level city without prefectures,
is split into its districts (5001) and its counties (5002).

A refit of four parameters with a small budget of runs is a cheap stand-in for a
full recalibration per prefecture (32 parameters, about an hour each): it tests
whether the spatial pattern of the migration fit carries over to a part of the
region the fit did not see, not the whole calibration.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from sim.model.network import Network
from sim.model.parameters import Parameters
from sim.model.region import load_region
from sim.studies.calibration import baselines, fit, metrics
from sim.studies.calibration.objective import Objective, SearchSpace
from sim.studies.calibration.observed import Targets
from sim.studies.calibration.validation_run import START_YEAR, run_validation

#: Parameters refitted for each left-out prefecture.
LOPO_FIT = ("migration_rate", "destination_size_weight", "income_elasticity",
            "migration_time_cost_per_h")


def prefecture_of(targets: Targets) -> np.ndarray:
    """Each group's block: the first four digits of its code."""
    return np.array([str(c)[:4] for c in targets.groups.index])


def _fold(args: tuple) -> dict:
    targets, params, region, block, names, max_evals, gravity_inputs = args
    blocks = prefecture_of(targets)
    out_mask = blocks == block
    objective = Objective(targets=targets, mask=~out_mask, space=SearchSpace(names),
                          base=params, region=region)
    z0 = objective.space.unit(params.to_dict())
    z, _, used = fit._minimise(objective, z0, max_evals, 0.01)
    refit = objective.parameters(z)
    pred = targets.aggregate(run_validation(refit, region).population)
    g = targets.groups
    p10, p20 = g["pop_2010"].to_numpy(), g["pop_2020"].to_numpy()
    pop, gdp10, tt = gravity_inputs
    gfit = baselines.fit_gravity(pop, gdp10, tt, targets.unit_group, p10, p20, ~out_mask)
    gpred = targets.aggregate(baselines.gravity(pop, gdp10, tt, **gfit.params()))
    row = {"prefecture": block, "n": int(out_mask.sum()), "runs": used,
           **{f"refit_{n}": v for n, v in objective.space.values(z).items()}}
    for key, values in (("model", pred), ("gravity", gpred)):
        m = metrics.population_metrics(p10[out_mask], p20[out_mask], values[out_mask])
        row[f"{key}_rmse"] = m["rmse"]
        row[f"{key}_mdape"] = m["mdape"]
        row[f"{key}_sq_errors"] = float(np.sum(
            (np.log(values[out_mask] / p10[out_mask]) - np.log(p20[out_mask]
                                                              / p10[out_mask])) ** 2))
    return row


def leave_one_prefecture_out(targets: Targets, params: Parameters, region: str, *,
                             names: Sequence[str] = LOPO_FIT, max_evals: int = 60,
                             workers: int = 2, blocks: Sequence[str] | None = None,
                             log: Callable[[str], None] = print) -> pd.DataFrame:
    """One row per left-out prefecture: its refit and both predictors' errors there."""
    table = load_region(region, START_YEAR).table
    network = Network(load_region(region, START_YEAR), Parameters())
    network.set_year(START_YEAR)
    gravity_inputs = (table["population"].to_numpy(dtype=float),
                      table["gdp_bn_yuan"].to_numpy(dtype=float),
                      network.travel_time[:-1, :-1])
    chosen = list(blocks) if blocks is not None else sorted(set(prefecture_of(targets)))
    log(f"leave-one-prefecture-out: {len(chosen)} prefectures, {len(names)} parameters "
        f"refitted with ≤ {max_evals} runs each, {workers} worker(s)")
    names_of = dict(zip(table["code"].astype(str).str[:4], table["prefecture_en"], strict=True))
    names_of.update({"5001": "Chongqing districts", "5002": "Chongqing counties"})
    rows = fit._pool_map(_fold, [((targets, params, region, b, tuple(names), max_evals,
                                   gravity_inputs),) for b in chosen], workers)
    out = pd.DataFrame(rows)
    out.insert(1, "name", [names_of.get(b, b) for b in out["prefecture"]])
    return out


def pooled(table: pd.DataFrame) -> dict[str, float]:
    """RMSE over every left-out group, and the prefectures where the model does better."""
    n = table["n"].sum()
    return {"n_groups": int(n), "n_prefectures": len(table),
            "model_rmse": float(np.sqrt(table["model_sq_errors"].sum() / n)),
            "gravity_rmse": float(np.sqrt(table["gravity_sq_errors"].sum() / n)),
            "model_better_in": int((table["model_rmse"] < table["gravity_rmse"]).sum())}
