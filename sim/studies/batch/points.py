"""Explicit design points: parameter values and lever intensities per run.

A sweep is the full factorial of a few values per parameter. Sampling designs
(Latin hypercubes, Saltelli, Morris) instead list their points one by one, and
may vary the intensity of a scenario's levers as well as model parameters. A
point is a mapping of *factor* to value, where a factor is either

* a parameter name (``migration_rate``), an override on top of the scenario's
  own parameters, or
* ``<lever id>.<field>`` (``pilot_services.services_boost``): a numeric
  intensity field of the scenario's lever with that id.

A lever factor applies to the scenarios that have a lever with that id; in the
others it does not exist, and its column holds NaN.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import ValidationError

from sim.base.errors import InputError
from sim.model.levers import LEVER_TYPES
from sim.model.levers.base import Lever
from sim.model.parameters import PARAMETER_LIST_HINT, Parameters, check_parameter_name
from sim.model.scenario import Scenario


@dataclass(frozen=True)
class IntensityField:
    """A numeric intensity field of a lever type.

    Attributes:
        name: the field name.
        default: the lever type's default value.
        bounds: the allowed range (inclusive ends; an exclusive end is kept as is).
        unit: the unit from the field's description.
    """

    name: str
    default: float
    bounds: tuple[float, float]
    unit: str


@cache
def intensity_fields(lever_type: str) -> dict[str, IntensityField]:
    """The numeric (float) fields of a lever type beyond those every lever has."""
    cls = LEVER_TYPES[lever_type]
    hints = typing.get_type_hints(cls)
    out = {}
    for name, info in cls.model_fields.items():
        if name in Lever.model_fields or hints.get(name) is not float:
            continue
        lo, hi = -math.inf, math.inf
        for m in info.metadata:
            lo = float(getattr(m, "ge", getattr(m, "gt", lo)))
            hi = float(getattr(m, "le", getattr(m, "lt", hi)))
        out[name] = IntensityField(name=name, default=float(info.default), bounds=(lo, hi),
                                   unit=info.description or "")
    return out


def split_factor(name: str) -> tuple[str, str] | None:
    """``(lever id, field)`` of a lever factor, or None for a parameter name."""
    if "." not in name:
        return None
    lever_id, _, field_name = name.partition(".")
    return lever_id, field_name


def check_parameter(name: str, where: str, prefix: str, *, levers: bool = False) -> None:
    """Check that a name is a model parameter.

    Args:
        name: the name.
        where: the file, for messages.
        prefix: the field path before the name, e.g. ``sweep.``.
        levers: whether a lever intensity would also be allowed here (for the hint
            given when no parameter has a similar name).

    Raises:
        InputError: unknown parameter, with the closest parameter name if any.
    """
    otherwise = ("name a parameter (docs/parameters.md) or a lever intensity as "
                 "'<lever id>.<field>'") if levers else PARAMETER_LIST_HINT
    check_parameter_name(name, f"{prefix}{name}", source=where, otherwise=otherwise)


def check_factor(name: str, scenarios: tuple[Scenario, ...], where: str, prefix: str) -> None:
    """Check that a factor names a parameter or a lever intensity of some scenario.

    Args:
        name: the factor.
        scenarios: the batch's scenarios.
        where: the file, for messages.
        prefix: the field path before the name, e.g. ``design[0].``.

    Raises:
        InputError: unknown parameter, lever id or intensity field.
    """
    lever = split_factor(name)
    if lever is None:
        check_parameter(name, where, prefix, levers=True)
        return
    lever_id, field_name = lever
    levers = {lv.id: lv for s in scenarios for lv in s.levers}
    if lever_id not in levers:
        known = ", ".join(sorted(levers)) or "none (the scenarios have no levers)"
        raise InputError(f"{prefix}{name}: no scenario has a lever with id '{lever_id}'; "
                         f"lever ids: {known}", source=where)
    fields = intensity_fields(levers[lever_id].type)
    if field_name not in fields:
        raise InputError(f"{prefix}{name}: '{field_name}' is not a numeric intensity of the "
                         f"{levers[lever_id].type} lever '{lever_id}'; allowed: "
                         f"{', '.join(fields) or 'none'}", source=where)


def check_value(name: str, value: Any, scenarios: tuple[Scenario, ...], where: str,
                prefix: str) -> float:
    """Check one value of a factor against its allowed range; return it as a float."""
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise InputError(f"{prefix}{name}: {value!r} is not a number", source=where)
    lever = split_factor(name)
    if lever is None:
        spec = Parameters.specs()[name]
        lo, hi = spec.bounds
        unit = spec.unit
    else:
        lever_type = next(lv.type for s in scenarios for lv in s.levers if lv.id == lever[0])
        f = intensity_fields(lever_type)[lever[1]]
        lo, hi = f.bounds
        unit = f.unit
    if not lo <= value <= hi:
        raise InputError(f"{prefix}{name}: {value:g} is outside the allowed range [{lo:g}, "
                         f"{hi:g}] ({unit}) of {name}", source=where)
    return float(value)


def split_point(point: Mapping[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """Split a point into (parameter overrides, lever settings)."""
    params, levers = {}, {}
    for name, value in point.items():
        (params if split_factor(name) is None else levers)[name] = value
    return params, levers


def apply_levers(scenario: Scenario, settings: Mapping[str, float]) -> Scenario:
    """The scenario with some lever intensities changed (settings of absent levers ignored).

    Args:
        scenario: the scenario.
        settings: ``<lever id>.<field>`` → value.

    Returns:
        A scenario with the same name whose levers carry the new values (the
        scenario itself when nothing applies).

    Raises:
        InputError: a value the lever does not allow.
    """
    by_lever: dict[str, dict[str, float]] = {}
    for name, value in settings.items():
        lever_id, field_name = split_factor(name) or ("", "")
        by_lever.setdefault(lever_id, {})[field_name] = value
    if not any(lv.id in by_lever for lv in scenario.levers):
        return scenario
    levers = []
    for lv in scenario.levers:
        changes = by_lever.get(lv.id)
        if changes:
            try:
                lv = type(lv).model_validate({**lv.model_dump(), **changes})
            except ValidationError as err:
                first = err.errors()[0]
                raise InputError(f"lever '{lv.id}': {first['msg']} ({changes})",
                                 source=scenario.source) from None
        levers.append(lv)
    # Only lever intensities change, each validated by its lever: the scenario's own
    # checks (ids, years, targets) still hold.
    return scenario.model_copy(update={"levers": tuple(levers)})


def applies(name: str, scenario: Scenario) -> bool:
    """Whether a factor exists in a scenario (parameters always do)."""
    lever = split_factor(name)
    return lever is None or any(lv.id == lever[0] for lv in scenario.levers)
