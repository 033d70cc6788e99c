"""Planning a sensitivity analysis into batch runs, before anything runs.

The design's points become an explicit-design :class:`~sim.studies.batch.BatchSpec`
(the scenario, plus the baseline when an outcome is an effect), run by the
batch layer's executors into its resumable store. :class:`SensitivityPlan`
also keeps, for every design point and replicate, the run id of the scenario
run and of its paired baseline run (same parameters and seed), which is how
outcomes are read back and effects paired.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.studies.batch import BatchSpec
from sim.studies.batch.spec import PointPlanner
from sim.studies.sensitivity.design import DesignMatrix, make_design
from sim.studies.sensitivity.spec import SensitivitySpec, load_sensitivity_spec


@dataclass(frozen=True)
class SensitivityPlan:
    """A planned sensitivity analysis.

    Attributes:
        spec: the spec.
        design: the design's points.
        batch: the batch that runs them.
        runs: one row per design point and replicate: ``point``, ``replicate``,
            ``seed``, ``run_id`` (the scenario run) and, with effect outcomes,
            ``baseline_run_id``.
    """

    spec: SensitivitySpec
    design: DesignMatrix
    batch: BatchSpec
    runs: pd.DataFrame

    @property
    def run_ids(self) -> set[str]:
        """Every distinct run of the plan (baseline runs shared by points count once)."""
        ids = set(self.runs["run_id"])
        if "baseline_run_id" in self.runs:
            ids |= set(self.runs["baseline_run_id"])
        return ids

    def table(self) -> pd.DataFrame:
        """The run list to inspect: each point's factor values with its runs."""
        return self.runs.join(self.design.frame(), on="point")

    def describe(self) -> str:
        """One line: method, factors, points, runs."""
        d = self.design
        size = {"sobol": f"N = {d.samples}" + (", second order" if d.second_order else ""),
                "morris": f"{d.samples} trajectories, {d.levels} levels",
                "lhs": f"{d.samples} points", "factorial": "full factorial"}[d.method]
        reps = f" × {self.spec.replicates} replicates" if self.spec.replicates > 1 else ""
        base = " (+ paired baseline runs)" if self.spec.needs_baseline else ""
        return (f"{self.spec.name}: {d.method} design ({size}) over {len(d.names)} factors: "
                f"{len(d.x)} points{reps}{base} → {len(self.run_ids)} runs")


def plan_sensitivity(spec: SensitivitySpec | str | Path) -> SensitivityPlan:
    """Sample the design and list every run, without running any.

    Args:
        spec: a :class:`SensitivitySpec` or the path of a spec file.
    """
    if not isinstance(spec, SensitivitySpec):
        spec = load_sensitivity_spec(spec)
    d = spec.design
    design = make_design(spec.problem, d.method, d.samples, seed=spec.seed,
                         second_order=d.second_order, levels=d.levels,
                         values=[f.values for f in spec.factors])
    names = design.names
    points = [dict(zip(names, (float(v) for v in row), strict=True)) for row in design.x]
    scenarios = (spec.scenario, *((spec.baseline,) if spec.needs_baseline else ()))
    batch = BatchSpec(scenarios=scenarios, name=spec.name, description=spec.description,
                      seed=spec.seed, replicates=spec.replicates,
                      deterministic=spec.deterministic, design=points, tables=spec.tables,
                      columns=spec.columns, source=spec.source)
    main = PointPlanner(batch, spec.scenario)
    base = PointPlanner(batch, spec.baseline) if spec.needs_baseline else None
    rows = []
    for j, point in enumerate(points):
        for k in range(spec.replicates):
            run = main.run(point, k)
            row = {"point": j, "replicate": k, "seed": run.seed, "run_id": run.run_id}
            if base is not None:
                row["baseline_run_id"] = base.run(point, k).run_id
            rows.append(row)
    return SensitivityPlan(spec=spec, design=design, batch=batch, runs=pd.DataFrame(rows))
