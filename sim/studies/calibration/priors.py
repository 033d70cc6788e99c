"""Gaussian priors on parameters, added to the calibration objective.

J, the objective of :mod:`sim.studies.calibration.objective`, is −2 × a
concentrated Gaussian log-likelihood. A Gaussian prior N(mean, sd²) on a
parameter adds −2 × its log density up to a constant,

    ((value − mean) / sd)²,

so that J + Σ priors is −2 × the log posterior and J(θ) − J(θ̂) keeps its
χ² reading in profiles. A prior is data, with its source, so that any
estimate or literature range can become one: :func:`market_access_priors
<sim.studies.calibration.market_access.market_access_priors>` returns the
reduced-form estimate of the agglomeration elasticity, and a literature prior
is one line, e.g. ``Prior("services_weight", 0.17, 0.05, "Zhang & Fang …")``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sim.base.errors import InputError
from sim.model.parameters import Parameters, parameter_hint


@dataclass(frozen=True)
class Prior:
    """A Gaussian prior N(mean, sd²) on one parameter.

    Attributes:
        name: the parameter (a field of :class:`~sim.model.parameters.Parameters`).
        mean: prior mean, in the parameter's unit.
        sd: prior standard deviation (> 0), same unit.
        source: where the numbers come from (an estimate, a paper), for the record.
    """

    name: str
    mean: float
    sd: float
    source: str

    def __post_init__(self) -> None:
        hint = parameter_hint(self.name)
        if hint:
            raise InputError(f"prior on an unknown parameter '{self.name}'; {hint}")
        if not (math.isfinite(self.mean) and math.isfinite(self.sd) and self.sd > 0):
            raise InputError(f"prior on '{self.name}': mean must be finite and sd a positive "
                             f"number, got mean {self.mean}, sd {self.sd}")

    def penalty(self, value: float) -> float:
        """((value − mean) / sd)²: −2 × the log prior density, up to a constant."""
        return ((value - self.mean) / self.sd) ** 2

    def to_dict(self) -> dict[str, float | str]:
        """The prior as a plain record (for calibration.json)."""
        return {"name": self.name, "mean": self.mean, "sd": self.sd, "source": self.source}


def check_priors(priors: Iterable[Prior]) -> tuple[Prior, ...]:
    """The priors as a tuple; at most one prior per parameter.

    Raises:
        InputError: two priors on the same parameter.
    """
    priors = tuple(priors)
    names = [p.name for p in priors]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError("more than one prior on " + ", ".join(twice))
    return priors


def prior_penalty(priors: Iterable[Prior], params: Parameters | Mapping[str, float]) -> float:
    """Σ ((value − mean) / sd)² over the priors, at a parameter set."""
    values = params.to_dict() if isinstance(params, Parameters) else params
    return float(sum(p.penalty(float(values[p.name])) for p in priors))
