"""``countysim check``: validate scenario files without running them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.base.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``check`` subcommand."""
    p = sub.add_parser("check", help="validate scenario files without running them",
                       description="Validate scenario files (fields, years, parameters, "
                                   "lever targets). Prints one line per file; exit code 2 "
                                   "if any file is invalid.")
    p.add_argument("scenarios", type=Path, nargs="+", help="scenario TOML files")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Validate each file; report every problem, not just the first file's."""
    from sim.model.scenario import load_scenario

    bad = 0
    for path in args.scenarios:
        try:
            s = load_scenario(path)
        except InputError as err:
            print(f"countysim: error: {err}", file=sys.stderr)
            bad += 1
            continue
        print(f"ok  {path}: {s.name} ({s.region}, {s.start_year}–{s.end_year}, "
              f"{len(s.levers)} lever(s))")
        for line in identification_notes(s):
            print(f"    {line}")
    return 2 if bad else 0


def identification_notes(scenario) -> list[str]:
    """One note per lever of the scenario whose channel the data do not identify.

    A lever's ``identification`` (docs/levers.md) starting with "not identified" or
    "prior-bound" gives a note: its effect rests on assumptions or literature priors.
    """
    notes = []
    for lever in scenario.levers:
        text = type(lever).identification
        if not text.startswith(("not identified", "prior-bound")):
            continue
        notes.append(f"note: lever '{lever.id}' ({lever.type}): {text}")
    return notes
