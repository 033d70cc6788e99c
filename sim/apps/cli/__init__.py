"""The ``countysim`` command line (also ``python -m sim``).

Each subcommand lives in its own module with a ``register(subparsers)``
function; :data:`COMMANDS` lists them. Bad input of any kind (files, fields,
names, parameters, folders) ends with one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from sim.base.errors import InputError

#: Subcommand modules, in the order ``countysim --help`` lists them.
COMMANDS = ("run", "check", "batch", "status", "sensitivity", "compare", "plot",
            "calibrate", "validate", "estimate", "explore", "docs", "levers")


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (no usage block), exit code 2."""

    def error(self, message: str) -> NoReturn:
        """Print ``countysim COMMAND: error: message (see --help)`` and exit with 2."""
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = Parser(
        prog="countysim",
        description="Simulate coordinated county development in the Chengdu–Chongqing "
                    "Economic Circle.")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"sim.apps.cli.{name}").register(sub)
    return parser


def _version() -> str:
    from sim.base.version import __version__

    return f"countysim {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    try:  # Ctrl-C while the modules load is an interrupt too, not a traceback
        parser = build_parser()
        args = parser.parse_args(argv)
        return int(args.handler(args) or 0)
    except InputError as err:
        print(f"countysim: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("countysim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (countysim status … | head)
        _silence_stdout()
        return 141


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit raises nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
