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

import re
import threading
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.analysis import ResultsSet
from sim.base.errors import InputError
from sim.model.scenario import (
    Scenario,
    default_scenarios_dir,
    find_scenario_file,
    load_scenario,
    scenario_files,
)
from sim.model.shell import CountyModel
from sim.outputs.files import write_text_atomic
from sim.outputs.results import Results
from sim.studies.run import results_of, run

#: Regions a scenario may simulate.
REGIONS: tuple[str, ...] = typing.get_args(Scenario.model_fields["region"].annotation)


# --------------------------------------------------------------------------------------
# Lever fields, for the editor
# --------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------
# Targets as text
# --------------------------------------------------------------------------------------


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
        comparison: both runs, for the figures of :mod:`sim.figures`.
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
        return find_scenario_file(scenario, self.scenarios_dir)

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
