"""Sensitivity analysis and exploratory designs over parameters and lever intensities.

A sensitivity spec (``scenarios/sensitivity/*.toml``) names a scenario, the
factors (parameters and lever intensities, ranges defaulting to the documented
plausible ranges), a design (Sobol/Saltelli, Morris, Latin hypercube,
factorial; sampled by SALib from the root seed), outcomes and optionally a
scenario discovery question. :func:`run_sensitivity` plans the design into an
explicit-design batch, runs it with the batch layer (serial, processes, Dask;
resumable) and writes indices with confidence intervals, convergence, boxes,
tables and figures::

    from sim.studies import sensitivity
    plan = sensitivity.plan_sensitivity("scenarios/sensitivity/pilot_services.toml")
    plan.table()                                  # every run, before running
    result = sensitivity.run_sensitivity(plan, "results/pilot_services")
    result.indices.table                          # S1, ST with intervals, per outcome

Modules: :mod:`.spec` (spec files), :mod:`.factors`, :mod:`.outcomes`,
:mod:`.design` (SALib samplers), :mod:`.plan` (runs), :mod:`.analyze` (SALib
estimators), :mod:`.discovery` (tree, PRIM), :mod:`.plots`, :mod:`.report`,
:mod:`.run`, :mod:`.ema` (EMA Workbench adapter). See docs/sensitivity.md.
"""

from sim.studies.sensitivity.analyze import Indices, analyse
from sim.studies.sensitivity.design import DesignMatrix, derived_seed, make_design
from sim.studies.sensitivity.discovery import Box, DiscoveryResult, discover, summary
from sim.studies.sensitivity.plan import SensitivityPlan, plan_sensitivity
from sim.studies.sensitivity.run import SensitivityResult, analyse_sensitivity, run_sensitivity
from sim.studies.sensitivity.spec import SensitivitySpec, load_sensitivity_spec, spec_from_data

__all__ = [
    "Box",
    "DesignMatrix",
    "DiscoveryResult",
    "Indices",
    "SensitivityPlan",
    "SensitivityResult",
    "SensitivitySpec",
    "analyse",
    "analyse_sensitivity",
    "derived_seed",
    "discover",
    "load_sensitivity_spec",
    "make_design",
    "plan_sensitivity",
    "run_sensitivity",
    "spec_from_data",
    "summary",
]
