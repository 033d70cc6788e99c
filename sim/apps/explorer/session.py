"""The explorer's state without any user interface: set-up, lever edits, runs, export.

A :class:`Session` starts from a scenario file of ``scenarios/``, takes edits
(region, years, seed, name, levers added, changed or removed), keeps the
validated :class:`~sim.model.scenario.Scenario` they make, and runs it in a
:class:`~sim.model.shell.CountyModel` that can be stepped a year at a time or run to
the end. Every edit is validated at once and is all-or-nothing: a bad value
raises :class:`~sim.base.errors.InputError` with one line naming the field, and the
session stays as it was. Any accepted edit discards the model, so results
always belong to the current set-up.

For comparison the session runs the *reference*: the same set-up without
levers (same region, years, parameters, seed and mode), cached. With the
scenarios of ``scenarios/``, which all extend ``baseline.toml``, that is the
baseline.

:meth:`Session.to_toml` exports the set-up as a self-contained scenario file;
``countysim run`` on it (with ``--deterministic`` if the session is
deterministic) reproduces the session's results exactly.

Sessions are used from two threads in the explorer (the user interface
edits, a worker runs), so the model is only touched under a lock.
"""

from __future__ import annotations

import json
import os
import re
import threading
import tomllib
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.analysis import ResultsSet
from sim.base.errors import InputError
from sim.model.levers import LEVER_TYPES
from sim.model.levers.base import Lever
from sim.model.reference import REPO_SCENARIOS, attribute_docs, field_limits
from sim.model.scenario import Scenario, load_scenario
from sim.model.selection import KEYWORDS, TargetSpec
from sim.model.shell import CountyModel
from sim.outputs.files import write_text_atomic
from sim.outputs.results import Results
from sim.studies.run import results_of, run

#: Environment variable naming the folder of scenario files the explorer offers.
SCENARIOS_ENV = "COUNTYSIM_SCENARIOS"
#: Regions a scenario may simulate.
REGIONS: tuple[str, ...] = typing.get_args(Scenario.model_fields["region"].annotation)
#: Fields every lever has; the editor shows them above the lever's own fields.
COMMON_FIELDS = tuple(Lever.model_fields)


def default_scenarios_dir() -> Path:
    """Where the scenario files are: ``$COUNTYSIM_SCENARIOS``, ``./scenarios`` or the checkout's."""
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


# --------------------------------------------------------------------------------------
# Lever fields, for the editor
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# Targets as text
# --------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------
# The session
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    """What the views draw: the session's results at one moment.

    Attributes:
        scenario: the set-up that was run.
        year: the model's current year.
        results: the run's results up to ``year``.
        reference: the reference run (same set-up without levers), all years.
        reference_name: its scenario name in :attr:`comparison`.
        comparison: both runs, for the figures of :mod:`sim.figures.plots`.
    """

    scenario: Scenario
    year: int
    results: Results
    reference: Results
    reference_name: str
    comparison: ResultsSet


