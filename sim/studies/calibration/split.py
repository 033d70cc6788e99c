"""The fixed training / held-out split of comparison groups.

Stratified by province and size, without random numbers: within each
province the groups are sorted by 2010 population (largest first) and cut
into consecutive blocks of three; in each block the group with the smallest
hash ``(cmp_group × 2654435761) mod 2³²`` (Knuth's multiplicative hash, a
fixed pseudo-random order) is held out. A last block of two also gives one
group; a last block of one gives none. That holds out 72 of the 215 groups
(59 of 177 in Sichuan, 13 of 38 in Chongqing), each province's size
distribution evenly. The split is defined on all of Sichuan and Chongqing
and applied unchanged to any subset (e.g. the CCEC groups).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from sim.base import sources

BLOCK = 3
_HASH_MULTIPLIER = 2654435761


def _hash(code: int) -> int:
    return (int(code) * _HASH_MULTIPLIER) % 2**32


@cache
def held_out_groups() -> frozenset[int]:
    """The ``cmp_group`` codes of the held-out split."""
    groups = sources.comparison_groups()
    province = np.where(groups["cmp_group"] // 10000 == 50, "Chongqing", "Sichuan")
    table = pd.DataFrame({"code": groups["cmp_group"], "pop": groups["pop_2010"],
                          "province": province})
    held: set[int] = set()
    for _, g in table.groupby("province", sort=True):
        g = g.sort_values(["pop", "code"], ascending=[False, True])
        codes = g["code"].to_numpy()
        for start in range(0, len(codes), BLOCK):
            block = codes[start:start + BLOCK]
            if len(block) >= 2:
                held.add(int(min(block, key=_hash)))
    return frozenset(held)


def held_out_mask(group_codes: np.ndarray) -> np.ndarray:
    """Boolean mask over ``group_codes``: True for held-out groups."""
    held = held_out_groups()
    return np.array([int(c) in held for c in group_codes], dtype=bool)
