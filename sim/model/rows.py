"""A county's row, for its Mesa agent: its county-year columns and its policy of the year.

:class:`~sim.model.shell.CountyAgent` gets one attribute per ``county_year`` column of
:mod:`sim.model.schema` (the run's ids aside), made here, so a column added to the schema
and the recorder is an agent attribute too. A column kept in the state
(:data:`~sim.model.recorder.COLUMNS_FROM_STATE`) reads the current state, so a write shows
at once; any other column reads the county's row of the last recorded year, as
``county_year`` holds it. The stocks in :data:`WRITABLE` can be set (the next simulated
year starts from them; recorded rows are history and do not change).

:class:`PolicyRow` is one county's row of the year's :class:`~sim.model.core.state.Policy`,
which a county agent's ``step`` may change before the vectorised year (docs/mesa.md).
"""

from __future__ import annotations

import difflib
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.base.errors import InputError
from sim.model.core.state import Policy
from sim.model.recorder import COLUMNS_FROM_STATE
from sim.model.schema import COUNTY_YEAR, ID_COLUMNS

if TYPE_CHECKING:
    from sim.model.shell import CountyAgent, CountyModel

#: The columns of a county's row: ``county_year`` without the run's ids.
ROW_COLUMNS = tuple(c.name for c in COUNTY_YEAR.columns if c.name not in ID_COLUMNS)
#: Columns an agent may set: stocks the next year starts from (finite, ≥ 0).
WRITABLE = ("urban_population", "rural_population", "capital_bn_yuan", "tfp", "land_km2")


def row_value(agent: CountyAgent, name: str) -> Any:
    """The county's value of a ``county_year`` column in the model's current year.

    A column kept in the state is read from the state; the others from the last
    recorded row (the values ``county_year`` holds). Also a Mesa agent reporter:
    ``functools.partial(row_value, name="gdp_bn_yuan")``.
    """
    model, i = agent.model, agent.index
    attr = COLUMNS_FROM_STATE.get(name)
    if attr is not None:
        return float(getattr(model.state, attr)[i])
    recorder = model.recorder
    t = recorder.row - 1
    k = model.region_row(i)  # the tables hold the region's counties only
    buffer = recorder.buffers.get(name)
    if buffer is not None:
        return float(buffer[t, k])
    return python_value(model.recorded_columns("county_year")[name][t * model.region.n + k])


def python_value(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (what Mesa's collectors store)."""
    return value.item() if isinstance(value, np.generic) else value


def set_stock(agent: CountyAgent, name: str, value: float) -> None:
    """Set one of the :data:`WRITABLE` stocks of a county (checked: finite, ≥ 0)."""
    if name not in WRITABLE:
        raise AttributeError(f"{name} is an output of the model and cannot be set; "
                             f"settable: {', '.join(WRITABLE)}")
    if isinstance(value, bool) or not isinstance(value, int | float | np.number) or not (
            math.isfinite(value) and value >= 0):
        raise InputError(f"{name} of {agent.name_en} must be a finite number ≥ 0, "
                         f"got {value!r}")
    state, i = agent.model.state, agent.index
    if name in ("urban_population", "rural_population"):
        # Residents are also held by sex and age and by registration: a new total
        # scales them alike.
        old = state.urban[i] + state.rural[i]
        new = float(value) + (state.rural[i] if name == "urban_population" else state.urban[i])
        factor = new / old if old > 0 else 0.0
        state.ages[i] *= factor
        for stock in ("registered_other_county", "registered_other_province"):
            getattr(state, stock)[i] *= factor
    getattr(state, COLUMNS_FROM_STATE[name])[i] = float(value)


class RowColumn:
    """A county agent's attribute for one ``county_year`` column (see the module)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.__doc__ = next(c.doc for c in COUNTY_YEAR.columns if c.name == name) + (
            " (settable)" if name in WRITABLE else "")

    def __get__(self, agent: CountyAgent | None, owner: type | None = None) -> Any:
        if agent is None:
            return self
        return row_value(agent, self.name)

    def __set__(self, agent: CountyAgent, value: Any) -> None:
        set_stock(agent, self.name, value)


def add_row_columns(cls: type, skip: tuple[str, ...]) -> None:
    """Give an agent class one :class:`RowColumn` per row column it does not define."""
    for name in ROW_COLUMNS:
        if name not in skip and not hasattr(cls, name):
            setattr(cls, name, RowColumn(name))


#: Per-county fields of a Policy (its arrays; ``sharing`` is not per county).
POLICY_FIELDS = tuple(name for name, value in vars(Policy(1)).items()
                      if isinstance(value, np.ndarray))


class PolicyRow:
    """One county's row of the policy of the year being simulated.

    Attributes are the per-county fields of :class:`~sim.model.core.state.Policy`
    (``tfp_boost``, ``services_boost``, ``hukou_bonus``, …, with the levers' effects
    already in them): read and change them in a county agent's ``step``, which the model
    calls before each simulated year. A row kept after that step cannot be changed.

    Attributes:
        year: the year the policy applies to (the model's year + 1).
    """

    __slots__ = ("_index", "_model", "_policy", "year")

    def __init__(self, model: CountyModel, index: int) -> None:
        if model.deciding is None:
            raise RuntimeError("a county's policy exists only in its step(), which the model "
                               "calls before each simulated year")
        policy, year = model.deciding
        for name, value in (("_model", model), ("_index", index), ("_policy", policy),
                            ("year", year)):
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> float:
        _check_policy_field(name)
        return float(getattr(self._policy, name)[self._index])

    def __setattr__(self, name: str, value: float) -> None:
        _check_policy_field(name)
        deciding = self._model.deciding
        if deciding is None or deciding[0] is not self._policy:
            raise RuntimeError(f"the policy of {self.year} was used when the year was "
                               "simulated; change a county's policy in its step()")
        if isinstance(value, bool) or not isinstance(value, int | float | np.number) or (
                not math.isfinite(value)):
            raise InputError(f"policy.{name} must be a finite number, got {value!r}")
        getattr(self._policy, name)[self._index] = float(value)

    def __dir__(self) -> list[str]:
        return ["year", *POLICY_FIELDS]

    def as_dict(self) -> dict[str, float]:
        """The county's policy values, by field."""
        return {name: getattr(self, name) for name in POLICY_FIELDS}


def _check_policy_field(name: str) -> None:
    if name not in POLICY_FIELDS:
        close = difflib.get_close_matches(name, POLICY_FIELDS, n=1)
        hint = f"did you mean '{close[0]}'?" if close else "allowed: " + ", ".join(
            POLICY_FIELDS)
        raise AttributeError(f"policy has no field '{name}'; {hint}")
