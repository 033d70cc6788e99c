"""Factors of a sensitivity analysis: model parameters and lever intensities, with ranges.

A factor is a parameter (``migration_rate``) or a numeric intensity of one of
the scenario's levers (``pilot_services.services_boost``, see
:mod:`sim.studies.batch.points`). Its range defaults to

* for a parameter, its documented *plausible* range, read from
  :meth:`sim.Parameters.specs` when the spec is loaded (so refined ranges
  from calibration apply without editing any spec);
* for a lever intensity, from the lever switched off to twice the scenario's
  intensity, clipped to the field's allowed range. "Off" is the field's lower
  bound (0 for boosts and shares, 1 for the innovation lever's multiplier),
  except for the connectivity lever's ``time_factor``, a travel-time
  multiplier that is off at its upper bound 1; its range is then
  [1 − 2·(1 − value), 1].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sim.base.errors import InputError
from sim.model.parameters import Parameters
from sim.model.scenario import Scenario
from sim.studies.batch import points
from sim.studies.batch.fields import check_fields

#: Fields of a ``[[factors]]`` entry.
FACTOR_FIELDS = ("parameter", "lever", "field", "range", "values")
#: Lever intensity fields whose "off" value is their upper bound (lever type, field).
OFF_AT_UPPER = {("connectivity", "time_factor")}


@dataclass(frozen=True)
class Factor:
    """One factor of a design.

    Attributes:
        name: parameter name or ``<lever id>.<field>``.
        lo: lower end of the range sampled.
        hi: upper end of the range sampled.
        unit: unit of the values.
        doc: what the factor means.
        value: its value in the scenario (the default, for reference lines).
        range_source: where the range comes from (for tables and the docs).
        values: explicit levels for a factorial design (None: evenly spaced levels).
    """

    name: str
    lo: float
    hi: float
    unit: str
    doc: str
    value: float
    range_source: str
    values: tuple[float, ...] | None = None

    @property
    def kind(self) -> str:
        """``parameter`` or ``lever``."""
        return "parameter" if points.split_factor(self.name) is None else "lever"


def make_factor(entry: Any, i: int, scenario: Scenario, where: str) -> Factor:
    """Validate one ``[[factors]]`` entry of a spec into a :class:`Factor`.

    Args:
        entry: ``{parameter = NAME}`` or ``{lever = ID, field = NAME}``, with an
            optional ``range = [lo, hi]`` and, for factorial designs, ``values``.
        i: its index, for messages.
        scenario: the scenario whose levers the factor may name.
        where: the spec file, for messages.

    Raises:
        InputError: naming ``factors[i].<field>`` and what is allowed.
    """
    at = f"factors[{i}]"
    if not isinstance(entry, dict):
        raise InputError(f"{at}: expected a table with parameter = NAME, or lever = ID and "
                         "field = NAME", source=where)
    check_fields(entry, FACTOR_FIELDS, f"{at}.", where)
    if "parameter" in entry and ("lever" in entry or "field" in entry):
        raise InputError(f"{at}: give parameter = NAME or lever = ID with field = NAME, not "
                         "both", source=where)
    if "parameter" in entry:
        name = _text(entry["parameter"], f"{at}.parameter", where)
    elif "lever" in entry:
        if "field" not in entry:
            raise InputError(f"{at}.field: required with lever; name one of the lever's "
                             "numeric intensity fields", source=where)
        name = (f"{_text(entry['lever'], f'{at}.lever', where)}."
                f"{_text(entry['field'], f'{at}.field', where)}")
    else:
        raise InputError(f"{at}: give parameter = NAME (docs/parameters.md) or lever = ID and "
                         "field = NAME (a lever of the scenario)", source=where)
    key = "parameter" if "parameter" in entry else "lever"
    try:
        points.check_factor(name, (scenario,), where, "")
    except InputError as err:
        raise InputError(f"{at}.{key}: {str(err).removeprefix(f'{where}: ')}",
                         source=where) from None
    bounds, unit, doc, value = describe(name, scenario)
    if "range" in entry:
        lo, hi = _range(entry["range"], name, bounds, unit, f"{at}.range", where)
        source = "given"
    else:
        (lo, hi), source = default_range(name, scenario, f"{at}.range", where)
    values = None
    if "values" in entry:
        values = _values(entry["values"], name, bounds, unit, f"{at}.values", where)
        lo, hi = min(values), max(values)
        source = "given"
    return Factor(name=name, lo=lo, hi=hi, unit=unit, doc=doc, value=value,
                  range_source=source, values=values)


def describe(name: str, scenario: Scenario) -> tuple[tuple[float, float], str, str, float]:
    """(allowed range, unit, meaning, value in the scenario) of a factor."""
    lever = points.split_factor(name)
    if lever is None:
        spec = Parameters.specs()[name]
        value = getattr(scenario.model_parameters(), name)
        return spec.bounds, spec.unit, spec.doc, float(value)
    lv = next(lv for lv in scenario.levers if lv.id == lever[0])
    field = points.intensity_fields(lv.type)[lever[1]]
    doc = f"{lever[1]} of the {lv.type} lever '{lv.id}'"
    return field.bounds, field.unit, doc, float(getattr(lv, lever[1]))


def default_range(name: str, scenario: Scenario, at: str, where: str
                  ) -> tuple[tuple[float, float], str]:
    """The default range of a factor and a phrase saying where it comes from.

    Raises:
        InputError: a lever at its "off" value, whose default range would be empty.
    """
    lever = points.split_factor(name)
    if lever is None:
        return Parameters.specs()[name].plausible, "plausible range"
    bounds, unit, _, value = describe(name, scenario)
    lv_type = next(lv.type for lv in scenario.levers if lv.id == lever[0])
    lo, hi = bounds
    if (lv_type, lever[1]) in OFF_AT_UPPER:
        off, far = hi, max(lo, hi - 2 * (hi - value))
    else:
        off, far = lo, min(hi, lo + 2 * (value - lo))
    if far == off:
        raise InputError(f"{at}: {name} is {value:g} in the scenario, the value at which the "
                         f"lever is off, so its default range (off to twice the scenario's "
                         f"intensity) is empty; give range = [lo, hi] within [{lo:g}, "
                         f"{hi:g}] ({unit})", source=where)
    return (min(off, far), max(off, far)), "lever off to 2× the scenario's intensity"


def problem(factors: Sequence[Factor]) -> dict[str, Any]:
    """The SALib problem of a list of factors (names and bounds)."""
    return {"num_vars": len(factors), "names": [f.name for f in factors],
            "bounds": [[f.lo, f.hi] for f in factors]}


def _text(value: Any, at: str, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise InputError(f"{at}: expected a name, got {value!r}", source=where)
    return value


def _number(value: Any, at: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InputError(f"{at}: {value!r} is not a finite number", source=where)
    return float(value)


def _check_inside(v: float, name: str, bounds: tuple[float, float], unit: str, at: str,
                  where: str) -> None:
    lo, hi = bounds
    if not lo <= v <= hi:
        raise InputError(f"{at}: {v:g} is outside the allowed range [{lo:g}, {hi:g}] ({unit}) "
                         f"of {name}", source=where)


def _range(value: Any, name: str, bounds: tuple[float, float], unit: str, at: str,
           where: str) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise InputError(f"{at}: expected [lo, hi], two numbers, got {value!r}", source=where)
    lo, hi = (_number(v, at, where) for v in value)
    if not lo < hi:
        raise InputError(f"{at}: need lo < hi, got [{lo:g}, {hi:g}]", source=where)
    for v in (lo, hi):
        _check_inside(v, name, bounds, unit, at, where)
    return lo, hi


def _values(value: Any, name: str, bounds: tuple[float, float], unit: str, at: str,
            where: str) -> tuple[float, ...]:
    if not isinstance(value, list | tuple) or len(value) < 2:
        raise InputError(f"{at}: expected a list of at least two numbers, got {value!r}",
                         source=where)
    out = tuple(_number(v, at, where) for v in value)
    if len(set(out)) < len(out):
        raise InputError(f"{at}: repeated values {list(out)}; each value once", source=where)
    for v in out:
        _check_inside(v, name, bounds, unit, at, where)
    return out
