"""What a posterior sample adds to the calibration record, its README and the ensemble file."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.studies.calibration import posterior
from sim.studies.calibration.objective import Objective


def posterior_record(chain: posterior.Chain, objective: Objective,
                     values: list[dict[str, float]]) -> dict[str, Any]:
    """The ``posterior`` entry of calibration.json: sampler, convergence, quantiles."""
    tau = chain.autocorrelation()
    table = {}
    for name in objective.space.names:
        v = np.array([row[name] for row in values])
        table[name] = {"p05": float(np.quantile(v, 0.05)), "median": float(np.median(v)),
                       "p95": float(np.quantile(v, 0.95))}
    return {
        "method": "emcee.EnsembleSampler (affine-invariant ensemble MCMC, Foreman-Mackey et "
                  "al. 2013) on exp(−J/2T) over the unit cube, walkers started in a ball of "
                  f"s.d. {posterior.START_SPREAD} around the optimum",
        "walkers": chain.settings["walkers"], "steps": chain.steps,
        "temperature": chain.settings["temperature"], "seed": chain.settings["seed"],
        "burn_in_steps": chain.steps // 2, "members": len(values),
        "acceptance": chain.acceptance,
        "autocorrelation_steps": {n: float(t) for n, t in zip(objective.space.names, tau,
                                                                strict=True)},
        "converged": bool(chain.steps >= 50 * float(np.max(tau))),
        "best_J_in_chain": float(-2.0 * chain.settings["temperature"]
                                 * chain.log_prob.max()),
        "seconds": round(chain.seconds, 1),
        "parameters": table,
    }


def ensemble_provenance(record: dict[str, Any]) -> list[str]:
    """The ``# `` lines at the top of ``calibrated_ensemble.csv``."""
    post = record["posterior"]
    return [
        "Calibrated ensemble of countysim: parameter vectors drawn from the posterior "
        "sample of `countysim calibrate` (sim/studies/calibration/posterior.py).",
        f"Calibration of {record['date']}, region {record['region']}, commit "
        f"{record['git_commit']}; objective J at the optimum {record['fit']['objective']:.3f}.",
        f"Sampler: {post['method']}; {post['walkers']} walkers × {post['steps']} steps, "
        f"temperature {post['temperature']:g}, seed {post['seed']}, acceptance "
        f"{post['acceptance']:.2f}; the first {post['burn_in_steps']} steps are burn-in, the "
        f"rest thinned evenly to {post['members']} members.",
        "Convergence: " + ("the chain is longer than 50 autocorrelation times"
                           if post["converged"] else
                           "NOT reached: the chain is shorter than 50 autocorrelation times "
                           f"(longest {max(post['autocorrelation_steps'].values()):.0f} steps), "
                           "so the members understate the posterior spread"),
        "The likelihood treats the residuals of the comparison groups as independent; they "
        "are spatially correlated, so the spread is a lower bound (docs/validation/README.md).",
        "Parameters not listed take their values from calibrated_parameters.toml.",
    ]


def posterior_readme(post: dict[str, Any]) -> list[str]:
    """The README section on the posterior sample and the ensemble."""
    tau = post["autocorrelation_steps"]
    lines = [
        "## Posterior sample and ensemble",
        "",
        f"{post['method']}: {post['walkers']} walkers × {post['steps']} steps "
        f"(temperature {post['temperature']:g}, seed {post['seed']}), acceptance "
        f"{post['acceptance']:.2f}, {post['seconds']:.0f} s. Autocorrelation times "
        f"{min(tau.values()):.0f}–{max(tau.values()):.0f} steps; "
        + ("converged (chain > 50 τ)." if post["converged"] else
           "**not converged** (chain < 50 τ): the ensemble understates the spread."),
        f"The ensemble: {post['members']} members spaced evenly over the steps after the "
        f"first {post['burn_in_steps']} (`calibrated_ensemble.csv`).",
        "",
        "| parameter | 5 % | median | 95 % |",
        "|---|---|---|---|",
    ]
    for name, q in post["parameters"].items():
        lines.append(f"| `{name}` | {q['p05']:.4g} | {q['median']:.4g} | {q['p95']:.4g} |")
    return lines
