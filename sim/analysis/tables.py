"""Key numbers per scenario: a tidy CSV table and a booktabs LaTeX table.

:func:`key_numbers` collects, for one year (default: the last), each
indicator's level per scenario and its paired difference from the baseline,
with mean and band over replicates, in display units (:mod:`.variables`).
:func:`latex_table` turns it into a table a paper can include with ``input``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.analysis.compare import BAND, difference_table, final_year, pair_keys, summarise
from sim.analysis.measures import sigma_convergence
from sim.analysis.pilot import pilot_effect
from sim.base.errors import InputError
from sim.model.schema import difference_unit, display_scale, variable
from sim.outputs.reader import ResultsSet

#: Region indicators of the key-numbers table: column -> difference in % of the
#: baseline (True) or in display units (False).
KEY_INDICATORS: dict[str, bool] = {
    "gdp_bn_yuan": True,
    "population": True,
    "gdp_per_capita_yuan": True,
    "urbanisation_rate": False,
    "theil": False,
    "theil_between_province": False,
    "gini": False,
    "core_share": False,
    "pilot_gap": False,
}
#: Columns of the LaTeX table: (indicator, header).
LATEX_COLUMNS: tuple[tuple[str, str], ...] = (
    ("gdp_bn_yuan", "GDP"),
    ("population", "Population"),
    ("urbanisation_rate", "Urbanisation"),
    ("theil", "Theil"),
    ("sigma", r"$\sigma$"),
    ("pilot_effect", "Pilot effect"),
)


def key_numbers(rs: ResultsSet, baseline: str = "baseline", *, year: int | None = None,
                band: tuple[float, float] = BAND, matches: pd.DataFrame | None = None
                ) -> pd.DataFrame:
    """Levels and differences from the baseline of the key indicators in one year.

    Args:
        rs: the results.
        baseline: the reference scenario.
        year: the year (default: the last recorded).
        band: percentiles of the bands over replicates.
        matches: pilot-control pairs from :func:`~sim.analysis.match_controls`
            for the pilot effect (default: matched here).

    Returns:
        One row per scenario and indicator: ``scenario``, ``year``, ``indicator``,
        ``label``, ``unit``, ``mean``, ``low``, ``high`` (level), ``difference_unit``,
        ``difference_mean``, ``difference_low``, ``difference_high`` (NaN for the
        baseline) and ``n`` (replicates). Indicators: :data:`KEY_INDICATORS`,
        ``sigma`` (σ-convergence) and ``pilot_effect`` (simulated DiD of log GDP
        per capita growth, log points; a difference only).
    """
    rs.require_scenario(baseline, "baseline")
    year = final_year(rs, year)
    others = [s for s in rs.scenarios if s != baseline]
    keys = pair_keys(rs)
    region = rs.region_year[rs.region_year["year"] == year]
    sigma = sigma_convergence(rs.county_year[rs.county_year["year"] == year])
    parts = []
    for name, relative in KEY_INDICATORS.items():
        parts.append(_indicator(region, name, relative, baseline, others, keys, band))
    parts.append(_indicator(sigma, "sigma", False, baseline, others, keys, band))
    if others:
        parts.append(_pilot_rows(rs, baseline, year, band, matches))
    out = pd.concat(parts, ignore_index=True)
    out.insert(1, "year", year)
    order = {s: i for i, s in enumerate(rs.scenarios)}
    return out.sort_values("scenario", key=lambda s: s.map(order), kind="stable").reset_index(
        drop=True)


def _indicator(table: pd.DataFrame, name: str, relative: bool, baseline: str,
               others: Sequence[str], keys: Sequence[str], band: tuple[float, float]
               ) -> pd.DataFrame:
    v = variable(name)
    level = summarise(table.assign(_x=table[name] * v.scale), "_x", ["scenario"], band)
    out = level[["scenario", "mean", "low", "high", "n"]].copy()
    out["indicator"], out["label"], out["unit"] = name, v.label, v.unit
    out["difference_unit"] = difference_unit(name, relative)
    for col in ("difference_mean", "difference_low", "difference_high"):
        out[col] = np.nan
    if others:
        diff = difference_table(table, name, baseline, keys=keys, where=["year"],
                                scenarios=others, relative=relative)
        diff["difference"] *= display_scale(name, relative=relative)
        d = summarise(diff, "difference", ["scenario"], band).set_index("scenario")
        for stat in ("mean", "low", "high"):
            out[f"difference_{stat}"] = out["scenario"].map(d[stat])
    return out


def _pilot_rows(rs: ResultsSet, baseline: str, year: int, band: tuple[float, float],
                matches: pd.DataFrame | None) -> pd.DataFrame:
    effect = pilot_effect(rs, "gdp_per_capita_yuan", baseline, band=band, end=year,
                          matches=matches)
    effect = effect[effect["measure"] == "effect"].set_index("scenario")
    rows = pd.DataFrame({"scenario": rs.scenarios})
    rows["indicator"] = "pilot_effect"
    rows["label"] = "Pilot effect on GDP per capita growth (DiD)"
    rows["unit"], rows["difference_unit"] = "log points", "log points"
    for stat in ("mean", "low", "high"):
        rows[stat] = np.nan
        rows[f"difference_{stat}"] = rows["scenario"].map(effect[stat])
    rows["n"] = rows["scenario"].map(effect["n"]).fillna(0).astype(int)
    return rows


def latex_table(key: pd.DataFrame, baseline: str = "baseline", *,
                columns: Sequence[tuple[str, str]] = LATEX_COLUMNS, caption: str | None = None,
                label: str = "tab:key-numbers", digits: int = 3) -> str:
    r"""A booktabs table: baseline levels, then each scenario's difference with band.

    Args:
        key: the output of :func:`key_numbers`.
        baseline: the reference scenario (its row shows levels).
        columns: (indicator, header) pairs to show.
        caption: table caption (default: describes year and band).
        label: LaTeX label.
        digits: significant digits of the largest value in each column.

    Returns:
        LaTeX source needing ``\usepackage{booktabs}``.
    """
    missing = [c for c, _ in columns if c not in set(key["indicator"])]
    if missing:
        raise InputError(f"unknown indicator '{missing[0]}' for the table; allowed: "
                         + ", ".join(dict.fromkeys(key["indicator"])))
    year = int(key["year"].iloc[0])
    band = key.attrs.get("band", BAND)
    cell = key.set_index(["scenario", "indicator"])
    scenarios = list(dict.fromkeys(key["scenario"]))
    others = [s for s in scenarios if s != baseline]

    def level(ind: str) -> str:
        value = cell.loc[(baseline, ind), "mean"] if (baseline, ind) in cell.index else np.nan
        return _number(value, _decimals([value], digits)) if np.isfinite(value) else "--"

    def diffs(ind: str) -> list[str]:
        rows = [cell.loc[(s, ind)] for s in others]
        d = _decimals([r["difference_mean"] for r in rows], digits)
        out = []
        for r in rows:
            if not np.isfinite(r["difference_mean"]):
                out.append("--")
            elif r["n"] < 2:
                out.append(f"${_number(r['difference_mean'], d)}$")
            else:
                out.append(f"${_number(r['difference_mean'], d)}$ {{\\scriptsize"
                           f"[${_number(r['difference_low'], d)}$, "
                           f"${_number(r['difference_high'], d)}$]}}")
        return out

    units = {ind: _latex(cell.xs(ind, level="indicator")["unit"].iloc[0]) for ind, _ in columns}
    dunits = {ind: _latex(cell.xs(ind, level="indicator")["difference_unit"].iloc[0])
              for ind, _ in columns}
    caption = caption or (
        f"Key numbers in {year}. First row: the {_latex(baseline)} scenario (levels, units "
        f"in the first header row); other rows: difference from {_latex(baseline)} (units in "
        f"the second header row), mean over replicates paired by seed, with the "
        f"{band[0]:g}--{band[1]:g}\\,\\% band in brackets.")
    spec = "l" + "r" * len(columns)
    body = [diffs(c) for c, _ in columns]
    lines = [
        r"\begin{table*}[t]", r"\centering", r"\small",
        f"\\caption{{{caption}}}", f"\\label{{{label}}}",
        f"\\begin{{tabular}}{{{spec}}}", r"\toprule",
        "Scenario & " + " & ".join(h for _, h in columns) + r" \\",
        r"\emph{level} & " + " & ".join(f"({units[c]})" for c, _ in columns) + r" \\",
        r"\emph{difference} & " + " & ".join(f"($\\Delta$ {dunits[c]})" for c, _ in columns)
        + r" \\",
        r"\midrule",
        f"{_latex(baseline)} & " + " & ".join(level(c) for c, _ in columns) + r" \\",
        r"\midrule",
    ]
    for i, s in enumerate(others):
        lines.append(f"{_latex(s)} & " + " & ".join(col[i] for col in body) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table*}", ""]
    return "\n".join(lines)


def _decimals(values: Sequence[float], digits: int) -> int:
    """Decimals that show the largest |value| with ``digits`` significant digits."""
    a = np.abs(np.asarray(values, dtype=float))
    a = a[np.isfinite(a) & (a > 0)]
    if a.size == 0:
        return digits
    return int(np.clip(digits - 1 - np.floor(np.log10(a.max())), 0, 6))


def _number(value: float, decimals: int) -> str:
    """A number with fixed decimals and no negative zero."""
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}", "²": r"$^2$", "×": r"$\times$", "–": "--",
                  "σ": r"$\sigma$", "β": r"$\beta$", "Δ": r"$\Delta$"}


def _latex(text: str) -> str:
    """Escape text for LaTeX."""
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in str(text))
