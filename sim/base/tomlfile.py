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

    A UTF-8 byte-order mark at the start (some Windows editors write one) is
    skipped.

    Raises:
        InputError: "<what> not found", "… is a folder", not UTF-8 text, nested too
            deeply, or "malformed TOML: …" with the line.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{what} expected, but this is a folder", source=str(path))
    if not path.is_file():
        raise InputError(f"{what} not found", source=str(path))
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(f"{what} cannot be read ({err.strerror})", source=str(path)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(f"not a text file in UTF-8 (byte 0x{raw[err.start]:02x} at position "
                         f"{err.start}); a {what} is TOML text", source=str(path)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"malformed TOML: {err}", source=str(path)) from None
    except RecursionError:
        raise InputError("malformed TOML: tables or lists nested too deeply",
                         source=str(path)) from None
