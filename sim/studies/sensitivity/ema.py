"""The model for the EMA Workbench (``pip install 'countysim[ema]'``).

:func:`ema_model` turns a sensitivity spec into an ``ema_workbench.Model``:
its parameter factors are the model's **uncertainties**, its lever-intensity
factors the model's **levers** (policy levers, in the Workbench's sense), and
its outcomes scalar outcomes (``ScalarOutcome``), computed by the same code as
``countysim sensitivity`` (:mod:`sim.studies.sensitivity.outcomes`), so the numbers
agree. Everything the Workbench offers then applies: its samplers,
``perform_experiments`` with its evaluators, PRIM, CART, feature scoring,
many-objective search over the levers::

    from ema_workbench import perform_experiments
    from sim.studies.sensitivity.ema import ema_model

    model = ema_model("scenarios/sensitivity/pilot_services.toml")
    experiments, outcomes = perform_experiments(model, scenarios=50, policies=4)

Each experiment runs the scenario once (deterministic unless the spec says
otherwise, with the spec's root seed), and the baseline once more when an
outcome is an effect. For large designs, ``countysim sensitivity`` runs the
same model through the batch layer (resumable, on a cluster).
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim.base.errors import InputError
from sim.model.scenario import Scenario
from sim.studies.batch.points import applies, apply_levers, split_point
from sim.studies.run import run
from sim.studies.sensitivity.factors import Factor
from sim.studies.sensitivity.outcomes import Outcome, effect, run_values
from sim.studies.sensitivity.spec import SensitivitySpec, load_sensitivity_spec


class CountysimFunction:
    """Factor values in, outcomes out: the function an EMA ``Model`` calls.

    A plain class (not a closure), so the Workbench's multiprocessing evaluator
    can send it to worker processes.

    Args:
        scenario: the scenario.
        baseline: the baseline of effect outcomes (None without them).
        outcomes: the outcomes.
        deterministic: expected flows instead of random draws.
        seed: the run seed (stochastic runs).
    """

    def __init__(self, scenario: Scenario, baseline: Scenario | None,
                 outcomes: Sequence[Outcome], *, deterministic: bool = True,
                 seed: int | None = None) -> None:
        self.scenario = scenario
        self.baseline = baseline
        self.outcomes = tuple(outcomes)
        self.deterministic = deterministic
        self.seed = seed

    def __call__(self, **values: float) -> dict[str, float]:
        """Run the scenario (and the baseline) at ``values``; return every outcome."""
        params, levers = split_point({k: float(v) for k, v in values.items()})
        mine = self._values(self.scenario, params, levers)
        theirs = (self._values(self.baseline, params, levers)
                  if self.baseline is not None and any(o.effect for o in self.outcomes)
                  else {})
        return {o.name: float(effect(o, mine[o.name], theirs.get(o.name, float("nan"))))
                for o in self.outcomes}

    def _values(self, scenario: Scenario, params: dict[str, float],
                levers: dict[str, float]) -> dict[str, float]:
        used = {k: v for k, v in levers.items() if applies(k, scenario)}
        scenario = apply_levers(scenario, used) if used else scenario
        results = run(scenario, seed=self.seed, deterministic=self.deterministic,
                      parameters=params or None)
        return run_values(self.outcomes, results)


def workbench(module: str, purpose: str) -> Any:
    """Import a module of the EMA Workbench, or say how to install it.

    Args:
        module: e.g. ``ema_workbench`` or ``ema_workbench.analysis.prim``.
        purpose: what needs it, for the message.

    Raises:
        InputError: the Workbench is not installed.
    """
    try:
        with warnings.catch_warnings():  # it warns that ipyparallel is not installed
            warnings.simplefilter("ignore", UserWarning)
            return importlib.import_module(module)
    except ImportError:
        raise InputError(f"{purpose} needs the EMA Workbench; install it with "
                         "pip install 'countysim[ema]'") from None


def ema_name(factor: str) -> str:
    """The Workbench name of a factor (an identifier): ``.`` becomes ``__``."""
    return factor.replace(".", "__")


def ema_model(spec: SensitivitySpec | str | Path, name: str | None = None) -> Any:
    """An ``ema_workbench.Model`` of a sensitivity spec's scenario, factors and outcomes.

    Args:
        spec: a :class:`SensitivitySpec` or the path of a spec file (its design,
            analysis and discovery sections are not used: the Workbench samples).
        name: the model's name (default: the spec's, with ``-`` and ``.`` as ``_``).

    Returns:
        The model, with ``uncertainties`` (parameter factors, over their ranges,
        default = the scenario's value), ``levers`` (lever intensities, named by
        :func:`ema_name`: ``.`` becomes ``__``) and
        ``outcomes`` (one ``ScalarOutcome`` each).

    Raises:
        InputError: the EMA Workbench is not installed, or a bad spec.
    """
    ema = workbench("ema_workbench", "the EMA Workbench adapter")
    Model, RealParameter, ScalarOutcome = ema.Model, ema.RealParameter, ema.ScalarOutcome
    if not isinstance(spec, SensitivitySpec):
        spec = load_sensitivity_spec(spec)
    function = CountysimFunction(spec.scenario, spec.baseline, spec.outcomes,
                                 deterministic=spec.deterministic,
                                 seed=None if spec.deterministic else spec.seed)
    model = Model(name or spec.name.replace("-", "_").replace(".", "_"), function=function)
    params = [f for f in spec.factors if f.kind == "parameter"]
    levers = [f for f in spec.factors if f.kind == "lever"]
    def real(f: Factor) -> Any:
        # Workbench names must be Python identifiers; the function gets the factor name.
        return RealParameter(ema_name(f.name), f.lo, f.hi, variable_name=f.name,
                             default=min(max(f.value, f.lo), f.hi))

    model.uncertainties = [real(f) for f in params]
    model.levers = [real(f) for f in levers]
    model.outcomes = [ScalarOutcome(o.name) for o in spec.outcomes]
    return model
