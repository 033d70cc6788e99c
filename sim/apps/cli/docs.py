"""``countysim docs``: regenerate the reference pages that are built from the code."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``docs`` subcommand."""
    p = sub.add_parser("docs", help="regenerate the reference pages built from the code",
                       description="Write docs/parameters.md, docs/levers.md and "
                                   "docs/outputs.md from the code (a test checks the "
                                   "committed pages match).")
    p.add_argument("folder", nargs="?", type=Path, default=Path("docs"),
                   help="where to write the pages (default: docs)")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Write every generated page."""
    from sim.model import reference

    return reference.main([str(args.folder)])
