"""Fields of batch and sensitivity files: sweep values and the checks of their types.

A sweep value is a list of numbers or ``"lo:hi:n"`` (n evenly spaced values); the
check helpers raise :class:`~sim.base.errors.InputError` naming the file and field.
"""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sim.base.errors import InputError
from sim.base.names import NAME_RULE, is_safe_name
from sim.studies.batch import points

#: Runs a batch may plan at most (checked before any run or sweep value is listed).
MAX_RUNS = 1_000_000

_RANGE_HELP = ("write 'lo:hi:n' (n evenly spaced values from lo to hi, n a whole number "
               "≥ 2, e.g. '0.02:0.1:5') or a list of numbers")


def sweep_values(name: str, values: Any, where: str = "<batch>") -> tuple[float, ...]:
    """Validate one sweep entry: a list of numbers or a ``"lo:hi:n"`` range.

    Args:
        name: the parameter swept.
        values: a list of numbers or a ``"lo:hi:n"`` string (n values from lo to hi,
            both included).
        where: the batch file, for messages.

    Returns:
        The values, each checked against the parameter's allowed range.

    Raises:
        InputError: unknown parameter, malformed range, empty or repeated values, or
            a value outside the parameter's allowed range.
    """
    field_name = f"sweep.{name}"
    points.check_parameter(name, where, "sweep.")
    if isinstance(values, str):
        out = parse_range(values, field_name, where)
    elif isinstance(values, Sequence):
        if not values:
            raise InputError(f"{field_name}: empty list; {_RANGE_HELP}", source=where)
        for v in values:
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise InputError(f"{field_name}: {v!r} is not a number; {_RANGE_HELP}",
                                 source=where)
        out = tuple(float(v) for v in values)
    else:
        raise InputError(f"{field_name}: got {values!r}; {_RANGE_HELP}", source=where)
    if len(set(out)) < len(out):
        raise InputError(f"{field_name}: repeated values {list(out)}; each value once",
                         source=where)
    return tuple(points.check_value(name, v, (), where, "sweep.") for v in out)


def parse_range(text: str, field_name: str, where: str) -> tuple[float, ...]:
    """The values of ``"lo:hi:n"``, or InputError naming ``field_name`` in ``where``."""
    parts = text.split(":")
    try:
        if len(parts) != 3:
            raise ValueError
        lo, hi = float(parts[0]), float(parts[1])
        n = int(parts[2])
    except ValueError:
        raise InputError(f"{field_name}: bad range '{text}'; {_RANGE_HELP}",
                         source=where) from None
    if n < 2 or not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        raise InputError(f"{field_name}: bad range '{text}': need lo < hi and n ≥ 2; "
                         f"{_RANGE_HELP}", source=where)
    if n > MAX_RUNS:
        raise InputError(f"{field_name}: bad range '{text}': {n:,} values, more than a batch "
                         f"may run ({MAX_RUNS:,} runs)", source=where)
    return evenly_spaced(lo, hi, n)


def evenly_spaced(lo: float, hi: float, n: int) -> tuple[float, ...]:
    """``n`` evenly spaced values from ``lo`` to ``hi``, both included, as a sweep's ``lo:hi:n``.

    Rounded to 12 significant digits: 0.02 to 0.1 in 5 gives 0.04, not 0.04000000000000001.
    """
    return tuple(float(f"{v:.12g}") for v in np.linspace(lo, hi, n))


def full_factorial(values: Mapping[str, Sequence[float]]) -> list[dict[str, float]]:
    """Every combination of the values of each name, the last name varying fastest.

    ``[{}]`` for no names. The order of a sweep's points and of factorial designs.
    """
    names = list(values)
    return [dict(zip(names, combo, strict=True))
            for combo in itertools.product(*(values[n] for n in names))]


def check_fields(data: Mapping[str, Any], allowed: Sequence[str], prefix: str,
                 where: str) -> None:
    """Raise InputError for a key of ``data`` not in ``allowed`` (suggesting the closest)."""
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(key, list(allowed), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise InputError(f"{prefix}{key}: unknown field; {hint}allowed here: "
                             f"{', '.join(allowed)}", source=where)


def as_sequence(value: Any, field_name: str, where: str) -> Sequence[Any]:
    """``value`` if it is a list (not text), else InputError naming the field."""
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise InputError(f"{field_name}: expected a list, got {value!r}", source=where)
    return value


def check_type(value: Any, kind: type, field_name: str, allowed: str, where: str) -> None:
    """Raise InputError unless ``value`` is a ``kind`` (a bool is not a number)."""
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise InputError(f"{field_name}: expected {allowed}, got {value!r}", source=where)


def check_whole(value: Any, field_name: str, lo: int, hi: int, where: str) -> None:
    """Raise InputError unless ``value`` is a whole number from ``lo`` to ``hi``."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise InputError(f"{field_name}: expected a whole number from {lo} to {hi}, got "
                         f"{value!r}", source=where)


def check_name(name: Any, where: str) -> None:
    """Raise InputError unless ``name`` is a safe folder name (``results/<name>``)."""
    check_type(name, str, "name", "a text", where)
    if not is_safe_name(name):
        raise InputError(f"name: {name!r} is not allowed; {NAME_RULE}", source=where)
