"""The pure, vectorised core of countysim.

Functions here take and return numpy arrays over counties (and the ROC node);
they import neither Mesa nor matplotlib and keep no state. The Mesa shell in
:mod:`sim.model.shell` owns the arrays and calls :func:`sim.model.core.step.advance` once
per simulated year. Equation labels (eq. 5h: step 5, equation h) are those
``docs/model.md`` shows next to each equation; its section 5.N is step N.
"""

from sim.model.core.kernels import Kernels, build_kernels
from sim.model.core.state import Constants, Policy, State, YearFlows
from sim.model.core.step import advance

__all__ = ["Constants", "Kernels", "Policy", "State", "YearFlows", "advance", "build_kernels"]
