"""Construction land: its initial stock and yearly growth (docs/model.md §3, §5.9)."""

from __future__ import annotations

import numpy as np

TINY = 1e-12  # guards divisions by stocks that are positive in practice


def room(land: np.ndarray, urban: np.ndarray, land_per_urban: float) -> np.ndarray:
    """min(1, C / (λ U)): the share of the urban land need the stock covers.

    1 while construction land C covers the need λU of the urban residents;
    it slows output (eq. 3b) and urbanisation (eq. 8) when it does not.
    """
    return np.minimum(land / np.maximum(land_per_urban * urban, TINY), 1.0)


def buildable(area_km2: np.ndarray, buildable_share: float) -> np.ndarray:
    """Most construction land a county can hold: a share of its area."""
    return buildable_share * area_km2


def initial_land(urban: np.ndarray, area_km2: np.ndarray, land_per_urban: float,
                 slack: float, buildable_share: float) -> np.ndarray:
    """Eq. 4a: C₀ = min(λ U₀ (1 + slack), buildable area).

    Dense central districts (e.g. Yuzhong, 23 km² for 589,000 residents) hit the
    cap: their urban land need exceeds the stock from the start, which is what
    makes them crowded (eq. 5b) and land-constrained (eq. 3b).
    """
    return np.minimum(land_per_urban * urban * (1.0 + slack),
                      buildable(area_km2, buildable_share))


def grow_land(land: np.ndarray, area_km2: np.ndarray, quota_growth: float,
              protected_share: np.ndarray, extra_growth: np.ndarray, added_km2: np.ndarray,
              buildable_share: float) -> np.ndarray:
    """Eq. 9c: C' = min(C (1 + q (1 − protected) + extra) + added, buildable area)."""
    grown = land * (1.0 + quota_growth * (1.0 - protected_share) + extra_growth) + added_km2
    return np.minimum(grown, buildable(area_km2, buildable_share))
