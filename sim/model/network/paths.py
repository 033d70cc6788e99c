"""All-pairs shortest travel times, memoised by graph, updated exactly when edges open."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from cachetools import LRUCache
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

#: Shortest paths by graph (the candidate edges, their base times, which are
#: active, which time factors apply). Batches of runs share networks (replicates,
#: scenarios that leave the network alone), so each graph is solved once per
#: process, and each region's view of it is cut once. A run meets a new graph
#: almost every year and batches alternate scenarios, so the least recently used
#: are dropped beyond 64 MB (≈ 37 graphs of 329 nodes with their region views).
PATHS: LRUCache = LRUCache(maxsize=64 * 2**20, getsizeof=lambda paths: 2 * paths.dist.nbytes)


@dataclass(eq=False)
class Paths:
    """All-pairs travel times of one graph, and region views of them."""

    dist: np.ndarray
    regions: dict[tuple, tuple[np.ndarray, np.ndarray]]


def remember(key: tuple, dist: np.ndarray) -> Paths:
    """Keep the all-pairs times of a graph (read-only) in :data:`PATHS`."""
    dist.flags.writeable = False
    paths = PATHS[key] = Paths(dist=dist, regions={})
    return paths


def all_pairs(n_nodes: int, u: np.ndarray, v: np.ndarray, t: np.ndarray) -> np.ndarray:
    """All-pairs shortest travel times on an undirected graph."""
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    # Parallel edges (a road and an expressway between two seats): keep the
    # fastest, since building a sparse matrix would add them up.
    order = np.lexsort((t, hi, lo))
    lo, hi, ts = lo[order], hi[order], t[order]
    first = np.ones(len(lo), dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    graph = csr_matrix((ts[first], (lo[first], hi[first])), shape=(n_nodes, n_nodes))
    return dijkstra(graph, directed=False)


def add_edges(dist: np.ndarray, u: np.ndarray, v: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Shortest paths after adding (or speeding up) edges, exactly, in O(n²) each.

    With one new edge (a, b, w) a path either avoids it or crosses it once, so
    d'(i, j) = min(d(i, j), d(i, a) + w + d(b, j), d(i, b) + w + d(a, j)).
    """
    d = dist.copy()
    for a, b, w in zip(u, v, t, strict=True):
        if d[a, b] <= w:
            continue
        via = d[:, a, None] + w + d[None, b, :]
        np.minimum(d, via, out=d)
        np.minimum(d, via.T, out=d)
    return d
