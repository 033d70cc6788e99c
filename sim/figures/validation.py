"""Figures of the validation report: observed against predicted, and residuals by county.

The report (:mod:`sim.studies.calibration.report`) computes predictions per
comparison group; these functions only draw arrays it passes, in the paper style
of :mod:`sim.figures.style` (its palette, fonts and sizes), and return the Axes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from sim.figures import maps, style

TRAINING_COLOR = style.CONTEXT_COLOR
HELD_OUT_COLOR = style.OKABE_ITO["vermillion"]


def observed_vs_predicted(observed: np.ndarray, predicted: np.ndarray, held: np.ndarray, *,
                          xlabel: str, ylabel: str, title: str = "", log: bool = False,
                          ax: Axes | None = None) -> Axes:
    """Observed against predicted per comparison group, with the 1:1 line.

    Args:
        observed: one value per group.
        predicted: the model's (or a baseline's) value per group.
        held: True for the groups held out from calibration (drawn as red diamonds;
            training groups as grey dots).
        xlabel: x-axis label with its unit.
        ylabel: y-axis label with its unit.
        title: the panel title.
        log: logarithmic axes (for levels such as population); else lines at 0.
        ax: where to draw (default: a new single-column figure).
    """
    if ax is None:
        _, ax = style.figure("single", 3.0)
    observed, predicted = np.asarray(observed, float), np.asarray(predicted, float)
    held = np.asarray(held, bool)
    if not log:
        ax.axhline(0, c="0.85", lw=0.6, zorder=0)
        ax.axvline(0, c="0.85", lw=0.6, zorder=0)
    ax.scatter(observed[~held], predicted[~held], c=TRAINING_COLOR, s=9, lw=0,
               label="training groups")
    ax.scatter(observed[held], predicted[held], c=HELD_OUT_COLOR, s=12, marker="D", lw=0,
               label="held-out groups")
    lo = min(observed.min(), predicted.min())
    hi = max(observed.max(), predicted.max())
    if log:
        lim = (lo / 1.25, hi * 1.25)
        ax.set(xscale="log", yscale="log")
    else:
        pad = 0.05 * (hi - lo)
        lim = (lo - pad, hi + pad)
    ax.plot(lim, lim, c=style.BASELINE_COLOR, lw=0.7, label="1:1")
    ax.set(xlim=lim, ylim=lim, xlabel=xlabel, ylabel=ylabel)
    if title:
        ax.set_title(title)
    ax.set_aspect("equal", adjustable="box")
    ax.legend(loc="upper left", frameon=False)
    return ax


def residual_map(residual: pd.Series, held: Sequence[int], *, ax: Axes | None = None,
                 label: str = "ln(predicted / observed 2020 population)") -> Axes:
    """Each county coloured by the residual of its comparison group (diverging at 0).

    Args:
        residual: one value per county, indexed by administrative code (members of a
            comparison group share its value).
        held: codes of the counties whose groups were held out (outlined).
        ax: where to draw (default: a new double-column figure).
        label: colour-bar label.
    """
    if ax is None:
        _, ax = style.figure("double", 5.0)
    maps.county_map(residual, ax=ax, diverging=True, label=label, pilots=list(held),
                    label_pilots=False, outline_label="held-out group", robust=False,
                    line_scale=0.8)
    ax.set_title("Residuals of the model, 2020 (outlined: held out from calibration)")
    return ax


def legend_handles() -> list[Line2D]:
    """Legend entries for training and held-out groups, for multi-panel figures."""
    return [Line2D([], [], ls="", marker="o", ms=3, c=TRAINING_COLOR, label="training groups"),
            Line2D([], [], ls="", marker="D", ms=3, c=HELD_OUT_COLOR, label="held-out groups")]
