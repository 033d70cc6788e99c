"""Batch results folders written by the real batch layer, for the readers' tests.

``write_batch`` runs the scenarios with :func:`sim.run_batch` (serial), so the
folder is exactly what ``countysim batch`` writes; ``failed=True`` adds the row
of a failed run to ``runs.parquet`` (a failed run has no parts), as a batch whose
run raised would have it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import sim

LEVER_SCENARIOS = {
    "industry": [{"id": "ind", "type": "modern_industry", "targets": "pilots",
                  "start_year": 2021}],
    "rail_link": [{"id": "rail", "type": "connectivity", "targets": "pilots",
                   "start_year": 2022,
                   "links": [{"between": ["Linshui", "Kaijiang"], "year": 2022}]}],
}


def lever_scenarios(baseline: sim.Scenario) -> list[sim.Scenario]:
    return [baseline] + [baseline.with_changes(name=name, levers=levers)
                         for name, levers in LEVER_SCENARIOS.items()]


def write_batch(out: Path, scenarios: list[sim.Scenario], replicates: int, *,
                seed: int = 100, flows: bool = True, failed: bool = False) -> Path:
    spec = sim.BatchSpec(scenarios=tuple(scenarios), name=out.name, seed=seed,
                         replicates=replicates, flows=flows)
    sim.run_batch(spec, out, executor="serial", progress=False)
    if failed:
        runs = pd.read_parquet(out / "runs.parquet")
        row = runs.iloc[[0]].assign(run_id="deadbeef0000", replicate=replicates,
                                    status="failed", error="boom", seconds=0.0)
        pd.concat([runs, row], ignore_index=True).to_parquet(out / "runs.parquet",
                                                             index=False)
    return out
