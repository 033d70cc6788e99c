"""Placebos and robustness checks of the market-access estimate (docs/validation/market_access.md).

* :func:`placebos`: the lines opened 2020–2025, and the planned lines, as if
  they had opened in 2015: their market-access change should not explain
  2010→2019 growth (alone or beside the real one). A significant coefficient
  would say that lines go where growth is, whatever the year.
* :func:`permutation`: Δln MA shuffled across groups within each province; the
  share of shuffles with a coefficient at least as far from 0 as the estimate.
* :func:`robustness`: other standard errors, fewer controls, samples without
  the core districts, prefecture seats and line terminals (the "inconsequential
  units" of Faber 2014: counties on a line because they lie between the cities
  it was built to join), the rail-only change, Sichuan alone, and a station
  dummy instead of Δln MA.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.studies.calibration.market_access import (
    CONTROLS,
    Design,
    Fit,
    controls_frame,
    estimate,
    regress,
)

#: Seed of the within-province permutations (any fixed value; recorded in the docs).
PERMUTATION_SEED = 20190101


def _row(check: str, f: Fit) -> dict:
    return {"check": check, "theta": f.theta, "coef": f.coef, "se": f.se, "ci_low": f.ci[0],
            "ci_high": f.ci[1], "p_value": f.p_value, "n": f.n, "cov": f.cov}


def placebos(d: Design, theta: float, cov: str = "cluster",
             subset: np.ndarray | None = None) -> pd.DataFrame:
    """Growth on the market-access change of lines that had not opened by 2019.

    Rows ``2020–2025 lines`` / ``planned lines``: the placebo change alone with
    the controls; ``… beside the real change``: the placebo's coefficient when
    the real 2010–2019 change is a control too. ``subset``: groups to keep.
    """
    keep = np.ones(d.n, dtype=bool) if subset is None else subset
    y = d.sample["growth"].to_numpy()[keep]
    clusters = d.sample["prefecture"].to_numpy()[keep]
    frame = controls_frame(d, theta)[keep]
    real = d.shock(theta)[keep]
    rows = []
    for label, network in (("2020–2025 lines", "after_with_2020_2025_rail"),
                           ("planned lines", "after_with_planned_rail")):
        fake = d.shock(theta, after=network, before="after")[keep]
        rows.append(_row(f"placebo: {label}", regress(y, fake, frame, clusters, cov, theta)))
        both = frame.assign(d_ln_market_access_real=real)
        rows.append(_row(f"placebo: {label} beside the real change",
                         regress(y, fake, both, clusters, cov, theta)))
    return pd.DataFrame(rows)


def permutation(d: Design, theta: float, draws: int = 999, seed: int = PERMUTATION_SEED,
                subset: np.ndarray | None = None) -> dict[str, float]:
    """Within-province permutation test of the coefficient on Δln MA.

    Returns:
        ``coef`` (the estimate), ``p_value`` ((1 + #{|β*| ≥ |β̂|}) / (1 + draws)),
        ``q025``, ``q975`` (quantiles of the permuted coefficients), ``draws``.
        ``subset``: the groups to keep (default all).
    """
    keep = np.ones(d.n, dtype=bool) if subset is None else np.asarray(subset, dtype=bool)
    y = d.sample["growth"].to_numpy()[keep]
    x = d.shock(theta)[keep]
    frame = controls_frame(d, theta)[keep]
    frame = frame.loc[:, frame.std() > 0]
    design = np.column_stack([np.ones(len(y)), x, frame.to_numpy(dtype=float)])
    coef = np.linalg.lstsq(design, y, rcond=None)[0][1]
    rng = np.random.default_rng(seed)
    province = d.sample["province"].to_numpy()[keep]
    provinces = [np.flatnonzero(province == p) for p in sorted(set(province))]
    found = np.empty(draws)
    for k in range(draws):
        xs = x.copy()
        for idx in provinces:
            xs[idx] = x[rng.permutation(idx)]
        design[:, 1] = xs
        found[k] = np.linalg.lstsq(design, y, rcond=None)[0][1]
    extreme = int((np.abs(found) >= abs(coef)).sum())
    return {"coef": float(coef), "p_value": (1 + extreme) / (1 + draws),
            "q025": float(np.quantile(found, 0.025)), "q975": float(np.quantile(found, 0.975)),
            "draws": draws}


def robustness(d: Design, theta: float, subset: np.ndarray | None = None) -> pd.DataFrame:
    """The estimate at ``theta`` under other specifications and samples (one row each).

    ``subset``: the groups of the main sample (default all); every row keeps
    within it.
    """
    s = d.sample
    keep = np.ones(d.n, dtype=bool) if subset is None else np.asarray(subset, dtype=bool)
    central = (s["is_core"] | s["is_seat"]).to_numpy()
    plateau = ~d.subset("without_plateau")
    rows = [
        _row("main: all controls, prefecture-clustered", estimate(d, theta, subset=keep)),
        _row("HC1 standard errors", estimate(d, theta, cov="HC1", subset=keep)),
        _row("province fixed effect only", estimate(d, theta, controls=(), subset=keep)),
        _row("without own 2010 ln MA",
             estimate(d, theta, controls=tuple(c for c in CONTROLS
                                               if c != "ln_market_access_2010"),
                      subset=keep)),
        _row("without core districts and prefecture seats",
             estimate(d, theta, subset=keep & ~central)),
        _row("inconsequential units: also without line terminals",
             estimate(d, theta, subset=keep & ~central & ~s["terminal"].to_numpy())),
        _row("rail only (2019 roads in both networks)",
             estimate(d, theta, before="after_without_new_rail", subset=keep)),
        _row("without the plateau prefectures (Aba, Ganzi, Liangshan)",
             estimate(d, theta, subset=keep & ~plateau)),
        _row("Sichuan only", _within(d, theta, keep & (s["province"] == "Sichuan").to_numpy())),
        _row("prefecture fixed effects", _within(d, theta, keep, prefecture_effects=True)),
    ]
    frame = controls_frame(d, theta)[keep]
    rows.append(_row("station dummy (gains a station 2010–2019) instead of Δln MA",
                     regress(s["growth"].to_numpy()[keep],
                             s["gains_station"].to_numpy(dtype=float)[keep], frame,
                             s["prefecture"].to_numpy()[keep], "cluster", theta)))
    return pd.DataFrame(rows)


def _within(d: Design, theta: float, keep: np.ndarray, prefecture_effects: bool = False
            ) -> Fit:
    """The main regression on ``keep``, one province or with prefecture dummies."""
    s = d.sample
    frame = controls_frame(d, theta).drop(columns="chongqing")[keep]
    if prefecture_effects:
        dummies = pd.get_dummies(s["prefecture"][keep], drop_first=True, dtype=float)
        frame = pd.concat([frame, dummies], axis=1)
    return regress(s["growth"].to_numpy()[keep], d.shock(theta)[keep], frame,
                   s["prefecture"].to_numpy()[keep], "cluster", theta)
