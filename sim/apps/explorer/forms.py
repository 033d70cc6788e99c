"""The explorer's lever editor without the interface: fields, forms and target text.

:func:`lever_fields` lists a lever type's editable fields with their units, ranges
and kinds (read from the lever classes); :func:`lever_dict` builds a scenario-file
lever entry from form values; :func:`parse_targets` and :func:`targets_text` turn
the ``targets`` text box into a selection and back, in the forms scenario files use.
"""

from __future__ import annotations

import json
import re
import tomllib
import typing
from dataclasses import dataclass
from typing import Any

from sim.base.errors import InputError
from sim.model.levers import LEVER_TYPES
from sim.model.levers.base import Lever
from sim.model.reference import attribute_docs, field_limits
from sim.model.scenario import Scenario
from sim.model.selection import KEYWORDS, TargetSpec

#: Fields every lever has; the editor shows them above the lever's own fields.
COMMON_FIELDS = tuple(Lever.model_fields)


@dataclass(frozen=True)
class LeverField:
    """An editable field of a lever type.

    Attributes:
        name: the field name in scenario files.
        kind: ``number`` (float), ``year`` (optional whole year), ``flag`` (bool),
            ``targets`` (an optional county selection, e.g. ``sellers``),
            ``lines`` (rail lines to open) or ``other`` (kept as it is; edit the
            exported TOML to change it).
        default: the default value (None if it has none).
        unit: unit of the value.
        low: smallest allowed value (numbers and years).
        high: largest allowed value.
        doc: what the field means (from the lever's docstring).
    """

    name: str
    kind: str
    default: Any
    unit: str
    low: float | None
    high: float | None
    doc: str

    @property
    def label(self) -> str:
        """Name, unit and allowed range, e.g. ``tfp_boost (1/year, 0–0.05)``."""
        parts = [self.unit] if self.unit else []
        if self.low is not None and self.high is not None:
            parts.append(f"{_number(self.low)}–{_number(self.high)}")
        return f"{self.name} ({', '.join(parts)})" if parts else self.name


def _number(value: float) -> str:
    """``0.05``, ``2035``, ``5,000,000``: whole numbers in full, others short."""
    return f"{int(value):,}" if float(value).is_integer() and abs(value) >= 1e4 else (
        f"{value:g}")


def lever_fields(lever_type: str) -> list[LeverField]:
    """The fields of a lever type besides the common ones (id, targets, years), in order.

    Raises:
        InputError: unknown lever type.
    """
    cls = lever_class(lever_type)
    docs = attribute_docs(cls)
    out = []
    for name, f in cls.model_fields.items():
        if name in COMMON_FIELDS:
            continue
        limits = field_limits(f)
        args = set(typing.get_args(f.annotation)) or {f.annotation}
        if f.annotation is float:
            kind = "number"
        elif f.annotation is bool:
            kind = "flag"
        elif args <= {int, type(None)}:
            kind = "year"
        elif TargetSpec in args:
            kind = "targets"
        elif name == "open_lines":
            kind = "lines"
        else:
            kind = "other"
        default = None if f.is_required() else f.default
        if isinstance(default, TargetSpec):
            default = targets_text(default.model_dump(mode="json", exclude_defaults=True))
        out.append(LeverField(name=name, kind=kind, default=default,
                              unit=f.description or "", low=limits.get("ge", limits.get("gt")),
                              high=limits.get("le", limits.get("lt")),
                              doc=docs.get(name, "")))
    return out


def lever_class(lever_type: str) -> type[Lever]:
    """The class of a lever type (raises InputError naming the allowed types)."""
    if lever_type not in LEVER_TYPES:
        raise InputError(f"unknown lever type '{lever_type}'; allowed: "
                         + ", ".join(LEVER_TYPES))
    return LEVER_TYPES[lever_type]


_SEPARATORS = re.compile(r"[,;，、；\n]+")


def parse_targets(text: str | None, field: str = "targets") -> Any:
    """Read a county selection typed in the editor, in the forms of scenario files.

    ``pilots`` (or ``all``, ``ccec``, ``border``); counties by name or code
    separated by commas; or a TOML inline table such as
    ``{ prefectures = ["Suining"], exclude = ["船山区"] }``. Empty text gives None.
    Names are checked when the scenario is built, not here.

    Raises:
        InputError: a malformed table or list.
    """
    text = (text or "").strip()
    if not text:
        return None
    if text in KEYWORDS:
        return text
    if text[0] in "{[":
        try:
            return tomllib.loads(f"value = {text}")["value"]
        except tomllib.TOMLDecodeError as err:
            raise InputError(f"{field}: not a TOML table or list ({err}); e.g. "
                             '{ prefectures = ["Suining"] }') from None
    items = [item.strip() for item in _SEPARATORS.split(text) if item.strip()]
    return [int(item) if item.isdigit() else item for item in items]


