"""Scenario discovery: which regions of factor space make an outcome pass a threshold.

The design points are labelled as *cases of interest* (outcome above, or
below, a threshold), and boxes — ranges of a few factors, the others free —
are sought that hold many cases of interest (coverage) and mostly cases of
interest (density), as in Bryant & Lempert (2010).

* ``tree`` (default): a CART classification tree (scikit-learn's
  ``DecisionTreeClassifier``); every leaf where cases of interest are the
  majority is a box, the conjunction of the splits on its path. Deterministic
  for a given seed, and no dependency beyond scikit-learn.
* ``prim``: the Patient Rule Induction Method of the EMA Workbench
  (``countysim[ema]``); the box chosen on the peeling trajectory is the one of
  largest coverage whose density reaches ``min_density``.

Each box is reported with coverage, density and mass and as a sentence (see
:func:`summary`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.studies.sensitivity.factors import Factor
from sim.studies.sensitivity.spec import Discovery


@dataclass(frozen=True)
class Box:
    """A box of factor space.

    Attributes:
        limits: restricted factor → (lo, hi); factors not listed span their range.
        coverage: share of all cases of interest that fall in the box.
        density: share of the box's points that are cases of interest.
        mass: share of all points that fall in the box.
        points: design points in the box.
        cases: cases of interest in the box.
    """

    limits: dict[str, tuple[float, float]]
    coverage: float
    density: float
    mass: float
    points: int
    cases: int


@dataclass
class DiscoveryResult:
    """Boxes found for one scenario discovery question.

    Attributes:
        question: the question (outcome, threshold, direction, method).
        boxes: boxes, most coverage first.
        points: design points used.
        cases: cases of interest among them.
        factors: the factors (for ranges and units in the summary).
    """

    question: Discovery
    boxes: list[Box]
    points: int
    cases: int
    factors: Sequence[Factor] = field(default_factory=tuple)

    def table(self) -> pd.DataFrame:
        """One row per box and restricted factor (boxes without restriction get one row)."""
        rows = []
        for i, box in enumerate(self.boxes, start=1):
            base = {"box": i, "coverage": box.coverage, "density": box.density,
                    "mass": box.mass, "points": box.points, "cases": box.cases}
            for name, (lo, hi) in (box.limits.items() or [(None, (math.nan, math.nan))]):
                rows.append({**base, "factor": name, "lo": lo, "hi": hi})
        return pd.DataFrame(rows, columns=["box", "factor", "lo", "hi", "coverage", "density",
                                           "mass", "points", "cases"])


def interest(values: np.ndarray, question: Discovery) -> np.ndarray:
    """Which values are cases of interest (above or below the threshold)."""
    if question.direction == "above":
        return values > question.threshold
    return values < question.threshold


def discover(x: pd.DataFrame, values: np.ndarray, question: Discovery,
             factors: Sequence[Factor], seed: int) -> DiscoveryResult:
    """Find boxes where ``values`` pass the question's threshold.

    Args:
        x: the design points (one column per factor).
        values: the outcome at each point.
        question: outcome, threshold, direction, method and its settings.
        factors: the factors, with their ranges.
        seed: seed of the tree's tie-breaking.
    """
    y = interest(np.asarray(values, dtype=float), question)
    cases = int(y.sum())
    boxes: list[Box] = []
    if 0 < cases < len(y):
        if question.method == "prim":
            boxes = prim_boxes(x, y, question, factors)
        else:
            boxes = tree_boxes(x, y, question, factors, seed)
    boxes.sort(key=lambda b: (-b.coverage, -b.density))
    return DiscoveryResult(question=question, boxes=boxes, points=len(y), cases=cases,
                           factors=tuple(factors))


def box_stats(x: pd.DataFrame, y: np.ndarray, limits: dict[str, tuple[float, float]]) -> Box:
    """Coverage, density and mass of a box on the design points."""
    inside = np.ones(len(x), dtype=bool)
    for name, (lo, hi) in limits.items():
        inside &= (x[name].to_numpy() >= lo) & (x[name].to_numpy() <= hi)
    n, k = int(inside.sum()), int((inside & y).sum())
    return Box(limits=limits, coverage=k / max(int(y.sum()), 1), density=k / max(n, 1),
               mass=n / len(x), points=n, cases=k)


def tree_boxes(x: pd.DataFrame, y: np.ndarray, question: Discovery,
               factors: Sequence[Factor], seed: int) -> list[Box]:
    """Boxes from the leaves of a classification tree where cases of interest are the majority."""
    from sklearn.tree import DecisionTreeClassifier

    min_leaf = max(1, math.ceil(question.min_mass * len(x)))
    tree = DecisionTreeClassifier(max_depth=question.max_depth, min_samples_leaf=min_leaf,
                                  random_state=seed).fit(x.to_numpy(), y)
    t = tree.tree_
    ranges = {f.name: (f.lo, f.hi) for f in factors}
    boxes = []

    def majority(node: int) -> bool:
        return bool(t.value[node][0].argmax() == list(tree.classes_).index(True))

    def uniform(node: int) -> bool:
        """A leaf, or a split whose every leaf predicts the same class (no box needs it)."""
        if t.children_left[node] == -1:
            return True
        left, right = t.children_left[node], t.children_right[node]
        return (uniform(left) and uniform(right) and majority(_leaf(left)) ==
                majority(_leaf(right)))

    def _leaf(node: int) -> int:
        while t.children_left[node] != -1:
            node = t.children_left[node]
        return node

    def walk(node: int, limits: dict[str, tuple[float, float]]) -> None:
        if uniform(node):  # a leaf, or splits that change no prediction
            box = box_stats(x, y, limits)
            if box.density > 0.5:
                boxes.append(box)
            return
        name = x.columns[t.feature[node]]
        cut = float(t.threshold[node])
        lo, hi = limits.get(name, ranges[name])
        walk(t.children_left[node], {**limits, name: (lo, min(hi, cut))})
        walk(t.children_right[node], {**limits, name: (max(lo, cut), hi)})

    walk(0, {})
    return boxes


def prim_boxes(x: pd.DataFrame, y: np.ndarray, question: Discovery,
               factors: Sequence[Factor]) -> list[Box]:
    """One PRIM box (EMA Workbench): the most coverage at ``min_density`` or more."""
    from sim.studies.sensitivity.ema import workbench

    prim = workbench("ema_workbench.analysis.prim", "discovery.method = 'prim' (or use "
                     "method = 'tree')")
    ranges = {f.name: (f.lo, f.hi) for f in factors}
    with warnings.catch_warnings():  # pandas deprecations inside the Workbench
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        p = prim.Prim(x.reset_index(drop=True), y.astype(int), mass_min=question.min_mass)
        found = p.find_box()
    if found is None:
        return []
    traj = found.peeling_trajectory
    ok = traj[traj["density"] >= question.min_density]
    i = int(ok["coverage"].idxmax()) if len(ok) else int(traj["density"].idxmax())
    lims = found.box_lims[i]
    limits = {}
    for name in x.columns:
        lo, hi = float(lims.loc[0, name]), float(lims.loc[1, name])
        if (lo, hi) != ranges[name] and (lo > x[name].min() or hi < x[name].max()):
            limits[name] = (lo, hi)
    return [box_stats(x, y, limits)]


def summary(result: DiscoveryResult, outcome_label: str | None = None) -> str:
    """The boxes in plain language, one paragraph each."""
    q = result.question
    what = outcome_label or q.outcome
    word = "above" if q.direction == "above" else "below"
    share = result.cases / result.points if result.points else 0.0
    head = (f"Scenario discovery ({'classification tree' if q.method == 'tree' else 'PRIM'}): "
            f"where is {what} {word} {q.threshold:g}? It is in {result.cases} of "
            f"{result.points} design points ({share:.0%}).")
    if result.cases == 0:
        return head + f"\nNo point of the design has {what} {word} {q.threshold:g}."
    if result.cases == result.points:
        return head + (f"\nEvery point of the design has {what} {word} {q.threshold:g}: no "
                       "factor range is needed.")
    if not result.boxes:
        return head + ("\nNo box holds mostly such points: they are spread over the factor "
                       "space, with no simple range of the factors that explains them.")
    units = {f.name: f.unit for f in result.factors}
    ranges = {f.name: (f.lo, f.hi) for f in result.factors}
    lines = [head]
    for i, box in enumerate(result.boxes, start=1):
        conditions = []
        for name, (lo, hi) in box.limits.items():
            r_lo, r_hi = ranges.get(name, (-math.inf, math.inf))
            unit = f" {units[name]}" if units.get(name) not in (None, "", "1") else ""
            if lo > r_lo and hi < r_hi:
                conditions.append(f"{name} is between {lo:.3g} and {hi:.3g}{unit}")
            elif lo > r_lo:
                conditions.append(f"{name} is above {lo:.3g}{unit}")
            elif hi < r_hi:
                conditions.append(f"{name} is below {hi:.3g}{unit}")
        when = " and ".join(conditions) if conditions else "anywhere in the factor space"
        free = len(result.factors) - len(box.limits)
        rest = ("" if not free or not conditions else
                " (the other factor anywhere in its range)" if free == 1 else
                f" (the other {free} factors anywhere in their ranges)")
        lines.append(
            f"Box {i}: when {when}{rest}, {what} is {word} {q.threshold:g} in "
            f"{box.density:.0%} of the points (density). The box holds {box.coverage:.0%} of "
            f"all design points where {what} is {word} {q.threshold:g} (coverage) and "
            f"{box.mass:.0%} of the design (mass).")
    return "\n".join(lines)
