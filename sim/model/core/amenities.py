"""Public services and ecological amenity, the non-income pulls on migrants."""

from __future__ import annotations

import numpy as np

from sim.model.core.state import ServiceSharing


def services(initial: np.ndarray, income: np.ndarray, income_initial: np.ndarray,
             elasticity: float, boost: np.ndarray) -> np.ndarray:
    """Eq. 5g: S = S₀ (y / y₀)^ε (1 + boost); services follow local fiscal capacity."""
    return initial * (income / income_initial) ** elasticity * (1.0 + boost)


def shared_services(level: np.ndarray, travel_time: np.ndarray, province: np.ndarray,
                    arrangements: tuple[ServiceSharing, ...]) -> np.ndarray:
    """Eq. 5h: services reachable within a radius count for neighbours.

    County i gains ``share`` of the best service advantage S_j − S_i among the
    providers j within ``radius_h`` (and in the same province unless the
    arrangement crosses the border).
    """
    out = level
    for arr in arrangements:
        reach = (travel_time <= arr.radius_h) & arr.providers[None, :]
        if not arr.cross_border:
            reach &= province[:, None] == province[None, :]
        advantage = np.where(reach, level[None, :] - level[:, None], 0.0).max(axis=1)
        out = np.maximum(out, level + arr.share * np.maximum(advantage, 0.0))
    return out


def amenity(land: np.ndarray, area: np.ndarray, boost: np.ndarray) -> np.ndarray:
    """Eq. 5i: E = clip(1 − C / area + boost, 0, 1); built-up land lowers amenity."""
    return np.minimum(np.maximum(1.0 - land / area + boost, 0.0), 1.0)
