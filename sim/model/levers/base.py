"""What every reform lever has: identity, targets, years, a ramp; and its context.

A lever is validated scenario data *and* the mechanism it stands for: each
subclass declares its intensity fields (with units and ranges) and implements
:meth:`Lever.apply`, which adds the lever's effect to the year's
:class:`~sim.model.core.state.Policy`. Levers compose because every effect is added
(or multiplied) onto what other levers already set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.base.errors import FieldError
from sim.model.core.state import Policy, State
from sim.model.network import NetworkChanges
from sim.model.parameters import Parameters
from sim.model.region import FIRST_YEAR, LAST_YEAR, Region
from sim.model.selection import TargetSpec


@dataclass(frozen=True)
class Evidence:
    """The published effect size a lever's model effect is checked against.

    Attributes:
        low: lower end of the range, in % of the lever's primary outcome (None: no
            comparable number).
        high: upper end, in % (None: no comparable number); equal to ``low`` for a
            single point estimate.
        measure: what the numbers measure, in which units and places, and how they
            compare with the lever (words).
        citations: the studies, one string each.
    """

    low: float | None = None
    high: float | None = None
    measure: str = "no comparable estimate"
    citations: tuple[str, ...] = ()

    def position(self, effect_pct: float) -> str:
        """Where a model effect (in %) sits: below, within, above or no comparable estimate."""
        if self.low is None or self.high is None or not np.isfinite(effect_pct):
            return "no comparable estimate"
        if effect_pct < self.low:
            return "below"
        if effect_pct > self.high:
            return "above"
        return "within"


@dataclass(frozen=True)
class LeverContext:
    """What a lever may read while it sets a year's policy.

    Attributes:
        region: the run's region.
        params: model parameters.
        state: the state at the end of the previous year.
    """

    region: Region
    params: Parameters
    state: State


class Lever(BaseModel):
    """Fields shared by all levers.

    Attributes:
        id: unique name of this lever within the scenario (letters, digits, _ and -).
        type: the lever type (see :data:`sim.model.levers.LEVER_TYPES`).
        description: what the lever stands for, with sources.
        targets: the counties it acts on (see :mod:`sim.model.selection`).
        start_year: first year it acts.
        end_year: last year it acts (inclusive); none means to the end of the run.
        ramp_years: years over which its intensity rises linearly to full
            (0: full from the start year).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: One-line statement of the mechanism, for ``docs/levers.md`` and tables.
    mechanism: ClassVar[str] = ""
    #: The reform area of the source text the lever stands for.
    source_area: ClassVar[str] = ""
    #: Output columns where its effect shows.
    shows_in: ClassVar[tuple[str, ...]] = ()
    #: The ``county_year`` column the mechanism moves first (the lever-effect table's
    #: outcome, docs/levers.md).
    primary_outcome: ClassVar[str] = "gdp_bn_yuan"
    #: The published effect size the model's effect is checked against.
    evidence: ClassVar[Evidence] = Evidence()
    #: Whether the data identify the channel: ``"identified: …"``, ``"prior-bound: …"``
    #: (rests on a literature prior or a fixed literature value) or
    #: ``"not identified: …"``; ``countysim check`` notes the last two.
    identification: ClassVar[str] = ""

    id: str = Field(pattern=r"^[A-Za-z0-9_\-]+$", max_length=64)
    type: str
    description: str = ""
    targets: TargetSpec
    start_year: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    end_year: int | None = Field(None, ge=FIRST_YEAR, le=LAST_YEAR)
    ramp_years: int = Field(0, ge=0, le=LAST_YEAR - FIRST_YEAR)

    @model_validator(mode="after")
    def _years_in_order(self) -> Lever:
        if self.end_year is not None and self.end_year < self.start_year:
            raise FieldError("end_year", f"{self.end_year} is before start_year "
                             f"{self.start_year}")
        return self

    def weight(self, year: int) -> float:
        """Share of full intensity in ``year``: 0 outside its years, ramping to 1."""
        if year < self.start_year or (self.end_year is not None and year > self.end_year):
            return 0.0
        if self.ramp_years == 0:
            return 1.0
        return min(1.0, (year - self.start_year + 1) / self.ramp_years)

    def target_fields(self) -> dict[str, TargetSpec]:
        """All county selections of this lever, by field name (resolved at load)."""
        return {"targets": self.targets}

    def network_changes(self, masks: dict[str, np.ndarray], region: Region
                        ) -> NetworkChanges:
        """Changes to the infrastructure network (only connectivity has any)."""
        return NetworkChanges()

    def apply(self, policy: Policy, masks: dict[str, np.ndarray], weight: float,
              ctx: LeverContext) -> None:
        """Add this lever's effect at ``weight`` (0–1] to ``policy``.

        Args:
            policy: the year's policy, modified in place.
            masks: resolved county masks for each of :meth:`target_fields`.
            weight: :meth:`weight` of the year.
            ctx: state and network of the year.
        """
        raise NotImplementedError


def share_of(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Split 1 among the masked counties in proportion to ``values`` (zero elsewhere)."""
    w = np.where(mask, np.maximum(values, 0.0), 0.0)
    total = w.sum()
    if total <= 0:
        w = mask.astype(float)
        total = w.sum()
    return w / total
