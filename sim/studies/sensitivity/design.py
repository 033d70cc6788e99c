"""Designs: the points of factor space a sensitivity analysis runs, from SALib.

* ``sobol``: Saltelli's scheme on a scrambled Sobol' sequence
  (:func:`SALib.sample.sobol.sample`): N base points give N(k+2) runs, or
  N(2k+2) with second-order indices.
* ``morris``: r trajectories of k+1 points on a p-level grid
  (:func:`SALib.sample.morris.sample`).
* ``lhs``: a Latin hypercube of n points (:func:`SALib.sample.latin.sample`).
* ``factorial``: every combination of evenly spaced levels (or given values),
  spaced and ordered by the batch layer's sweep functions (``lo:hi:n``, last
  factor fastest).

Every random choice (the scrambling, the trajectories, the hypercube and the
bootstrap of the analysis) is seeded from the spec's root seed through
``numpy.random.SeedSequence(root_seed, spawn_key=...)`` with a key per purpose,
so the same root seed gives the same design and the same indices.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.studies.batch.fields import evenly_spaced, full_factorial

#: Smallest base sample (Sobol) or number of trajectories (Morris) in convergence tables.
MIN_CONVERGENCE_SAMPLES = 8


def derived_seed(root_seed: int, purpose: str) -> int:
    """A seed for one purpose (``"design"``, ``"bootstrap"``, …) derived from the root seed.

    Returns:
        A whole number in [1, 2**32) (never 0: SALib treats a seed of 0 as no seed).
    """
    key = int.from_bytes(hashlib.sha256(f"sensitivity:{purpose}".encode()).digest()[:4], "big")
    seq = np.random.SeedSequence(int(root_seed), spawn_key=(key,))
    return int(seq.generate_state(1, dtype=np.uint32)[0]) or 1


@dataclass(frozen=True)
class DesignMatrix:
    """The points of a design.

    Attributes:
        method: ``sobol``, ``morris``, ``lhs`` or ``factorial``.
        problem: the SALib problem (names, bounds).
        x: the points, one row each, one column per factor (in problem order).
        samples: Sobol base sample N, Morris trajectories r, or the number of points.
        second_order: Sobol designs: whether second-order indices can be estimated.
        levels: Morris grid levels.
        seed: the seed the sampler used.
    """

    method: str
    problem: dict[str, Any]
    x: np.ndarray
    samples: int
    second_order: bool = False
    levels: int = 4
    seed: int = 0

    @property
    def names(self) -> list[str]:
        """Factor names, in column order."""
        return list(self.problem["names"])

    @property
    def block(self) -> int:
        """Rows per base sample (Sobol) or trajectory (Morris); 1 otherwise."""
        k = len(self.names)
        if self.method == "sobol":
            return 2 * k + 2 if self.second_order else k + 2
        return k + 1 if self.method == "morris" else 1

    def frame(self) -> pd.DataFrame:
        """The points as a table: index ``point`` (0, 1, …), one column per factor."""
        df = pd.DataFrame(self.x, columns=self.names)
        df.index.name = "point"
        return df

    def subsample_sizes(self) -> list[int]:
        """Sample sizes for convergence: N, N/2, N/4, … down to 8 (Sobol and Morris).

        The first n base samples of a Sobol' design, or the first n trajectories
        of a Morris design, are a design of size n in their own right.
        """
        if self.method not in ("sobol", "morris"):
            return []
        sizes, n = [], self.samples
        while n >= MIN_CONVERGENCE_SAMPLES:
            sizes.append(n)
            n //= 2
        return sorted(sizes)


def make_design(problem: dict[str, Any], method: str, samples: int, *, seed: int,
                second_order: bool = False, levels: int = 4,
                values: Sequence[Sequence[float] | None] | None = None) -> DesignMatrix:
    """Sample a design.

    Args:
        problem: SALib problem (``num_vars``, ``names``, ``bounds``).
        method: ``sobol``, ``morris``, ``lhs`` or ``factorial``.
        samples: Sobol base sample N (a power of 2), Morris trajectories, LHS points
            (unused by factorial designs).
        seed: the root seed (the sampler's seed is derived from it).
        second_order: Sobol: sample for second-order indices too.
        levels: Morris grid levels; factorial levels per factor.
        values: factorial designs: explicit values per factor (None: ``levels``
            evenly spaced values over the factor's range).

    Returns:
        The design.
    """
    s = derived_seed(seed, "design")
    if method == "sobol":
        from SALib.sample import sobol

        x = sobol.sample(problem, samples, calc_second_order=second_order, scramble=True,
                         seed=s)
    elif method == "morris":
        from SALib.sample import morris

        x = morris.sample(problem, samples, num_levels=levels, seed=s)
    elif method == "lhs":
        from SALib.sample import latin

        x = latin.sample(problem, samples, seed=s)
    elif method == "factorial":
        # The full factorial of a batch sweep: "lo:hi:levels" spacing, last factor fastest.
        axes = {}
        for i, (name, (lo, hi)) in enumerate(zip(problem["names"], problem["bounds"],
                                                 strict=True)):
            given = values[i] if values is not None else None
            axes[name] = tuple(given) if given else evenly_spaced(lo, hi, levels)
        x = np.array([list(p.values()) for p in full_factorial(axes)], dtype=float)
        samples = len(x)
    else:
        raise ValueError(f"unknown design method {method!r}")
    return DesignMatrix(method=method, problem=problem, x=np.asarray(x, dtype=float),
                        samples=samples, second_order=second_order, levels=levels, seed=s)
