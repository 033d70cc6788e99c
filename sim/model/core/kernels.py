"""Travel-time kernels: the parts of each year's equations that depend only on τ.

They change only when the network changes, so the model rebuilds them then and
reuses them every other year.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
from cachetools import LRUCache

from sim.model.parameters import Parameters


@dataclass(frozen=True, eq=False)
class Kernels:
    """Distance-decay matrices for N counties plus the ROC node (last index).

    Attributes:
        access: (N, N) exp(−θ τ_ij), the market-access weights (eq. 2).
        migration: (N, N+1) exp(−γ τ_ij), times exp(stay bonus) on the
            diagonal; column N is ROC (eq. 5).
        migration_from_roc: (N,) exp(−γ τ_Rj) for arrivals from ROC.
        migration_to: (N, N) the county block of ``migration`` transposed, contiguous
            (arrivals by age group are one matrix product with it, eq. 5m).
        investment: (N, N+1) exp(−ω τ_ij); column N is ROC (eq. 6).
        diffusion: (N, N) exp(−θ τ_ij) with a zero diagonal, rows summing to 1
            (eq. 9).
        diffusion_row_sums: (N,) Σ_j of ``diffusion`` (1, or 0 for a county
            without neighbours).
        commuting: (N, N) exp(−θ_c τ_ij) off the diagonal and 1 on it: how much
            of the jobs of j a resident of i can reach (eq. 5j).
    """

    access: np.ndarray
    migration: np.ndarray
    migration_from_roc: np.ndarray
    migration_to: np.ndarray
    investment: np.ndarray
    diffusion: np.ndarray
    diffusion_row_sums: np.ndarray
    commuting: np.ndarray


def _nbytes(kernels: Kernels) -> int:
    return sum(getattr(kernels, f.name).nbytes for f in fields(kernels))


#: Kernels by (travel-time key, decay parameters): runs of a batch that share a
#: network and these parameters reuse them. A run meets a new network almost
#: every year (15 in ccec 2010→2025, 0.8 MB each; 2 MB in sichuan_chongqing) and
#: batches alternate scenarios, so the cache keeps the least recently used out
#: beyond 64 MB rather than a handful of entries, which alternating runs evicted.
_CACHE: LRUCache = LRUCache(maxsize=64 * 2**20, getsizeof=_nbytes)


def build_kernels(travel_time: np.ndarray, params: Parameters,
                  key: tuple | None = None) -> Kernels:
    """Compute the kernels from an (N+1)×(N+1) travel-time matrix (ROC last).

    Args:
        travel_time: hours between counties, ROC last.
        params: supplies θ, γ, ω, θ_c and the stay bonus.
        key: an identifier of ``travel_time`` (see ``Network.travel_time_key``);
            with it, results are memoised.
    """
    if key is None:
        return _build(travel_time, params)
    cache_key = (key, params.market_access_decay_per_h, params.migration_time_cost_per_h,
                 params.stay_bonus, params.investment_time_decay_per_h,
                 params.commuting_decay_per_h)
    kernels = _CACHE.get(cache_key)
    if kernels is None:
        kernels = _CACHE[cache_key] = _build(travel_time, params)
    return kernels


def _build(travel_time: np.ndarray, params: Parameters) -> Kernels:
    n = travel_time.shape[0] - 1
    counties = travel_time[:n, :n]
    access = np.exp(-params.market_access_decay_per_h * counties)
    migration = np.exp(-params.migration_time_cost_per_h * travel_time[:n, :])
    migration[np.arange(n), np.arange(n)] *= np.exp(params.stay_bonus)
    investment = np.exp(-params.investment_time_decay_per_h * travel_time[:n, :])
    diffusion = access.copy()
    np.fill_diagonal(diffusion, 0.0)
    rows = diffusion.sum(axis=1, keepdims=True)
    diffusion = np.divide(diffusion, rows, out=np.zeros_like(diffusion), where=rows > 0)
    commuting = np.exp(-params.commuting_decay_per_h * counties)
    np.fill_diagonal(commuting, 1.0)
    migration_to = np.ascontiguousarray(migration[:, :n].T)
    for array in (access, migration, migration_to, investment, diffusion, commuting):
        array.flags.writeable = False
    return Kernels(
        access=access,
        migration=migration,
        migration_from_roc=np.exp(-params.migration_time_cost_per_h * travel_time[n, :n]),
        migration_to=migration_to,
        investment=investment,
        diffusion=diffusion,
        diffusion_row_sums=diffusion.sum(axis=1),
        commuting=commuting,
    )
