"""Regenerate the example figures of docs/figures.md (docs/img/*.png).

Runs every scenario of scenarios/ with REPLICATES paired seeds in memory, draws
the standard set with sim.figures.write_comparison into a temporary folder at
130 dpi, and stores a few of them as 256-colour PNGs (small enough for git).

    .venv/bin/python tools/doc_figures.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from PIL import Image

import sim
from sim.analysis import ResultsSet
from sim.figures.standard import write_comparison

ROOT = Path(__file__).resolve().parent.parent
REPLICATES = 8
SHOWN = ("fan_gdp", "levers", "pilot_effect", "convergence", "map_gdp_per_capita",
         "maps_population", "network", "flows")


def main() -> int:
    """Run, draw, and write docs/img."""
    files = sorted((ROOT / "scenarios").glob("*.toml"))
    scenarios = [sim.load_scenario(f) for f in files]
    scenarios.sort(key=lambda s: s.name != "baseline")
    runs = [sim.run(s, seed=s.seed + k, replicate=k, record_flows=True)
            for s in scenarios for k in range(REPLICATES)]
    results = ResultsSet.from_results(runs)
    out = ROOT / "docs" / "img"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        write_comparison(results, "baseline", tmp, formats=("png",), dpi=130)
        for name in SHOWN:
            image = Image.open(Path(tmp) / f"{name}.png").convert("RGB")
            image.quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                           dither=Image.Dither.NONE).save(out / f"{name}.png", optimize=True)
            print(out / f"{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
