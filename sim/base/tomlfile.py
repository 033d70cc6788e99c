"""Reading the project's TOML files with one-line errors.

Scenario files, batch files, sensitivity specs and parameter files all go
through :func:`read_toml`, so a missing or malformed file reads the same way
whichever command met it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from sim.base.errors import InputError


def read_toml(path: str | Path, what: str) -> dict[str, Any]:
    """Read a TOML file.

    Args:
        path: the file.
        what: what the file is, for the error message (e.g. "scenario file").

    Raises:
        InputError: "<what> not found", or "malformed TOML: …" with the line.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} not found", source=str(path))
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"malformed TOML: {err}", source=str(path)) from None
