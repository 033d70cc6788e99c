"""Running a sensitivity analysis: plan, run through the batch layer, analyse, write.

:func:`run_sensitivity` is what ``countysim sensitivity`` calls; it plans the
design (or takes a plan), writes the plan files, runs the design's runs with
:func:`sim.run_batch` into ``<out>/batch`` (any executor, resumable), then
:func:`analyse_sensitivity` reads the outcomes back from the batch store and
writes indices, convergence, discovery, tables and figures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.base.errors import InputError
from sim.outputs.results import MANIFEST
from sim.outputs.store import read_manifest
from sim.studies.batch import Batch, load_batch, run_batch
from sim.studies.batch.execute import _differences
from sim.studies.sensitivity import report
from sim.studies.sensitivity.analyze import Indices, analyse
from sim.studies.sensitivity.design import derived_seed
from sim.studies.sensitivity.discovery import DiscoveryResult, discover
from sim.studies.sensitivity.outcomes import design_outcomes, read_run_values
from sim.studies.sensitivity.plan import SensitivityPlan, plan_sensitivity
from sim.studies.sensitivity.spec import SensitivitySpec

#: The batch store's folder inside a sensitivity results folder.
BATCH_FOLDER = "batch"


@dataclass
class SensitivityResult:
    """What a sensitivity analysis produced.

    Attributes:
        plan: the plan (spec, design, runs).
        out: the results folder.
        outcomes: one row per design point (index ``point``), one column per outcome.
        indices: the indices (None if some run is missing or failed).
        discovery: scenario discovery boxes (None without a discovery question).
        notes: why something was not computed.
        files: every file written by the analysis.
        batch: the batch store of the runs.
    """

    plan: SensitivityPlan
    out: Path
    outcomes: pd.DataFrame
    indices: Indices | None
    discovery: DiscoveryResult | None
    notes: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    batch: Batch | None = None

    @property
    def complete(self) -> bool:
        """Whether every run was done and the indices could be estimated."""
        return self.indices is not None


def run_sensitivity(spec: SensitivityPlan | SensitivitySpec | str | Path,
                    out: str | Path | None = None, *,
                    executor: Any = None, workers: int | None = None,
                    scheduler: str | None = None, resume: bool = False,
                    progress: bool | None = None, figures: bool = True,
                    formats: Sequence[str] = report.FIGURE_FORMATS,
                    on_start: Callable[[SensitivityPlan, int, str], None] | None = None,
                    ) -> SensitivityResult:
    """Plan, run and analyse a sensitivity analysis.

    Args:
        spec: a :class:`SensitivityPlan` (as :func:`plan_sensitivity` returns, not
            planned again), a :class:`SensitivitySpec` or the path of a spec file.
        out: results folder (default ``results/<name>``).
        executor: batch executor: ``"serial"``, ``"processes"`` (default), ``"dask"``,
            a ``concurrent.futures.Executor`` or a ``dask.distributed.Client``.
        workers: local processes or LocalCluster workers.
        scheduler: a Dask scheduler address.
        resume: finish the runs of an interrupted analysis in ``out`` (done runs are
            kept) and analyse again; with every run done, only analyses again
            (e.g. after adding outcomes or changing the discovery threshold).
        progress: progress bar (default: when stderr is a terminal).
        figures: draw the figures.
        formats: figure file formats.
        on_start: called as ``on_start(plan, runs_to_do, executor_label)`` before
            the first run.

    Returns:
        The :class:`SensitivityResult`.

    Raises:
        InputError: bad spec, or a results folder that is not empty (without
            ``resume``) or holds another analysis (with ``resume``).
    """
    plan = spec if isinstance(spec, SensitivityPlan) else plan_sensitivity(spec)
    out = Path(out) if out is not None else Path("results") / plan.spec.name
    check_folder(out, resume, plan)

    def started(planned: int, to_run: int, label: str) -> None:
        if on_start is not None:
            on_start(plan, to_run, label)

    plan_files = report.write_plan(plan, out)  # inspectable while the runs run
    batch = run_batch(plan.batch, out / BATCH_FOLDER, executor=executor, workers=workers,
                      scheduler=scheduler, resume=resume, progress=progress,
                      on_start=started)
    return _analyse(plan, out, batch, figures=figures, formats=formats, plan_files=plan_files)


def check_folder(out: Path, resume: bool, plan: SensitivityPlan | None = None) -> None:
    """Check, before any file is written, that ``out`` may take the plan's analysis.

    Without ``resume``, ``out`` must be new, empty or hold only plan files (of
    ``--plan``); with it, ``out`` must hold an analysis of the same design (so
    that rewriting the plan files does not replace another analysis's plan), or
    be such a folder without runs yet, which then starts (a job script that
    always resumes works on its first run too).

    Raises:
        InputError: ``out`` is a file; a folder holding more than plan files but
            no batch store; with ``resume``, a batch of another design.
    """
    if out.exists() and not out.is_dir():
        raise InputError("results folder is a file", source=str(out))
    if resume and (out / BATCH_FOLDER / MANIFEST).is_file():
        manifest = read_manifest(out / BATCH_FOLDER)
        if plan is not None and manifest.get("fingerprint") != plan.batch.fingerprint():
            changed = _differences(manifest.get("identity", {}), plan.batch.identity())
            raise InputError(f"cannot resume: the design changed since this analysis was "
                             f"started ({changed}); run the changed spec into a new --out",
                             source=str(out))
        return
    # A folder with only the plan files is one whose runs never started.
    if out.is_dir() and any(p.name not in report.PLAN_FILES
                            and not (resume and p.name == BATCH_FOLDER) for p in out.iterdir()):
        hint = ("add --resume to finish it or analyse it again"
                if (out / BATCH_FOLDER).is_dir() else "choose an empty or new folder")
        raise InputError(f"results folder is not empty; {hint}, or choose another --out",
                         source=str(out))


def analyse_sensitivity(plan: SensitivityPlan | SensitivitySpec | str | Path,
                        out: str | Path, *, figures: bool = True,
                        formats: Sequence[str] = report.FIGURE_FORMATS,
                        batch: Batch | None = None) -> SensitivityResult:
    """Read the outcomes of a design's runs from its batch store and write the analysis.

    Args:
        plan: the plan (or a spec, planned again: the same seed gives the same plan).
        out: the sensitivity results folder (holding ``batch/``).
        figures: draw the figures.
        formats: figure file formats.
        batch: the batch store, if already open.
    """
    if not isinstance(plan, SensitivityPlan):
        plan = plan_sensitivity(plan)
    out = Path(out)
    return _analyse(plan, out, batch or load_batch(out / BATCH_FOLDER), figures=figures,
                    formats=formats)


def _analyse(plan: SensitivityPlan, out: Path, batch: Batch, *, figures: bool,
             formats: Sequence[str], plan_files: list[Path] | None = None
             ) -> SensitivityResult:
    """:func:`analyse_sensitivity`; the plan files are written unless ``plan_files`` lists them."""
    spec = plan.spec
    values = read_run_values(batch, spec.outcomes, run_ids=_done(batch, plan))
    outcomes = design_outcomes(spec.outcomes, values, plan.runs)
    outcomes = outcomes.reindex(range(len(plan.design.x)))
    notes = []
    indices = None
    missing = outcomes.isna().any(axis=1)
    bad = ~np.isfinite(outcomes.to_numpy(dtype=float)).all(axis=1) & ~missing.to_numpy()
    if missing.any():
        counts = batch.counts()
        notes.append(f"{int(missing.sum())} of {len(outcomes)} design points lack a run "
                     f"({counts['failed']} runs failed, {counts['missing']} missing): no "
                     f"indices; see countysim status {out / BATCH_FOLDER}, then finish with "
                     "--resume")
    elif bad.any():
        notes.append(f"{int(bad.sum())} design points have an infinite outcome (a relative "
                     "effect against a zero baseline?): no indices")
    else:
        indices = analyse(plan.design, outcomes, spec.analysis, spec.seed)
    discovery = None
    if spec.discovery is not None:
        q = spec.discovery
        ok = np.isfinite(outcomes[q.outcome].to_numpy(dtype=float))
        discovery = discover(plan.design.frame()[ok], outcomes[q.outcome].to_numpy()[ok], q,
                             spec.factors, derived_seed(spec.seed, "discovery"))
    files = list(plan_files) if plan_files is not None else report.write_plan(plan, out)
    tables = report.write_tables(out, plan, outcomes, indices, discovery)
    drawn = (report.write_figures(out, plan, outcomes, indices, discovery, formats)
             if figures else {})
    index = report.write_index(out, plan, tables, drawn, indices, discovery, notes)
    files += [*tables, *(p for paths, _ in drawn.values() for p in paths), index]
    return SensitivityResult(plan=plan, out=out, outcomes=outcomes, indices=indices,
                             discovery=discovery, notes=notes, files=files, batch=batch)


def _done(batch: Batch, plan: SensitivityPlan) -> list[str]:
    runs = batch.runs
    done = set(runs.loc[runs["status"] == "done", "run_id"])
    return sorted(done & plan.run_ids)