class Session:
    """An interactive set-up and its run.

    Args:
        scenario: file name in ``scenarios_dir`` (``.toml`` optional) or a path.
        scenarios_dir: folder of the scenario files offered (default:
            :func:`default_scenarios_dir`).
        seed: root seed (default: the scenario's).
        deterministic: expected flows instead of random draws.

    Raises:
        InputError: unknown or invalid scenario file, or a bad seed.
    """

    def __init__(self, scenario: str | Path = "baseline.toml", *,
                 scenarios_dir: str | Path | None = None, seed: int | None = None,
                 deterministic: bool = False) -> None:
        self.scenarios_dir = Path(scenarios_dir) if scenarios_dir else default_scenarios_dir()
        self.deterministic = bool(deterministic)
        self.base = ""
        self.scenario: Scenario
        self._lock = threading.RLock()
        self._model: CountyModel | None = None
        self._results: tuple[int, Results] | None = None
        self._references: dict[tuple[str, bool], Results] = {}
        self.load(scenario)
        if seed is not None:
            self.set_seed(seed)

    # -- set-up ----------------------------------------------------------------------

    def scenario_files(self) -> list[str]:
        """The scenario files offered by the picker."""
        return scenario_files(self.scenarios_dir)

    def load(self, scenario: str | Path) -> None:
        """Start over from a scenario file (discarding edits and the run)."""
        path = self._find(scenario)
        loaded = load_scenario(path)
        with self._lock:
            self.base = path.name if path.parent == self.scenarios_dir else str(path)
            self.scenario = loaded
            self._discard()

    def _find(self, scenario: str | Path) -> Path:
        name = str(scenario).strip()
        candidates = [self.scenarios_dir / name, self.scenarios_dir / f"{name}.toml"]
        if name.endswith(".toml"):
            candidates.append(Path(name))
        for path in candidates:
            if path.is_file():
                return path
        allowed = ", ".join(n.removesuffix(".toml") for n in self.scenario_files())
        raise InputError(f"unknown scenario '{name}'; allowed: {allowed} (files in "
                         f"{self.scenarios_dir}) or the path of a .toml file")

    def set_region(self, region: str) -> None:
        """Simulate another region (``ccec`` or ``sichuan_chongqing``)."""
        self._change(region=region)

    def set_years(self, start_year: int | None = None, end_year: int | None = None) -> None:
        """Change the first and/or last year of the run."""
        changes = {k: int(v) for k, v in (("start_year", start_year),
                                          ("end_year", end_year)) if v is not None}
        self._change(**changes)

    def set_seed(self, seed: int) -> None:
        """Root seed of the run (written into the exported scenario)."""
        self._change(seed=seed)

    def set_name(self, name: str) -> None:
        """Name of the scenario (and of the exported file)."""
        self._change(name=(name or "").strip())

    def set_deterministic(self, deterministic: bool) -> None:
        """Expected flows (True) or random draws from the seed (False)."""
        with self._lock:
            if bool(deterministic) != self.deterministic:
                self.deterministic = bool(deterministic)
                self._discard()

    @property
    def levers(self) -> list[dict[str, Any]]:
        """The levers as ``[[levers]]`` entries (copies; edit them with the methods below)."""
        return [lever.model_dump(mode="json", exclude_defaults=True)
                for lever in self.scenario.levers]

    def lever(self, lever_id: str) -> dict[str, Any]:
        """One lever's entry, by id."""
        return self.levers[self._index(lever_id)]

    def add_lever(self, lever: dict[str, Any]) -> str:
        """Add a lever (a ``[[levers]]`` entry; ``id`` optional); return its id."""
        lever = dict(lever)
        lever.setdefault("id", self._new_id(str(lever.get("type", "lever"))))
        changes: dict[str, Any] = {"levers": [*self.levers, lever]}
        if self.scenario.name == "baseline":
            changes["name"] = "explore"  # the reference run is the baseline
        self._change(**changes)
        return lever["id"]

    def update_lever(self, lever_id: str, lever: dict[str, Any]) -> str:
        """Replace the lever ``lever_id`` (keeping its id unless the entry names one)."""
        levers = self.levers
        i = self._index(lever_id)
        lever = dict(lever)
        lever.setdefault("id", lever_id)
        levers[i] = lever
        self._change(levers=levers)
        return lever["id"]

    def remove_lever(self, lever_id: str) -> None:
        """Remove the lever ``lever_id``."""
        levers = self.levers
        del levers[self._index(lever_id)]
        self._change(levers=levers)

    def _index(self, lever_id: str) -> int:
        ids = [lever.id for lever in self.scenario.levers]
        if lever_id not in ids:
            raise InputError(f"no lever '{lever_id}' in the set-up; levers: "
                             + (", ".join(ids) or "none"))
        return ids.index(lever_id)

    def _new_id(self, lever_type: str) -> str:
        ids = {lever.id for lever in self.scenario.levers}
        stem = re.sub(r"[^A-Za-z0-9_\-]", "_", lever_type) or "lever"
        k = 1
        while (candidate := stem if k == 1 else f"{stem}_{k}") in ids:
            k += 1
        return candidate

    def _change(self, **changes: Any) -> None:
        """Validate the set-up with ``changes``; keep it only if it is valid.

        An edit that leaves the set-up as it was (same :meth:`Scenario.digest`)
        keeps the model and its results.
        """
        try:
            scenario = self.scenario.with_changes(**changes)
        except InputError as err:
            levers = changes.get("levers", self.scenario.levers)
            raise InputError(_blame_lever(err.message, levers)) from None
        with self._lock:
            if scenario.digest() != self.scenario.digest():
                self.scenario = scenario
                self._discard()

    # -- running ---------------------------------------------------------------------

    @property
    def model(self) -> CountyModel | None:
        """The model of the current set-up (None before the first run or step)."""
        return self._model

    @property
    def year(self) -> int | None:
        """The model's current year (None if nothing has run)."""
        return None if self._model is None else self._model.year

    @property
    def finished(self) -> bool:
        """Whether the run has reached the end year."""
        return self._model is not None and not self._model.running

    def start(self) -> int:
        """Build the model at the start year (if not built yet); return its year."""
        with self._lock:
            if self._model is None:
                self._model = CountyModel(self.scenario, deterministic=self.deterministic)
            return self._model.year

    def reset(self) -> int:
        """Back to the start year: a fresh model of the current set-up."""
        with self._lock:
            self._discard()
            return self.start()

    def step(self) -> int:
        """Simulate one more year (starting the model if needed); return the year."""
        with self._lock:
            self.start()
            if self._model.running:
                self._model.step()
            return self._model.year

    def run(self) -> Results:
        """Run to the end year (continuing a stepped run) and return the results."""
        with self._lock:
            self.start()
            self._model.run_model()
            return self.results()

    def results(self) -> Results:
        """Results of the years simulated so far (starting the model if needed)."""
        with self._lock:
            self.start()
            if self._results is None or self._results[0] != self._model.year:
                self._results = (self._model.year, results_of(self._model))
            return self._results[1]

    @property
    def reference_name(self) -> str:
        """Scenario name of the reference run (``baseline``, unless that is taken)."""
        return "baseline" if self.scenario.name != "baseline" else "no_levers"

    def reference_scenario(self) -> Scenario:
        """The set-up without levers."""
        return self.scenario.with_changes(levers=(), name=self.reference_name)

    def reference(self) -> Results:
        """The reference run: the set-up without levers, all years (cached)."""
        scenario = self.reference_scenario()
        key = (scenario.digest(), self.deterministic)
        if key not in self._references:
            self._references[key] = run(scenario, deterministic=self.deterministic)
        return self._references[key]

    def snapshot(self) -> Snapshot:
        """The run so far and the reference, consistent with each other."""
        with self._lock:
            results = self.results()
            reference = self.reference()
            return Snapshot(scenario=self.scenario, year=self._model.year, results=results,
                            reference=reference, reference_name=self.reference_name,
                            comparison=ResultsSet.from_results([reference, results]))

    def _discard(self) -> None:
        self._model = None
        self._results = None

    # -- export ----------------------------------------------------------------------

    def file_name(self) -> str:
        """Suggested file name of the exported scenario."""
        return f"{self.scenario.name}.toml"

    def run_command(self, path: str | Path | None = None) -> str:
        """The command that reproduces this session's run from the exported file."""
        flag = " --deterministic" if self.deterministic else ""
        return f"countysim run {path or self.file_name()}{flag}"

    def to_toml(self) -> str:
        """The set-up as a self-contained scenario file (seed included)."""
        mode = "deterministic" if self.deterministic else f"stochastic, seed {self.scenario.seed}"
        head = (f"# Set up in countysim explore from {self.base} ({mode}).\n"
                f"# Reproduce the interactive run: {self.run_command()}\n")
        return head + self.scenario.to_toml()

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write :meth:`to_toml` to ``path`` (a folder gets ``<name>.toml``).

        Raises:
            InputError: the path is not a .toml file in an existing folder, or the
                file exists and ``overwrite`` is False.
        """
        target = Path(str(path).strip()).expanduser()
        if not str(path).strip():
            raise InputError("export: give a file path ending in .toml")
        if target.is_dir():
            target = target / self.file_name()
        if target.suffix != ".toml":
            raise InputError(f"export: {target} is not a .toml file")
        if not target.parent.is_dir():
            raise InputError(f"export: folder {target.parent} does not exist")
        if target.exists() and not overwrite:
            raise InputError(f"export: {target} exists; allow overwriting to replace it")
        write_text_atomic(self.to_toml(), target)
        return target


def _blame_lever(message: str, levers: Sequence[Any]) -> str:
    """``levers[3].tfp_boost: …`` → ``lever 'id': tfp_boost: …`` (a message without file label)."""
    found = re.match(r"levers\[(\d+)\]\.?", message)
    if not found:
        return message
    i = int(found.group(1))
    lever = levers[i] if i < len(levers) else {}
    lever_id = lever.get("id") if isinstance(lever, dict) else getattr(lever, "id", None)
    if not lever_id:
        return message
    rest = message[found.end():].removeprefix(": ")
    return f"lever '{lever_id}': {rest}" if rest else f"lever '{lever_id}'"
