"""Versions and source revision, recorded in every manifest."""

from __future__ import annotations

import platform
import subprocess
from functools import cache
from importlib import metadata

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
