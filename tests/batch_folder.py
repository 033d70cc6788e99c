"""Build batch-layout results folders from a few runs (the batch store contract).

``results/NAME/`` holds ``runs.parquet``, ``manifest.json`` and one directory per
table with ``part-<run_id>.parquet`` files; replicate k of every scenario uses
seed ``seed0 + k`` (common random numbers).
"""

from __future__ import annotations

import json
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
                seed0: int = 100, flows: bool = True, failed: bool = False) -> Path:
    runs = []
    for s in scenarios:
        for k in range(replicates):
            r = sim.run(s, seed=seed0 + k, replicate=k, record_flows=flows)
            rid = r.manifest["run_id"]
            for name in ("county_year", "region_year", "levers_year", "flows"):
                table = getattr(r, name)
                if table is None:
                    continue
                (out / name).mkdir(parents=True, exist_ok=True)
                table.to_parquet(out / name / f"part-{rid}.parquet", index=False)
            runs.append({"run_id": rid, "scenario": s.name, "replicate": k,
                         "seed": seed0 + k, "status": "done", "error": None, "seconds": 0.1})
    if failed:  # a failed run leaves a row in runs.parquet and no parts
        runs.append({"run_id": "deadbeef0000", "scenario": scenarios[0].name,
                     "replicate": replicates, "seed": 1, "status": "failed",
                     "error": "boom", "seconds": 0.0})
    pd.DataFrame(runs).to_parquet(out / "runs.parquet", index=False)
    (out / "manifest.json").write_text(json.dumps({"name": out.name}), encoding="utf-8")
    return out
