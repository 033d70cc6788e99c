"""Scenario files: TOML validated at load into frozen, typed objects.

A scenario names a region, the years to simulate, parameter overrides and the
reform levers to apply. ``extends = "baseline.toml"`` inherits a parent file:
top-level fields are overridden, ``[parameters]`` are merged, and the child's
levers are added after the parent's (a child lever with the id of a parent
lever replaces it). Paths in ``extends`` are relative to the file.

Every problem is reported as an :class:`~sim.base.errors.InputError` naming the
file, the field path, the bad value and what is allowed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import types
import typing
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.base import sources
from sim.base.errors import FieldError, InputError
from sim.base.names import NAME_RULE, is_safe_name
from sim.base.tomlfile import read_toml
from sim.model.levers import LEVER_TYPES, AnyLever
from sim.model.network import Network
from sim.model.parameters import Parameters, default_parameters, parameter_hint
from sim.model.region import FIRST_YEAR, LAST_YEAR, census_year_for, load_region
from sim.model.resolve import network_changes, resolve_lever_masks

SCHEMA_VERSION = 1
#: Environment variable naming the folder of scenario files (names are looked up there).
SCENARIOS_ENV = "COUNTYSIM_SCENARIOS"
#: The scenario folder of a source checkout (the examples; the fallback folder).
REPO_SCENARIOS = sources.CHECKOUT / "scenarios"


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
        parameters: overrides of :class:`~sim.model.parameters.Parameters`.
        levers: reform levers, applied in order.
        source: the file the scenario came from (not part of its identity).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = SCHEMA_VERSION
    name: str = Field(min_length=1, max_length=80)
    description: str = ""
    region: Literal["ccec", "sichuan_chongqing"] = "ccec"
    # Strict: "2020" or true in a file is a mistake, not a year or a number.
    start_year: int = Field(2020, ge=FIRST_YEAR, le=LAST_YEAR, strict=True)
    end_year: int = Field(2025, ge=FIRST_YEAR, le=LAST_YEAR, strict=True)
    seed: int = Field(0, ge=0, lt=2**63, strict=True)
    replicates: int = Field(1, ge=1, le=100_000, strict=True)
    parameters: dict[str, StrictFloat] = Field(default_factory=dict)
    levers: tuple[AnyLever, ...] = ()
    source: str | None = Field(None, exclude=True)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        if not is_safe_name(name):
            raise ValueError(f"{name!r} is not allowed; {NAME_RULE}")
        return name

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
        for name in sorted(self.parameters):
            hint = parameter_hint(name)
            if hint is not None:
                raise FieldError(f"parameters.{name}", f"unknown parameter; {hint}")
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


def default_scenarios_dir() -> Path:
    """Where scenario names are looked up: ``$COUNTYSIM_SCENARIOS``, else ``./scenarios``.

    Without either, the checkout's ``scenarios/`` (the examples).
    """
    if os.environ.get(SCENARIOS_ENV):
        return Path(os.environ[SCENARIOS_ENV])
    here = Path.cwd() / "scenarios"
    return here if here.is_dir() else REPO_SCENARIOS


def scenario_files(directory: str | Path) -> list[str]:
    """File names of the scenarios in ``directory``, ``baseline.toml`` first.

    Raises:
        InputError: the folder does not exist or holds no ``.toml`` file.
    """
    folder = Path(directory)
    names = sorted(p.name for p in folder.glob("*.toml")) if folder.is_dir() else []
    if not names:
        raise InputError(f"no scenario files (*.toml) here; set {SCENARIOS_ENV} or pass "
                         "--scenarios to name the folder", source=str(folder))
    return sorted(names, key=lambda n: (n != "baseline.toml", n))


def find_scenario_file(scenario: str | Path, directory: str | Path | None = None) -> Path:
    """The file of a scenario given by name or path.

    Args:
        scenario: a file name in ``directory`` (``.toml`` optional, e.g.
            ``"pilot_programme"``) or the path of a ``.toml`` file.
        directory: where names are looked up (default: :func:`default_scenarios_dir`).

    Raises:
        InputError: no such file; the message lists the names ``directory`` offers.
    """
    folder = Path(directory) if directory is not None else default_scenarios_dir()
    name = str(scenario).strip()
    candidates = [folder / name, folder / f"{name}.toml"]
    if name.endswith(".toml"):
        candidates.append(Path(name))
    for path in candidates:
        if path.is_file():
            return path
    allowed = ", ".join(n.removesuffix(".toml") for n in scenario_files(folder))
    raise InputError(f"unknown scenario '{name}'; allowed: {allowed} (files in "
                     f"{folder}) or the path of a .toml file")


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
    try:
        parent = _read_with_parents(parent_path, (*chain, path))
    except InputError as err:
        if err.source != str(parent_path) or err.message.startswith("extends: cycle"):
            raise
        raise InputError(f"extends: parent scenario '{parent_ref}': {err.message}",
                         source=str(path)) from None
    return _merge(parent, data)


def _merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    """The child's fields over the parent's, with ``parameters`` and ``levers`` combined.

    Only a table of parameters and a list of levers are combined; a value of
    another kind is kept (the parent's first) for validation to report.
    """
    merged = {**parent, **child}
    params = (parent.get("parameters", {}), child.get("parameters", {}))
    if all(isinstance(p, dict) for p in params):
        merged["parameters"] = {**params[0], **params[1]}
    elif not isinstance(params[0], dict):
        merged["parameters"] = params[0]
    levers = (parent.get("levers", []), child.get("levers", []))
    if all(isinstance(v, list) for v in levers):
        # A child lever replaces the parent's lever of the same id; duplicates within
        # one file (and entries that are not tables) are left for validation to report.
        child_ids = {lever.get("id") for lever in levers[1] if isinstance(lever, dict)}
        merged["levers"] = [lever for lever in levers[0] if not (
            isinstance(lever, dict) and lever.get("id") in child_ids)] + levers[1]
    elif not isinstance(levers[0], list):
        merged["levers"] = levers[0]
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
    """Field names allowed at the location of an unknown field (``loc`` ends with it).

    Walks the path through the models: a field's annotation gives the model of
    its value (``tuple[X, ...]`` and ``X | None`` give ``X``; the lever union
    gives the class of the entry's ``type``).
    """
    model: type[BaseModel] = Scenario
    value: Any = data
    path = loc[:-1]
    for k, part in enumerate(path):
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        value = value.get(part) if isinstance(value, dict) else None
        for index in itertools.takewhile(lambda p: isinstance(p, int), path[k + 1:]):
            value = value[index] if isinstance(value, list | tuple) and index < len(value) else None
        inner = _model_of(field.annotation, value) if field is not None else None
        if inner is None:
            break
        model = inner
    return [name for name, f in model.model_fields.items() if not f.exclude]


def _model_of(annotation: Any, value: Any) -> type[BaseModel] | None:
    """The model a value of ``annotation`` is validated by (None if not a model)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated or (origin is tuple and args[-1:] == (Ellipsis,)):
        return _model_of(args[0], value)
    if origin in (typing.Union, types.UnionType):
        models = [m for m in (_model_of(a, value) for a in args) if m is not None]
        if len(models) > 1:  # a union tagged by ``type``: the levers
            tag = value.get("type") if isinstance(value, dict) else None
            models = [m for m in models if tag in _tags(m)]
        return models[0] if len(models) == 1 else None
    return None


def _tags(model: type[BaseModel]) -> tuple[Any, ...]:
    """The values of a model's ``type`` literal (empty if it has none)."""
    field = model.model_fields.get("type")
    return typing.get_args(field.annotation) if field is not None else ()


def network_for(scenario: Scenario | str | Path | dict, year: int | None = None) -> Network:
    """The infrastructure network of a scenario in a year (default: its end year).

    Builds the network only (no simulation). ``scenario`` is a
    :class:`~sim.Scenario`, a scenario file, or a scenario definition as stored
    in a run's ``manifest.json`` (``scenario_definition``).
    """
    if isinstance(scenario, dict):
        scenario = build_scenario(scenario)
    elif not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    region = load_region(scenario.region, census_year_for(scenario.start_year))
    params = scenario.model_parameters()
    masks = resolve_lever_masks(scenario, region=region, params=params)
    if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError(f"year {year}: outside the years the model covers ({FIRST_YEAR}–"
                         f"{LAST_YEAR})", source=scenario.source)
    network = Network(region, params, network_changes(scenario, masks, region))
    network.set_year(scenario.end_year if year is None else year)
    return network
