"""Parameter uncertainty and stochastic noise: the split of a band over an ensemble's runs.

A batch with an ensemble (``ensemble = N``) runs every replicate with every
parameter set, so the runs of one scenario and year spread for two reasons: the
parameter sets differ (parameter uncertainty) and the random draws differ
(stochastic noise). By the law of total variance, with the runs of parameter set
m weighted by their share w_m of the runs,

    Var(y) = Σ_m w_m (E[y | m] − E[y])²  +  Σ_m w_m Var(y | m)
           =         var_parameter       +      var_stochastic

(plug-in variances, divisor n, so the two parts add up to the total exactly). The
parameter part is also a noisy measure: each E[y | m] is a mean over R
replicates, so it holds var_stochastic / R of noise. With one replicate per
parameter set the two cannot be told apart and both are NaN.

The parameter band is the band of the parameter sets' means E[y | m]: what the
spread would be without random draws. :func:`sim.analysis.summarise` and
:meth:`sim.outputs.store.Batch.summary` add these columns when the runs hold more
than one parameter set; without an ensemble their output is what it always was.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.model.schema import PARAMETER_SET

#: The columns :func:`ensemble_split` adds, in order, with what they hold.
SPLIT_COLUMNS = {
    "parameter_sets": "parameter sets with a finite value in the group",
    "parameter_low": "lower percentile of the parameter sets' means (the parameter band)",
    "parameter_high": "upper percentile of the parameter sets' means",
    "var_parameter": "variance of the parameter sets' means about the mean (parameter "
                     "uncertainty)",
    "var_stochastic": "mean variance over the replicates within a parameter set "
                      "(stochastic noise)",
    "parameter_share": "var_parameter / (var_parameter + var_stochastic)",
}


def has_ensemble(table: pd.DataFrame, member: str = PARAMETER_SET) -> bool:
    """Whether ``table`` holds runs of more than one parameter set."""
    return member in table.columns and table[member].nunique() > 1


def ensemble_split(table: pd.DataFrame, value: str, by: Sequence[str], *, low: float,
                   high: float, member: str = PARAMETER_SET) -> pd.DataFrame:
    """The parameter band and the variance split of ``value`` per group of ``by``.

    Args:
        table: runs' rows with ``by``, ``member`` and ``value`` columns.
        value: the column.
        by: the groups (scenario, year, …); ``member`` must not be among them.
        low: lower quantile of the parameter band (0 to 1).
        high: upper quantile.
        member: the column of the parameter set.

    Returns:
        One row per group of ``by`` (as the index) with the :data:`SPLIT_COLUMNS`.
    """
    by = list(by)
    rows = table.loc[np.isfinite(table[value].to_numpy(dtype=float)), [*by, member, value]]
    g = rows.groupby([*by, member], sort=False, observed=True)[value]
    per = pd.DataFrame({"n": g.count(), "mean": g.mean(), "var": g.var(ddof=0)})
    per["n"] = per["n"].astype(float)
    groups = per.groupby(level=by, sort=False, observed=True)
    weight = per["n"] / groups["n"].transform("sum")
    grand = (weight * per["mean"]).groupby(level=by, sort=False, observed=True).sum()
    deviation = per["mean"] - grand.reindex(per.index.droplevel(member)).to_numpy()
    var_parameter = (weight * deviation ** 2).groupby(level=by, sort=False,
                                                      observed=True).sum()
    var_stochastic = (weight * per["var"]).groupby(level=by, sort=False, observed=True).sum()
    # With one run per parameter set (e.g. a deterministic ensemble batch) the spread of
    # the members' means is all there is; the within-set variance is then unknown.
    var_stochastic = var_stochastic.where(groups["n"].max() >= 2)
    total = var_parameter + var_stochastic
    out = pd.DataFrame({
        "parameter_sets": groups["mean"].count(),
        "parameter_low": groups["mean"].quantile(low),
        "parameter_high": groups["mean"].quantile(high),
        "var_parameter": var_parameter,
        "var_stochastic": var_stochastic,
        "parameter_share": (var_parameter / total).where(total > 0),
    })
    return out
