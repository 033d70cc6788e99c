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
                 slack: float, buildable_share: float,
                 builtup_km2: np.ndarray | None = None) -> np.ndarray:
    """Eq. 3.4: C₀ = min(M, buildable area), M the MODIS built-up area of the census year.

    Where MODIS shows no built-up area (``builtup_km2`` NaN, or not given), C₀ =
    min(λ U₀ (1 + slack), buildable area): land does not bind there at the start.
    With MODIS, land is short (C₀ < λU₀) where the satellite sees less built-up area
    than the urban residents need: about half the counties in 2020 at λ = 100 m², most
    of them counties whose towns grew faster than their built-up area. Dense central
    districts (e.g. Yuzhong, 23 km² for 589,000 residents) also hit the buildable cap.
    """
    need = land_per_urban * urban * (1.0 + slack)
    if builtup_km2 is not None:
        need = np.where(np.isnan(builtup_km2), need, builtup_km2)
    return np.minimum(need, buildable(area_km2, buildable_share))


def grow_land(land: np.ndarray, area_km2: np.ndarray, quota_growth: float,
              protected_share: np.ndarray, extra_growth: np.ndarray, added_km2: np.ndarray,
              buildable_share: float) -> np.ndarray:
    """Eq. 9c: C' = min(C (1 + q (1 − protected) + extra) + added, buildable area)."""
    grown = land * (1.0 + quota_growth * (1.0 - protected_share) + extra_growth) + added_km2
    return np.minimum(grown, buildable(area_km2, buildable_share))