def targets_text(value: Any) -> str:
    """The editor text of a county selection (the inverse of :func:`parse_targets`)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        keys = [k for k, v in value.items() if v not in (False, None, (), [])]
        if len(keys) == 1 and keys[0] in KEYWORDS:
            return keys[0]
        if keys == ["counties"]:
            return targets_text(value["counties"])
        return "{ " + ", ".join(f"{k} = {_toml_value(value[k])}" for k in keys) + " }"
    return str(value)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def lever_dict(lever_type: str, *, targets: str | None, start_year: int,
               end_year: int | None = None, ramp_years: int = 0, lever_id: str = "",
               values: dict[str, Any] | None = None,
               previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """A ``[[levers]]`` entry from the editor's fields.

    Args:
        lever_type: one of :data:`sim.model.levers.LEVER_TYPES`.
        targets: the county selection as text (see :func:`parse_targets`).
        start_year: first year the lever acts.
        end_year: last year (None: to the end of the run).
        ramp_years: years to reach full intensity.
        lever_id: its id (empty: chosen by the session).
        values: the lever's own fields by name (None: the default); ``targets``
            fields as text, ``lines`` as a list of line names.
        previous: the entry being edited; fields the editor does not show
            (``description``, connectivity ``links`` …) are kept from it.

    Raises:
        InputError: unknown type, or a targets text that cannot be read.
    """
    fields = {f.name: f for f in lever_fields(lever_type)}
    entry: dict[str, Any] = {}
    if previous and previous.get("type") == lever_type:
        entry.update({k: v for k, v in previous.items()
                      if k == "description" or (k in fields and fields[k].kind == "other")})
    entry.update(type=lever_type, start_year=int(start_year), ramp_years=int(ramp_years or 0))
    if lever_id.strip():
        entry["id"] = lever_id.strip()
    if end_year is not None:
        entry["end_year"] = int(end_year)
    parsed = parse_targets(targets)
    if parsed is not None:
        entry["targets"] = parsed
    old_years = {o["line"]: o.get("year") for o in (previous or {}).get("open_lines", [])}
    for name, value in (values or {}).items():
        if name not in fields:
            raise InputError(f"{lever_type} has no field '{name}'; fields: "
                             + ", ".join(fields))
        kind = fields[name].kind
        if kind == "targets":
            value = parse_targets(value, name)
        elif kind == "lines":
            value = [{"line": line, **({"year": old_years[line]} if old_years.get(line)
                                       else {})} for line in value or []]
        if value is None or value == []:
            continue
        entry[name] = value
    return entry


def blank_lever_form(lever_type: str, scenario: Scenario) -> dict[str, Any]:
    """Editor fields for a new lever: the pilots, from the run's second year, defaults."""
    return {"type": lever_type, "id": "", "targets": "pilots",
            "start_year": min(scenario.start_year + 1, scenario.end_year), "end_year": None,
            "ramp_years": 0, "values": {}}


def lever_form(entry: dict[str, Any]) -> dict[str, Any]:
    """Editor fields of a ``[[levers]]`` entry (the inverse of :func:`lever_from_form`)."""
    values: dict[str, Any] = {}
    for f in lever_fields(entry["type"]):
        if f.name not in entry:
            continue
        if f.kind == "targets":
            values[f.name] = targets_text(entry[f.name])
        elif f.kind == "lines":
            values[f.name] = [o["line"] for o in entry[f.name]]
        elif f.kind != "other":
            values[f.name] = entry[f.name]
    return {"type": entry["type"], "id": entry["id"],
            "targets": targets_text(entry.get("targets")),
            "start_year": entry["start_year"], "end_year": entry.get("end_year"),
            "ramp_years": entry.get("ramp_years", 0), "values": values}


def lever_from_form(form: dict[str, Any], previous: dict[str, Any] | None = None
                    ) -> dict[str, Any]:
    """The ``[[levers]]`` entry of editor fields (see :func:`lever_dict`)."""
    return lever_dict(form["type"], targets=form["targets"], start_year=form["start_year"],
                      end_year=form["end_year"], ramp_years=form["ramp_years"] or 0,
                      lever_id=form["id"] or "", values=form["values"], previous=previous)
