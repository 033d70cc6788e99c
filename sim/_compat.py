"""Old import paths of countysim 0.1, kept for one release (until 0.3).

Version 0.2 laid ``sim/`` out in layers (docs/architecture.md). Notebooks that
still ``import sim.plots`` or ``from sim.runner import simulate`` keep working:
importing an old path gives the module at its new home and a
:class:`DeprecationWarning` naming it. CHANGELOG.md lists every move.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

#: Old module → its new home.
MOVED: dict[str, str] = {
    "sim.errors": "sim.base.errors",
    "sim.tomlfile": "sim.base.tomlfile",
    "sim.sources": "sim.base.sources",
    "sim.region": "sim.model.region",
    "sim.parameters": "sim.model.parameters",
    "sim.network": "sim.model.network",
    "sim.targets": "sim.model.selection",
    "sim.scenario": "sim.model.scenario",
    "sim.recorder": "sim.model.recorder",
    "sim.indicators": "sim.model.indicators",
    "sim.docgen": "sim.model.reference",
    "sim.core": "sim.model.core",
    "sim.levers": "sim.model.levers",
    "sim.levers.industry": "sim.model.levers.modern_industry",
    "sim.levers.land": "sim.model.levers.land_layout",
    "sim.levers.support": "sim.model.levers.policy_support",
    "sim.levers.services": "sim.model.levers.public_services",
    "sim.results": "sim.outputs.results",
    "sim.provenance": "sim.outputs.provenance",
    "sim.analysis.store": "sim.outputs.reader",
    "sim.analysis.variables": "sim.model.schema",
    "sim.plots": "sim.figures",
    "sim.maps": "sim.figures.basemap",
    "sim.style": "sim.figures.style",
    "sim.runner": "sim.studies.run",
    "sim.batch": "sim.studies.batch",
    "sim.batch.store": "sim.outputs.store",
    "sim.sensitivity": "sim.studies.sensitivity",
    "sim.sensitivity.plots": "sim.figures.sensitivity",
    "sim.calibration": "sim.studies.calibration",
    "sim.calibration.targets": "sim.studies.calibration.observed",
    "sim.calibration.simulate": "sim.studies.calibration.validation_run",
    "sim.cli": "sim.apps.cli",
    "sim.explorer": "sim.apps.explorer",
}
#: Old packages whose submodules moved with them (``sim.core.step`` → ``sim.model.core.step``).
_PREFIXES = {old: new for old, new in MOVED.items()
             if old in ("sim.core", "sim.levers", "sim.batch", "sim.sensitivity",
                        "sim.calibration", "sim.cli", "sim.explorer")}


def new_name(old: str) -> str | None:
    """The new home of an old module name (None if it did not move)."""
    if old in MOVED:
        return MOVED[old]
    head = old.rpartition(".")[0]
    while head:
        if head in _PREFIXES:
            return f"{_PREFIXES[head]}.{old[len(head) + 1:]}"
        head = head.rpartition(".")[0]
    return None


class _Alias(importlib.abc.Loader):
    """Loads an old name as the module at its new home (the same module object)."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(f"{spec.name} moved to {self.target} in countysim 0.2; the old path "
                      "works until 0.3 (see CHANGELOG.md)", DeprecationWarning, stacklevel=2)
        module = importlib.import_module(self.target)
        self._spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        """The module is the new one, already executed: give it back its own spec."""
        module.__spec__ = self._spec


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):
        if not fullname.startswith("sim."):
            return None
        target_name = new_name(fullname)
        if target_name is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Alias(target_name))


_FINDER = _Finder()


def install() -> None:
    """Make the old paths importable (idempotent)."""
    # First in line: a submodule of a moved package (``sim.core.step``) would otherwise
    # be found by the path finder under the package's new folder and loaded twice.
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
