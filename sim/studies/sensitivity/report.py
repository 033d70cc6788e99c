"""Writing a sensitivity analysis: plan files, tables (CSV), figures and ``index.md``.

Layout of ``results/NAME/``::

    sensitivity.json   spec, factors with ranges, outcomes, design, seeds, run counts
    design.csv         one row per design point: point, factor values
    runs.csv           one row per point and replicate: seed, run_id (, baseline_run_id)
    batch/             the batch store of the runs (countysim status results/NAME/batch)
    outcomes.csv       one row per design point: factor values and outcomes
    indices.csv        one row per outcome and factor: the method's indices and intervals
    second_order.csv   Sobol second-order indices (designs with second_order = true)
    convergence.csv    indices on the first N/2ᵐ base samples
    discovery.csv      boxes of scenario discovery; discovery.txt, the same in words
    figures/           indices_<outcome>, morris_<outcome>, convergence_<outcome>,
                       discovery (PDF and PNG)
    index.md           what every file is, notes, and the discovery summary
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.figures import sensitivity as plots
from sim.figures import style
from sim.outputs.files import write_json_atomic
from sim.outputs.provenance import environment, git_commit, versions
from sim.studies.sensitivity.analyze import CONVERGENCE_INDICES, Indices
from sim.studies.sensitivity.discovery import DiscoveryResult, interest, summary
from sim.studies.sensitivity.plan import SensitivityPlan

PLAN_FILES = ("sensitivity.json", "design.csv", "runs.csv")
FIGURE_FORMATS = ("pdf", "png")


def write_plan(plan: SensitivityPlan, out: Path) -> list[Path]:
    """Write the plan files (before any run): the spec summary, the design and the run list."""
    out.mkdir(parents=True, exist_ok=True)
    spec = plan.spec
    meta = {
        "kind": "countysim sensitivity",
        "name": spec.name,
        "description": spec.description,
        "spec_file": spec.source,
        "scenario": {"name": spec.scenario.name, "file": spec.scenario.source,
                     "digest": spec.scenario.digest(), "start_year": spec.scenario.start_year,
                     "end_year": spec.scenario.end_year},
        "baseline": (None if spec.baseline is None else
                     {"name": spec.baseline.name, "file": spec.baseline.source,
                      "digest": spec.baseline.digest(),
                      "used": spec.needs_baseline}),
        "root_seed": spec.seed,
        "design_seed": plan.design.seed,
        "deterministic": spec.deterministic,
        "replicates": spec.replicates,
        "design": {"method": plan.design.method, "samples": plan.design.samples,
                   "second_order": plan.design.second_order, "levels": plan.design.levels,
                   "points": len(plan.design.x), "block": plan.design.block},
        "factors": [{"name": f.name, "kind": f.kind, "lo": f.lo, "hi": f.hi, "unit": f.unit,
                     "value_in_scenario": f.value, "range": f.range_source, "doc": f.doc}
                    for f in spec.factors],
        "outcomes": [{"name": o.name, "variable": o.variable, "year": o.year,
                      "table": o.table, "describe": o.describe(), "effect": o.effect}
                     for o in spec.outcomes],
        "runs": len(plan.run_ids),
        "tables": list(spec.tables),
        "versions": versions(),
        "environment": environment(),
        "git_commit": git_commit(),
    }
    paths = [out / "sensitivity.json", out / "design.csv", out / "runs.csv"]
    write_json_atomic(meta, paths[0])
    plan.design.frame().to_csv(paths[1], float_format="%.10g")
    plan.runs.to_csv(paths[2], index=False)
    return paths


def write_tables(out: Path, plan: SensitivityPlan, outcomes: pd.DataFrame,
                 indices: Indices | None, discovery: DiscoveryResult | None) -> list[Path]:
    """Write outcomes.csv, indices.csv (and second_order.csv, convergence.csv), discovery."""
    written = [out / "outcomes.csv"]
    plan.design.frame().join(outcomes).to_csv(written[0], float_format="%.10g")
    if indices is not None:
        written.append(_csv(indices.table, out / "indices.csv"))
        if not indices.second_order.empty:
            written.append(_csv(indices.second_order, out / "second_order.csv"))
        if not indices.convergence.empty:
            written.append(_csv(indices.convergence, out / "convergence.csv"))
    if discovery is not None:
        written.append(_csv(discovery.table(), out / "discovery.csv"))
        path = out / "discovery.txt"
        path.write_text(summary(discovery, _label(plan, discovery.question.outcome)) + "\n",
                        encoding="utf-8")
        written.append(path)
    return written


def _csv(table: pd.DataFrame, path: Path) -> Path:
    table.to_csv(path, index=False, float_format="%.6g")
    return path


def _label(plan: SensitivityPlan, outcome: str) -> str:
    o = next(o for o in plan.spec.outcomes if o.name == outcome)
    return f"{o.name} ({o.describe()})"


def write_figures(out: Path, plan: SensitivityPlan, outcomes: pd.DataFrame,
                  indices: Indices | None, discovery: DiscoveryResult | None,
                  formats: Sequence[str] = FIGURE_FORMATS) -> dict[str, tuple[list[Path], str]]:
    """Draw every figure; return name → (files, caption)."""
    figures: dict[str, tuple[list[Path], str]] = {}
    folder = out / "figures"
    method = plan.design.method

    def save(name: str, fig: Any, caption: str) -> None:
        figures[name] = (style.save_figure(fig, folder / name, formats), caption)
        plt.close(fig)

    with style.paper_style():
        for o in plan.spec.outcomes:
            if indices is None or o.name in indices.notes:
                continue
            rows = indices.table[indices.table["outcome"] == o.name]
            fig, ax = style.figure("single", aspect=0.3 + 0.08 * len(rows))
            plots.indices_chart(indices.table, o.name, method, ax=ax)
            save(f"indices_{o.name}", fig, _index_caption(method, o.describe(),
                                                          plan.spec.analysis.confidence))
            if method == "morris":
                fig, ax = style.figure("single", aspect=0.8)
                plots.morris_chart(indices.table, o.name, ax=ax)
                save(f"morris_{o.name}", fig,
                     f"Morris μ*–σ plane of {o.describe()}: μ* measures how much a factor "
                     "matters, σ how much its effect depends on the other factors; guides "
                     "at σ/μ* = 0.1, 0.5 and 1.")
            conv = indices.convergence
            if not conv.empty and (conv["outcome"] == o.name).any():
                shown = CONVERGENCE_INDICES[method]
                order = list(rows["factor"])  # sorted by the main index, largest first
                fig, axes = style.figure("double", aspect=0.3, ncols=len(shown))
                for ax, index in zip(np.atleast_1d(axes), shown, strict=True):
                    plots.convergence_chart(conv, o.name, index, order=order,
                                            legend=index == shown[-1], ax=ax)
                save(f"convergence_{o.name}", fig,
                     f"Convergence of the indices of {o.describe()} with the sample size: "
                     "estimates on the first N/2ᵐ base samples (Sobol) or trajectories "
                     "(Morris), with their confidence bands; flat lines mean the full "
                     "design is large enough.")
        if discovery is not None and discovery.boxes:
            q = discovery.question
            x = plan.design.frame()
            cases = interest(outcomes[q.outcome].to_numpy(dtype=float), q)
            fig, ax = style.figure("single", aspect=0.85)
            word = "above" if q.direction == "above" else "below"
            plots.discovery_chart(x, cases, discovery.boxes[0], ax=ax,
                                  title=f"{q.outcome} {word} {q.threshold:g}")
            save("discovery", fig,
                 f"Scenario discovery: design points where {q.outcome} is {word} "
                 f"{q.threshold:g} (coloured) and the first box on its two first factors.")
    return figures


def _index_caption(method: str, what: str, confidence: float) -> str:
    level = f"{confidence:.0%}"
    return {
        "sobol": f"Sobol indices of {what}: total index ST (bars) and first-order index "
                 f"S1 (dots) with {level} bootstrap intervals, largest ST on top. ST − S1 "
                 "is the share of variance from the factor's interactions.",
        "morris": f"Morris μ* of {what} with {level} bootstrap intervals, largest on top.",
        "lhs": f"First-order indices (RBD-FAST) of {what} with {level} bootstrap intervals.",
        "factorial": f"Main-effect shares of the variance of {what} over the factorial grid.",
    }[method]


def write_index(out: Path, plan: SensitivityPlan, tables: list[Path],
                figures: dict[str, tuple[list[Path], str]], indices: Indices | None,
                discovery: DiscoveryResult | None, notes: Sequence[str] = ()) -> Path:
    """Write ``index.md``: the plan, each table and figure, notes and discovery."""
    spec = plan.spec
    lines = [f"# Sensitivity analysis: {spec.name}", ""]
    if spec.description:
        lines += [spec.description.strip(), ""]
    lines += [plan.describe() + ".", "",
              f"Scenario `{spec.scenario.name}` {spec.scenario.start_year}–"
              f"{spec.scenario.end_year}; root seed {spec.seed}; "
              + ("deterministic runs." if spec.deterministic else
                 f"{spec.replicates} stochastic replicates per point (outcome = mean)."), "",
              "| factor | range | unit | from |", "|---|---|---|---|"]
    for f in spec.factors:
        lines.append(f"| `{f.name}` | {f.lo:g} – {f.hi:g} | {f.unit} | {f.range_source} |")
    lines += ["", "Outcomes:", ""]
    lines += [f"- `{o.name}`: {o.describe()}" for o in spec.outcomes]
    all_notes = [*notes, *(indices.notes.values() if indices is not None else ())]
    if all_notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in all_notes]
    if figures:
        lines += ["", "## Figures", ""]
        for name, (paths, caption) in figures.items():
            files = ", ".join(f"[{p.suffix[1:]}](figures/{p.name})" for p in paths)
            lines.append(f"- **{name}** ({files}): {caption}")
    lines += ["", "## Tables", ""]
    lines += [f"- [{p.name}]({p.name})" for p in [out / f for f in PLAN_FILES] + tables]
    if discovery is not None:
        q = discovery.question
        lines += ["", "## Scenario discovery", "",
                  summary(discovery, _label(plan, q.outcome)).replace("\n", "\n\n")]
    lines.append("")
    path = out / "index.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
