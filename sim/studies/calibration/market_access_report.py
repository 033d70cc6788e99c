"""The market-access estimate as Markdown tables (``countysim estimate market-access``).

docs/validation/market_access.md is written from :func:`report_markdown`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sim.studies.calibration import market_access as ma
from sim.studies.calibration import market_access_checks as checks
from sim.studies.calibration import rail_bypass

#: θ values shown in the profile table (the full grid is in the JSON record).
SHOWN_THETAS = (0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5)


def _md(table: pd.DataFrame, digits: int = 3) -> str:
    cols = list(table.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in table.itertuples(index=False):
        cells = [f"{v:.{digits}f}" if isinstance(v, float) else str(v) for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _fits(table: pd.DataFrame) -> pd.DataFrame:
    out = table[["check", "coef", "se", "ci_low", "ci_high", "p_value", "n"]].copy()
    out.columns = ["specification", "coefficient", "s.e.", "95% low", "95% high", "p", "n"]
    return out


def estimate_record(theta: float | None = None, sample: str = "all") -> dict[str, Any]:
    """Everything the report shows, as plain data (JSON-ready)."""
    d = ma.design()
    e = ma.market_access_estimate(None, sample, theta)
    keep = d.subset(sample)
    profile = ma.theta_profile(d, subset=keep)
    at = e.theta
    _, _, bind = ma.binding(d, at, subset=keep)
    return {
        "sample": sample, "n": e.n, "excluded_groups": d.excluded.index.tolist(),
        "deflator_2019_2010": ma.DEFLATOR_2019_2010, "deflator_source": ma.DEFLATOR_SOURCE,
        "estimate": {k: getattr(e, k) for k in e.__dataclass_fields__},
        "profile": profile.to_dict(orient="records"),
        "binding": bind.to_dict(orient="records"),
        "placebos": checks.placebos(d, at, subset=keep).to_dict(orient="records"),
        "permutation": checks.permutation(d, at, subset=keep),
        "robustness": checks.robustness(d, at, subset=keep).to_dict(orient="records"),
    }


def estimate_markdown(record: dict[str, Any]) -> str:
    """The estimate tables of a record of :func:`estimate_record`."""
    e = record["estimate"]
    profile = pd.DataFrame(record["profile"])
    profile = profile[profile["theta"].round(2).isin(SHOWN_THETAS)]
    profile = profile[["theta", "phi", "se", "ci_low", "ci_high", "p_value", "r2", "delta"]]
    profile.columns = ["θ (1/h)", "β̂(θ)", "s.e.", "95% low", "95% high", "p", "R²",
                       "2(ℓ̂ − ℓ)"]
    perm = record["permutation"]
    open_lo, open_hi = e["theta_open"]
    lo, hi = e["theta_interval"]
    lines = [
        f"Sample `{record['sample']}`: {e['n']} comparison groups.",
        "",
        f"* θ̂ = {e['theta_hat']:g}/h; likelihood-ratio 95% interval {lo:.3g}"
        f"{'†' if open_lo else ''} – {hi:.3g}{'†' if open_hi else ''} († end of the grid "
        f"{ma.THETA_GRID[0]:g}–{ma.THETA_GRID[-1]:g}: not bounded by the data on that side).",
        f"* At θ = {e['theta']:g}/h: reduced-form β̂ = {e['beta']:.3f} (s.e. "
        f"{e['beta_se']:.3f}, prefecture-clustered, 95% {e['beta_ci'][0]:.3f} to "
        f"{e['beta_ci'][1]:.3f}, p = {e['p_value']:.3f}).",
        f"* The model's own β(φ) ≈ {e['binding'][0]:.3f} + {e['binding'][1]:.3f} φ, so the φ "
        f"that reproduces β̂ is φ̂ = {e['phi']:.3f} (s.e. {e['se']:.3f}, 95% "
        f"{e['ci'][0]:.3f} to {e['ci'][1]:.3f}).",
        f"* Within-province permutation ({perm['draws']} draws): p = {perm['p_value']:.3f}; "
        f"permuted coefficients' 95% range {perm['q025']:.3f} to {perm['q975']:.3f}.",
        "",
        "Profile over θ (all controls, prefecture-clustered):",
        "",
        _md(profile),
        "",
        "Binding function (the model's regression coefficient at each φ):",
        "",
        _md(pd.DataFrame(record["binding"]).rename(columns={"phi": "φ", "beta": "β(φ)",
                                                            "se": "s.e."})),
        "",
        f"Placebos (θ = {e['theta']:g}/h):",
        "",
        _md(_fits(pd.DataFrame(record["placebos"]))),
        "",
        f"Robustness (θ = {e['theta']:g}/h):",
        "",
        _md(_fits(pd.DataFrame(record["robustness"]))),
    ]
    return "\n".join(lines) + "\n"


def bypass_markdown(phis: tuple[float | None, ...] = (None, 0.1)) -> str:
    """Bypass tables: effects of the 2010–2019 rail by distance band, per φ."""
    from sim.model.parameters import default_parameters

    base = default_parameters()
    parts = []
    for counterfactual in rail_bypass.COUNTERFACTUALS:
        for phi in phis:
            params = base if phi is None else base.replace(agglomeration_elasticity=phi)
            effects = rail_bypass.bypass_effects(params, counterfactual)
            table = rail_bypass.bypass_summary(effects).reset_index()
            label = (f"calibrated φ = {base.agglomeration_elasticity:.2g}" if phi is None
                     else f"φ = {phi:g}")
            parts += [f"Real openings vs `{counterfactual}`, {label} (2019, % = 100 Δln):",
                      "", _md(table, 2), ""]
    return "\n".join(parts)
