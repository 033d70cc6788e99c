"""Versions, the environment and the source revision, recorded in every manifest."""

from __future__ import annotations

import hashlib
import platform
import re
import subprocess
from functools import cache
from importlib import metadata
from typing import Any

from sim.base import sources

PACKAGES = ("countysim", "mesa", "numpy", "scipy", "networkx", "pandas", "pyarrow",
            "pydantic", "matplotlib")


@cache
def versions() -> dict[str, str]:
    """Python and package versions of this environment."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


#: The tested versions that ``make demo`` and ``make test`` install (``make lock`` makes it).
CONSTRAINTS = "requirements/constraints.txt"


@cache
def environment() -> dict[str, Any]:
    """Every installed distribution with its version, and how it compares with the lock.

    Returns:
        ``constraints`` (the lock file, relative to the checkout), ``constraints_sha256``
        (None outside a checkout), ``installed`` (distribution → version, sorted by
        name) and ``not_as_locked`` (distribution → ``"installed (locked)"`` for each
        that differs from a pin of the lock; empty when the environment is the lock's).
    """
    installed: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            installed.setdefault(_normal(name), dist.version)
    installed = dict(sorted(installed.items()))
    path = sources.CHECKOUT / CONSTRAINTS
    pins = read_constraints(path.read_text(encoding="utf-8")) if path.is_file() else {}
    differs = {name: f"{installed.get(name, 'not installed')} ({pin})"
               for name, pin in pins.items() if installed.get(name) != pin}
    return {
        "constraints": CONSTRAINTS,
        "constraints_sha256": (hashlib.sha256(path.read_bytes()).hexdigest()
                               if path.is_file() else None),
        "installed": installed,
        "not_as_locked": differs,
    }


def read_constraints(text: str) -> dict[str, str]:
    """The pins ``name==version`` of a constraints file (normalised name → version)."""
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[_normal(name.split("[")[0])] = version.split(";")[0].strip()
    return pins


def _normal(name: str) -> str:
    """A distribution name normalised as PEP 503 does (``Foo_Bar`` → ``foo-bar``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def git_commit() -> str:
    """The git commit of the countysim source tree (``+dirty`` if modified), if known."""
    root = sources.CHECKOUT
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, timeout=5,
                               check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")
