"""Reference pages generated from the code: parameters, levers and output tables.

    countysim docs          # or: python -m sim.model.reference docs/

The pages are committed; a test checks they match the code, so documented
units, defaults and ranges cannot drift from the ones the model uses.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.model.levers import LEVER_TYPES
from sim.model.levers.base import Lever
from sim.model.parameters import Parameters
from sim.model.scenario import REPO_SCENARIOS
from sim.model.schema import DERIVED, TABLES

GROUP_TITLES = {
    "production": "Production and growth", "land": "Construction land",
    "migration": "Migration", "roc": "Rest of China (ROC)", "investment": "Investment",
    "demography": "Demography and services", "network": "Network",
}


def parameters_page() -> str:
    """Markdown table of every parameter, by group."""
    lines = [
        "# Parameters",
        "",
        "Generated from `sim/model/parameters.py` by `countysim docs`; do not edit.",
        "",
        "*Bounds* are hard limits (values outside are rejected); the *plausible range* is",
        "what calibration and sensitivity analysis search. Defaults are the literature",
        "priors in the code; the package default used by scenarios applies the calibrated",
        "values in `sim/data/calibrated_parameters.toml` (see docs/validation/) where present.",
        "Override any of them in a scenario's `[parameters]` table.",
    ]
    specs = Parameters.specs()
    for group, title in GROUP_TITLES.items():
        lines += ["", f"## {title}", "",
                  "| name | default | unit | plausible range | bounds | meaning | source |",
                  "|---|---|---|---|---|---|---|"]
        for s in specs.values():
            if s.group != group:
                continue
            lines.append(
                f"| `{s.name}` | {s.default:g} | {s.unit} | {s.plausible[0]:g} – "
                f"{s.plausible[1]:g} | {s.bounds[0]:g} – {s.bounds[1]:g} | {s.doc} | "
                f"{s.source} |")
    return "\n".join(lines) + "\n"


def attribute_docs(cls: type) -> dict[str, str]:
    """Field descriptions from the ``Attributes:`` section of a Google docstring."""
    out: dict[str, str] = {}
    lines = (cls.__doc__ or "").splitlines()
    if not any(line.strip() == "Attributes:" for line in lines):
        return out
    start = next(i for i, line in enumerate(lines) if line.strip() == "Attributes:")
    name = None
    for line in lines[start + 1:]:
        text = line.strip()
        if not text:
            break
        head, sep, rest = text.partition(": ")
        if sep and " " not in head.replace(", ", ","):
            name = head
            for part in head.split(","):
                out[part.strip()] = rest
        elif name is not None:
            for part in name.split(","):
                out[part.strip()] += " " + text
    return out


SIGNS = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}


def field_limits(field: FieldInfo) -> dict[str, float]:
    """The numeric bounds of a pydantic field, e.g. ``{"ge": 0, "le": 0.05}``."""
    return {k: getattr(m, k) for m in field.metadata for k in SIGNS
            if isinstance(getattr(m, k, None), int | float)}


def _fields(model: type[BaseModel], skip: set[str]) -> list[str]:
    meanings = attribute_docs(model)
    rows = []
    for name, f in model.model_fields.items():
        if name in skip or f.exclude:
            continue
        limits = ", ".join(f"{SIGNS[k]} {v:g}" for k, v in field_limits(f).items())
        default = "required" if f.is_required() else repr(f.default) if not isinstance(
            f.default, BaseModel) else f.default.describe()
        unit = f.description or ""
        rows.append(f"| `{name}` | {default} | {unit} | {limits} | {meanings.get(name, '')} |")
    return rows


def levers_page() -> str:
    """Markdown reference of every lever type."""
    common = set(Lever.model_fields)
    lines = [
        "# Reform levers",
        "",
        "Generated from `sim/model/levers/` by `countysim docs`; do not edit.",
        "The narrative (how levers compose, ramps, attribution) is in `docs/model.md` §11.",
        "",
        "Every lever has `id`, `type`, `description`, `targets` (see `docs/scenarios.md`),",
        "`start_year`, `end_year` (inclusive, optional) and `ramp_years` (intensity rises",
        "linearly to full over that many years; connectivity changes are discrete and",
        "do not take it). Intensities below are the per-lever fields. Defaults are",
        "**illustrative**: the sources of the pilot programme give directions, not sizes.",
        "Levers compose: effects on one county add up (multipliers multiply).",
    ]
    for name, cls in LEVER_TYPES.items():
        doc = (cls.__doc__ or "").strip().splitlines()[0]
        lines += ["", f"## `{name}`", "", f"{doc}", "",
                  f"* **Source-text area:** {cls.source_area}.",
                  f"* **Mechanism:** {cls.mechanism}.",
                  f"* **Shows in:** {', '.join(f'`{c}`' for c in cls.shows_in)}.",
                  f"* **Scenario file:** `scenarios/{name}.toml`.", "",
                  "| field | default | unit | allowed | meaning |", "|---|---|---|---|---|"]
        lines += _fields(cls, common - {"targets"} if name == "connectivity" else common)
        if name == "connectivity":
            lines += _connectivity_details()
        example = _example(name)
        if example:
            lines += ["", "Example (from the scenario file):", "", "```toml", example, "```"]
    return "\n".join(lines) + "\n"


def _connectivity_details() -> list[str]:
    from sim.base import sources
    from sim.model.levers.connectivity import LineOpening, LineShift, NewLink

    lines = []
    for title, model in (("`links` entries", NewLink), ("`open_lines` entries", LineOpening),
                         ("`shift_lines` entries", LineShift)):
        summary = (model.__doc__ or "").strip().splitlines()[0].rstrip(".")
        lines += ["", f"{title}: {summary}.", "",
                  "| field | default | unit | allowed | meaning |", "|---|---|---|---|---|"]
        lines += _fields(model, set())
    rail = sources.rail_lines()
    opened = rail.groupby("line_name_en", sort=True).agg(
        years=("open_year", lambda y: "/".join(str(v) for v in sorted(set(y)))),
        planned=("planned", "first"))
    lines += ["", "Rail lines in `sim/data/rail_lines.csv` (names for `line`; planned lines",
              "open only when a scenario opens them):", "",
              "| line | opening year(s) in the data | planned |", "|---|---|---|"]
    lines += [f"| {line} | {row.years} | {row.planned} |" for line, row in opened.iterrows()]
    return lines




def _example(lever_type: str) -> str:
    """The ``[[levers]]`` block of ``scenarios/<type>.toml``, if the file exists."""
    path = REPO_SCENARIOS / f"{lever_type}.toml"
    if not path.is_file():
        return ""
    text = path.read_text(encoding="utf-8")
    return text[text.index("[[levers]]"):].strip() if "[[levers]]" in text else ""


def outputs_page() -> str:
    """Markdown tables of every output table's columns (from :mod:`sim.model.schema`)."""
    lines = [
        "# Output tables",
        "",
        "Generated from `sim/model/schema.py` by `countysim docs`; do not edit.",
        "",
        "A run folder holds `<table>.parquet` for each run table and `manifest.json`; a",
        "batch folder holds `<table>/part-<run_id>.parquet` per run, `runs.parquet` and",
        "`manifest.json`, and adds one column per swept parameter or design factor to every",
        "table (see docs/batches.md). Read any of them with `sim.read_results` (docs/figures.md).",
        "Money is in bn yuan at census-year prices; *display* is how figures and tables show",
        "a column (stored value × scale, in the display unit).",
    ]
    for table in TABLES.values():
        keys = ", ".join(f"`{k}`" for k in table.keys) or "—"
        lines += ["", f"## `{table.name}`", "", f"{table.doc[0].upper()}{table.doc[1:]}; "
                  f"row keys within a run: {keys}.", "",
                  "| column | type | meaning | display |", "|---|---|---|---|"]
        for c in table.columns:
            lines.append(f"| `{c.name}` | {c.dtype} | {c.doc} | {_display(c)} |")
    lines += ["", "## Measures computed by `sim.analysis`", "",
              "| measure | meaning | display |", "|---|---|---|"]
    lines += [f"| `{c.name}` | {c.doc} | {_display(c)} |" for c in DERIVED]
    return "\n".join(lines) + "\n"


def _display(column) -> str:
    if not column.unit:
        return ""
    scale = "" if column.scale == 1 else f" (×{column.scale:g})"
    return f"{column.unit}{scale}"


PAGES = {"parameters.md": parameters_page, "levers.md": levers_page,
         "outputs.md": outputs_page}


def main(argv: list[str] | None = None) -> int:
    """Write the generated pages into the given folder (default ``docs``)."""
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else "docs")
    out.mkdir(parents=True, exist_ok=True)
    for name, page in PAGES.items():
        (out / name).write_text(page(), encoding="utf-8")
        print(f"wrote {out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
