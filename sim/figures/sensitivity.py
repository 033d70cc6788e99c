"""Figures of a sensitivity analysis: indices, the Morris plane, convergence, discovery.

Like :mod:`sim.figures`, every function draws into ``ax`` (or a new
single-column figure when ``ax`` is None) and returns the Axes; colours and
sizes come from :mod:`sim.figures.style`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from sim.base.errors import InputError
from sim.figures import style
from sim.model.schema import MAIN_INDEX as SORT_BY


class Boxed(Protocol):
    """What :func:`discovery_chart` reads of a box (e.g. a scenario-discovery ``Box``)."""

    limits: Mapping[str, tuple[float, float]]


_LABELS = {"S1": "first-order S1", "ST": "total ST", "mu_star": "μ*",
           "sigma": "σ", "mu": "μ"}
_FIRST, _TOTAL = style.QUALITATIVE[0], style.QUALITATIVE[1]


def _rows(table: pd.DataFrame, outcome: str) -> pd.DataFrame:
    rows = table[table["outcome"] == outcome]
    if rows.empty:
        raise InputError(f"no indices for outcome '{outcome}'; outcomes: "
                         f"{', '.join(table['outcome'].unique())}")
    return rows


def indices_chart(table: pd.DataFrame, outcome: str, method: str = "sobol", *,
                  ax: Axes | None = None, title: str | None = None) -> Axes:
    """Indices of one outcome as horizontal bars with intervals, largest on top.

    Sobol designs show the total index ST as bars and the first-order index S1
    as dots, each with its confidence interval; Morris designs show μ*; Latin
    hypercube and factorial designs show S1.

    Args:
        table: :attr:`Indices.table` (``outcome``, ``factor`` and index columns).
        outcome: the outcome to draw.
        method: the design method (which indices there are).
        ax: where to draw (default: a new single-column figure).
        title: axes title (default: the outcome).
    """
    rows = _rows(table, outcome).sort_values(SORT_BY[method], na_position="first")
    ax = ax if ax is not None else style.figure("single",
                                                aspect=0.25 + 0.07 * len(rows))[1]
    ypos = np.arange(len(rows))
    main = SORT_BY[method]
    value = rows[main].to_numpy(dtype=float)
    err = _errors(rows, main)
    ax.barh(ypos, value, height=0.6, color=_TOTAL if method == "sobol" else _FIRST,
            alpha=0.35 if method == "sobol" else 0.8, xerr=err, ecolor="#333333",
            capsize=1.5, error_kw={"elinewidth": 0.7}, gid=f"index:{main}")
    handles = [Patch(color=_TOTAL if method == "sobol" else _FIRST,
                     alpha=0.35 if method == "sobol" else 0.8, label=_LABELS[main])]
    if method == "sobol":
        s1 = rows["S1"].to_numpy(dtype=float)
        ax.errorbar(s1, ypos, xerr=_errors(rows, "S1"), fmt="o", ms=3, color=_FIRST,
                    elinewidth=0.8, capsize=1.5, gid="index:S1")
        handles.insert(0, Line2D([], [], marker="o", ls="", ms=3, color=_FIRST,
                                 label=_LABELS["S1"]))
        ax.axvline(0, color="#999999", lw=0.5)
        # Intervals of small designs can reach far beyond [0, 1]; they are cut at the edge.
        ax.set_xlim(max(-0.5, min(-0.05, float(np.nanmin(rows["S1_lo"])) - 0.02)),
                    min(1.5, max(1.0, float(np.nanmax(rows["ST_hi"])) + 0.02)))
    ax.set_yticks(ypos, rows["factor"])
    ax.set_xlabel({"sobol": "Sobol index (share of output variance)",
                   "morris": "μ* (mean |elementary effect|, outcome units)",
                   "lhs": "first-order index S1 (RBD-FAST)",
                   "factorial": "main-effect share of variance"}[method])
    ax.set_title(title if title is not None else outcome)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def _errors(rows: pd.DataFrame, index: str) -> np.ndarray | None:
    conf = f"{index}_conf"
    if conf not in rows:
        return None
    return np.nan_to_num(rows[conf].to_numpy(dtype=float))


def morris_chart(table: pd.DataFrame, outcome: str, *, ax: Axes | None = None,
                 title: str | None = None) -> Axes:
    """The Morris μ*–σ plane of one outcome, with σ/μ* = 0.1, 0.5 and 1 as guides.

    Factors near the origin hardly matter; far right, they matter; above the
    σ/μ* = 1 line their effect depends strongly on the other factors or is
    non-monotonic (Garcia Sanchez et al. 2014).
    """
    rows = _rows(table, outcome)
    ax = ax if ax is not None else style.figure("single", aspect=0.8)[1]
    x, y = rows["mu_star"].to_numpy(dtype=float), rows["sigma"].to_numpy(dtype=float)
    ax.errorbar(x, y, xerr=_errors(rows, "mu_star"), fmt="o", ms=3.5, color=_FIRST,
                elinewidth=0.7, capsize=1.5, gid="morris:points")
    top = float(np.nanmax(np.r_[x, y, 1e-12])) * 1.15
    for ratio, ls in ((0.1, ":"), (0.5, "--"), (1.0, "-")):
        ax.plot([0, top], [0, ratio * top], color="#999999", lw=0.6, ls=ls)
        ax.annotate(f"σ/μ* = {ratio:g}", (top, min(ratio * top, top)), fontsize=6,
                    color="#666666", ha="right", va="bottom")
    small = []
    for name, xi, yi in zip(rows["factor"], x, y, strict=True):
        if max(xi, yi) < 0.04 * top:  # near the origin: listed, not labelled
            small.append(name)
            continue
        ax.annotate(name, (xi, yi), xytext=(3, 2), textcoords="offset points", fontsize=6)
    if small:
        ax.text(0.98, 0.02, "near 0: " + ", ".join(small), transform=ax.transAxes,
                ha="right", va="bottom", fontsize=5.5, color="#666666", wrap=True)
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("μ* (mean |elementary effect|)")
    ax.set_ylabel("σ (s.d. of elementary effects)")
    ax.set_title(title if title is not None else outcome)
    return ax


def convergence_chart(convergence: pd.DataFrame, outcome: str, index: str = "ST", *,
                      order: list[str] | None = None, legend: bool = True,
                      ax: Axes | None = None, title: str | None = None) -> Axes:
    """One index of one outcome against the sample size, one line per factor with its band.

    Sobol indices are shown between −0.25 and 1.25: the estimates of the
    smallest samples can lie far outside, and would hide the rest.

    Args:
        convergence: :attr:`Indices.convergence`.
        outcome: the outcome.
        index: ``ST``, ``S1`` (Sobol) or ``mu_star`` (Morris).
        order: factors in colour order (default: by the index at the largest sample,
            largest first); give the same order to panels that go together.
        legend: draw the legend (to the right of the axes).
        ax: where to draw.
        title: axes title (default: outcome and index).
    """
    rows = convergence[(convergence["outcome"] == outcome) & (convergence["index"] == index)]
    if rows.empty:
        raise InputError(f"no convergence of {index} for outcome '{outcome}'")
    ax = ax if ax is not None else style.figure("single", aspect=0.7)[1]
    if order is None:
        last = rows[rows["samples"] == rows["samples"].max()]
        order = list(last.sort_values("value", ascending=False)["factor"])
    for i, name in enumerate(order):
        r = rows[rows["factor"] == name].sort_values("samples")
        color = style.QUALITATIVE[i % len(style.QUALITATIVE)]
        ls = style.LINESTYLES[(i // len(style.QUALITATIVE)) % len(style.LINESTYLES)]
        ax.plot(r["samples"], r["value"], marker="o", ms=2.5, color=color, ls=ls, label=name,
                gid=f"factor:{name}")
        ax.fill_between(r["samples"], r["value"] - r["conf"], r["value"] + r["conf"],
                        color=color, alpha=0.12, lw=0)
    ax.set_xscale("log", base=2)
    if index in ("S1", "ST"):
        lo, hi = ax.get_ylim()
        ax.set_ylim(max(lo, -0.25), min(hi, 1.25))
        ax.axhline(0, color="#999999", lw=0.5)
    ax.set_xlabel("base samples N" if index in ("S1", "ST") else "trajectories")
    ax.set_ylabel(_LABELS.get(index, index))
    ax.set_title(title if title is not None else f"{outcome}: {_LABELS.get(index, index)}")
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=6)
    return ax


def discovery_chart(x: pd.DataFrame, cases: np.ndarray, box: Boxed | None, *,
                    factors: tuple[str, str] | None = None, ax: Axes | None = None,
                    title: str | None = None) -> Axes:
    """Design points on two factors, cases of interest highlighted, with a box outlined.

    Args:
        x: the design points.
        cases: which points are cases of interest.
        box: the box to outline (its two most restricted factors are the axes).
        factors: the two factors to show (default: the box's first two, else the
            first two columns).
        ax: where to draw.
        title: axes title.
    """
    if factors is None:
        names = list(box.limits) if box is not None else []
        names += [c for c in x.columns if c not in names]
        factors = (names[0], names[1] if len(names) > 1 else names[0])
    ax = ax if ax is not None else style.figure("single", aspect=0.8)[1]
    a, b = factors
    cases = np.asarray(cases, dtype=bool)
    ax.scatter(x.loc[~cases, a], x.loc[~cases, b], s=4, color="#BBBBBB", lw=0,
               label="other points", rasterized=True)
    ax.scatter(x.loc[cases, a], x.loc[cases, b], s=5, color=_TOTAL, lw=0,
               label="cases of interest", rasterized=True)
    if box is not None:
        lo_a, hi_a = box.limits.get(a, (x[a].min(), x[a].max()))
        lo_b, hi_b = box.limits.get(b, (x[b].min(), x[b].max()))
        ax.add_patch(Rectangle((lo_a, lo_b), hi_a - lo_a, hi_b - lo_b, fill=False,
                               ec="#000000", lw=1.0, gid="box:1"))
    ax.set_xlabel(a)
    ax.set_ylabel(b)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2, fontsize=6)
    if title:
        ax.set_title(title, loc="left", pad=14)
    return ax
