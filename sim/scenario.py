"""Scenario files: TOML validated at load into frozen, typed objects.

A scenario names a region, the years to simulate, parameter overrides and the
reform levers to apply. ``extends = "baseline.toml"`` inherits a parent file:
top-level fields are overridden, ``[parameters]`` are merged, and the child's
levers are added after the parent's (a child lever with the id of a parent
lever replaces it). Paths in ``extends`` are relative to the file.

Every problem is reported as an :class:`~sim.errors.InputError` naming the
file, the field path, the bad value and what is allowed.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.errors import FieldError, InputError
from sim.levers import LEVER_TYPES, AnyLever
from sim.parameters import Parameters, default_parameters
from sim.region import FIRST_YEAR, LAST_YEAR
from sim.tomlfile import read_toml

SCHEMA_VERSION = 1


class Scenario(BaseModel):
    """A validated scenario.

    Attributes:
        schema_version: version of the file format (currently 1).
        name: short identifier, used in result tables.
        description: the policy story, with sources for facts.
        region: ``ccec`` or ``sichuan_chongqing``.
        start_year: first year of the output (its row is the initial state).
        end_year: last simulated year (inclusive).
        seed: root seed of the run (replicate k uses a child of it).
        replicates: number of stochastic replicates a batch runs.
        parameters: overrides of :class:`~sim.parameters.Parameters`.
        levers: reform levers, applied in order.
        source: the file the scenario came from (not part of its identity).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = SCHEMA_VERSION
    name: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_\-\.]+$")
    description: str = ""
    region: Literal["ccec", "sichuan_chongqing"] = "ccec"
    start_year: int = Field(2020, ge=FIRST_YEAR, le=LAST_YEAR)
    end_year: int = Field(2025, ge=FIRST_YEAR, le=LAST_YEAR)
    seed: int = Field(0, ge=0, lt=2**63)
    replicates: int = Field(1, ge=1, le=100_000)
    parameters: dict[str, float] = Field(default_factory=dict)
    levers: tuple[AnyLever, ...] = ()
    source: str | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        if self.end_year <= self.start_year:
            raise FieldError("end_year", f"{self.end_year} must be after start_year "
                              f"{self.start_year}")
        seen: set[str] = set()
        for i, lever in enumerate(self.levers):
            if lever.id in seen:
                raise FieldError(f"levers[{i}].id", f"duplicate lever id '{lever.id}'; "
                                  "each lever needs its own id")
            seen.add(lever.id)
            if not self.start_year <= lever.start_year <= self.end_year:
                raise FieldError(
                    f"levers[{i}].start_year",
                    f"{lever.start_year} is outside the run ({self.start_year}–"
                    f"{self.end_year})")
        unknown = sorted(set(self.parameters) - set(Parameters.specs()))
        if unknown:
            close = difflib.get_close_matches(unknown[0], list(Parameters.specs()), n=1)
            hint = f"; did you mean '{close[0]}'?" if close else (
                "; see docs/parameters.md for the list")
            raise FieldError(f"parameters.{unknown[0]}", f"unknown parameter{hint}")
        defaults = default_parameters()
        for name, value in self.parameters.items():
            try:
                defaults.replace(**{name: value})
            except InputError as err:
                raise FieldError(f"parameters.{name}", str(err)) from None
        return self

    def model_parameters(self) -> Parameters:
        """The full parameter set: package defaults with this scenario's overrides."""
        return default_parameters().replace(**self.parameters)

    def canonical(self) -> dict[str, Any]:
        """The scenario as plain data (what defines it; ``source`` excluded)."""
        return self.model_dump(mode="json")

    def digest(self) -> str:
        """A short hash of :meth:`canonical`, stable across machines."""
        text = json.dumps(self.canonical(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_toml(self) -> str:
        """The scenario as a self-contained TOML file (no ``extends``).

        Loading the text gives back an equal scenario (same :meth:`digest`).
        """
        data = _drop_none(self.model_dump(mode="json", exclude_defaults=True))
        head = {"schema_version": self.schema_version, "name": self.name,
                "description": data.pop("description", ""), "region": self.region,
                "start_year": self.start_year, "end_year": self.end_year}
        for key in head:
            data.pop(key, None)
        body = tomli_w.dumps({**head, **data}, multiline_strings=True)
        return "# Exported by countysim; read it with sim.load_scenario.\n" + body

    def with_changes(self, **changes: Any) -> Scenario:
        """Return a validated copy with some fields changed (e.g. ``end_year=2035``)."""
        data = self.model_dump(mode="python", exclude={"source"})
        data.update(changes)
        return build_scenario(data, source=self.source)


def _drop_none(value: Any) -> Any:
    """TOML has no null: leave out unset optional fields."""
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_drop_none(v) for v in value]
    return value


def build_scenario(data: dict[str, Any], source: str | None = None) -> Scenario:
    """Validate plain data (as read from TOML) into a :class:`Scenario`.

    Also resolves every lever's targets against the region, so unknown county
    names and empty selections are caught here rather than in a run.
    """
    label = source or "<scenario>"
    try:
        scenario = Scenario.model_validate({**data, "source": source})
    except ValidationError as err:
        raise InputError(_one_line(err, data), source=label) from None
    check_targets(scenario, label)
    return scenario


def check_targets(scenario: Scenario, label: str) -> None:
    """Resolve every lever's county selections, raising InputError on problems."""
    if not scenario.levers:
        return
    from sim.model import resolve_lever_masks  # the model owns the network

    resolve_lever_masks(scenario, label=label)


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge (``extends``) and validate a scenario file.

    Raises:
        InputError: missing file, malformed TOML, an ``extends`` cycle or
            missing parent, or any invalid field.
    """
    path = Path(path)
    data = _read_with_parents(path, chain=())
    return build_scenario(data, source=str(path))


def _read_with_parents(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    """Read ``path`` merged onto its ``extends`` ancestors.

    ``chain`` holds the files already being read; the first is the one the user named.
    """
    if path.resolve() in {p.resolve() for p in chain}:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise InputError(f"extends: cycle {cycle}", source=str(chain[0]))
    data = read_toml(path, "scenario file")
    parent_ref = data.pop("extends", None)
    if parent_ref is None:
        return data
    if not isinstance(parent_ref, str):
        raise InputError(f"extends: expected a file name, got {parent_ref!r}", source=str(path))
    parent_path = path.parent / parent_ref
    if not parent_path.is_file():
        raise InputError(f"extends: parent scenario '{parent_ref}' not found (looked for "
                         f"{parent_path})", source=str(path))
    return _merge(_read_with_parents(parent_path, (*chain, path)), data)


def _merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    merged = {**parent, **child}
    merged["parameters"] = {**parent.get("parameters", {}), **child.get("parameters", {})}
    # A child lever replaces the parent's lever of the same id; duplicates within
    # one file are left for validation to report.
    child_levers = child.get("levers", [])
    child_ids = {lever.get("id") for lever in child_levers if isinstance(lever, dict)}
    inherited = [lever for lever in parent.get("levers", []) if lever.get("id") not in child_ids]
    merged["levers"] = inherited + list(child_levers)
    if "description" not in child:
        merged["description"] = parent.get("description", "")
    return merged


def _one_line(err: ValidationError, data: dict[str, Any]) -> str:
    """Turn pydantic's first error into 'field: problem (got value)'."""
    first = err.errors()[0]
    loc = list(first["loc"])
    # Drop pydantic's union/tag markers (e.g. the lever type) from the path.
    if len(loc) >= 3 and loc[0] == "levers" and isinstance(loc[1], int):
        loc = [loc[0], loc[1], *loc[3:]]
    field = _path(loc)
    kind = first["type"]
    ctx_err = (first.get("ctx") or {}).get("error")
    if isinstance(ctx_err, FieldError):
        # Relative to the model that raised it (the scenario, or one lever).
        return f"{_path([*loc, ctx_err.field])}: {ctx_err.message}"
    if kind == "value_error":
        return f"{field}: {ctx_err or first['msg'].removeprefix('Value error, ')}"
    if kind == "extra_forbidden":
        return f"{field}: unknown field; allowed here: {', '.join(_allowed(loc, data))}"
    if kind == "union_tag_invalid":
        return (f"{field}.type: unknown lever type {first['input'].get('type')!r}; allowed: "
                + ", ".join(LEVER_TYPES))
    if kind == "union_tag_not_found":
        return f"{field}: missing 'type'; allowed types: " + ", ".join(LEVER_TYPES)
    message = first["msg"].removeprefix("Value error, ")
    if kind == "missing":
        return f"{field}: required field missing"
    value = first.get("input")
    shown = f" (got {value!r})" if not isinstance(value, dict | list) else ""
    return f"{field}: {message}{shown}"


def _path(loc: list) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "scenario"


def _allowed(loc: list, data: dict[str, Any]) -> list[str]:
    """Field names allowed at the location of an unknown field."""
    model: type[BaseModel] = Scenario
    if len(loc) >= 3 and loc[0] == "levers" and isinstance(loc[1], int):
        try:
            model = LEVER_TYPES[data["levers"][loc[1]]["type"]]
        except (KeyError, IndexError, TypeError):
            pass
        if len(loc) >= 4 and loc[2] in {"targets", "sellers", "buyers", "donors"}:
            from sim.targets import TargetSpec

            model = TargetSpec
    return [name for name, f in model.model_fields.items() if not f.exclude]
