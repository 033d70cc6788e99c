"""``countysim compare``: the standard figures and tables of a results folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.figures.style import DPI, FORMATS


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``compare`` subcommand."""
    p = sub.add_parser(
        "compare", help="write the standard figures and tables comparing scenarios",
        description="Compare every scenario of a results folder (a run, a batch, or a folder "
                    "of runs) with a baseline: fan charts, lever comparison, pilot effect, "
                    "convergence, county maps, network and flow maps, plus key_numbers.csv/"
                    ".tex and difference tables. Lists everything in index.md.")
    p.add_argument("results", type=Path, help="results folder")
    p.add_argument("--baseline", default="baseline",
                   help="reference scenario (default: baseline)")
    p.add_argument("--out", type=Path, default=None,
                   help="output folder (default: RESULTS/figures)")
    add_output_options(p)
    p.add_argument("--year", type=int, default=None, help="year compared (default: the last)")
    p.set_defaults(handler=handle)


def add_output_options(p: argparse.ArgumentParser) -> None:
    """``--formats`` and ``--dpi``, shared with ``countysim plot``."""
    p.add_argument("--formats", type=formats, default=FORMATS,
                   help="comma-separated figure formats (default: pdf,svg,png)")
    p.add_argument("--dpi", type=int, default=DPI, help=f"PNG resolution (default: {DPI})")


def formats(text: str) -> tuple[str, ...]:
    """Parse ``pdf,png``; reject unknown formats."""
    items = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    bad = [f for f in items if f not in FORMATS]
    if bad or not items:
        raise argparse.ArgumentTypeError(
            f"unknown format '{bad[0] if bad else text}'; allowed: {', '.join(FORMATS)}")
    return items


def handle(args: argparse.Namespace) -> int:
    """Write the figure set and print what was written."""
    import matplotlib

    matplotlib.use("Agg")
    from sim.figures.standard import write_comparison

    out = args.out or args.results / "figures"
    written = write_comparison(args.results, args.baseline, out, formats=args.formats,
                               dpi=args.dpi, year=args.year)
    for name, paths in written.figures.items():
        print(f"figure  {name}: " + ", ".join(p.name for p in paths))
    for note in written.notes:
        print(f"note: {note}")
    by_reason: dict[str, list[str]] = {}
    for name, why in written.skipped.items():
        by_reason.setdefault(why, []).append(name)
    for why, names in by_reason.items():
        print(f"skipped {', '.join(names)}: {why}")
    for name in written.tables:
        print(f"table   {name}")
    print(f"wrote {out}/ (see index.md)")
    return 0
