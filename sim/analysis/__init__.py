"""Analysis of results folders: indicators, scenario comparisons, pilot effect, tables.

Everything here reads tidy results tables (:class:`ResultsSet`, from
:func:`read_results` on a run folder, a batch folder or a folder of them) and
never needs a live model::

    from sim import analysis
    rs = analysis.read_results("results/levers")
    analysis.compare(rs, "gdp_bn_yuan", "baseline", relative=True)   # % vs baseline
    analysis.pilot_effect(rs, "gdp_per_capita_yuan", "baseline")     # simulated DiD
    analysis.key_numbers(rs, "baseline")                             # 2025 table

Modules: :mod:`.store` (reading), :mod:`.compare` (paired differences and
bands), :mod:`.measures` (inequality and convergence), :mod:`.pilot`
(matched difference-in-differences), :mod:`.tables` (CSV and LaTeX),
:mod:`.variables` (labels and units).
"""

from sim.analysis.compare import (
    BAND,
    compare,
    levels,
    paired_differences,
    summarise,
    variables,
)
from sim.analysis.measures import beta_convergence, region_indicators, sigma_convergence
from sim.analysis.pilot import match_controls, pilot_effect, pilot_effect_runs
from sim.analysis.tables import key_numbers, latex_table
from sim.model.schema import VARIABLES, axis_label
from sim.outputs.reader import ResultsSet, as_results_set, read_results

__all__ = [
    "BAND",
    "VARIABLES",
    "ResultsSet",
    "as_results_set",
    "axis_label",
    "beta_convergence",
    "compare",
    "key_numbers",
    "latex_table",
    "levels",
    "match_controls",
    "paired_differences",
    "pilot_effect",
    "pilot_effect_runs",
    "read_results",
    "region_indicators",
    "sigma_convergence",
    "summarise",
    "variables",
]
