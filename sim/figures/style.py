"""One style for every figure: colour-blind-safe palettes, journal sizes, file output.

Figures are sized for journal columns (Nature/Elsevier: 89 mm single column,
183 mm double column) with 7–8 pt text, so they can go into a paper at 100 %
without rescaling. Colours come from Okabe & Ito (2008) for scenarios and from
Paul Tol (2021, https://personal.sron.nl/~pault/) for the diverging map scale
(BuRd);
the sequential scale is viridis. All are distinguishable with the common forms
of colour-vision deficiency and in greyscale print (sequential, diverging).

Use :func:`paper_style` around figure code (or :func:`use` once in a notebook),
:func:`figure` to get a correctly sized figure, and :func:`save_figure` to write
PDF, SVG and 300-dpi PNG in one call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from sim.base.errors import InputError

MM = 1 / 25.4  # inches per millimetre
#: Figure widths in inches: one journal column, one and a half, two columns.
WIDTHS = {"single": 89 * MM, "onehalf": 136 * MM, "double": 183 * MM}
FONT_SIZE = 8.0  # pt: axis labels, legends
SMALL_SIZE = 7.0  # pt: tick labels, map labels
FORMATS = ("pdf", "svg", "png")
DPI = 300
#: Resolution of images meant for screens: the explorer, the validation report.
SCREEN_DPI = 160

#: Okabe & Ito (2008) colours, the standard colour-blind-safe qualitative set.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
#: Scenario colours in order of use: Okabe–Ito without black and yellow (too light
#: on white), then Paul Tol's "muted" set for runs with many scenarios.
QUALITATIVE = (
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
    "#332288", "#882255", "#117733", "#999933", "#AA4499", "#44AA99", "#DDCC77",
)
#: Line styles cycled once the colours run out, so no two scenarios look alike.
LINESTYLES = ("-", "--", "-.", ":")
BASELINE_COLOR = "#333333"
#: Points that are context, not the subject (e.g. training groups in a validation plot).
CONTEXT_COLOR = "#999999"
#: Counties outside the simulated region, and values that are missing.
OUTSIDE_COLOR = "#DADADA"
MISSING_COLOR = "#BDBDBD"
BORDER_COLOR = "#1A1A1A"

#: Paul Tol's diverging "BuRd" scheme (ColorBrewer RdBu, reversed): blue for
#: losses, red for gains, near-white at 0; safe for colour-vision deficiency.
_BURD = ("#2166AC", "#4393C3", "#92C5DE", "#D1E5F0", "#F7F7F7", "#FDDBC7", "#F4A582",
         "#D6604D", "#B2182B")
DIVERGING = LinearSegmentedColormap.from_list("tol_burd", _BURD).with_extremes(
    bad=MISSING_COLOR)
SEQUENTIAL = mpl.colormaps["viridis"].with_extremes(bad=MISSING_COLOR)


def rc_params() -> dict[str, Any]:
    """Matplotlib settings of the paper style (fonts, sizes, lines, output)."""
    return {
        "font.family": "sans-serif",
        "font.sans-serif": ["Arial", "Helvetica", "Liberation Sans", "DejaVu Sans"],
        "font.size": FONT_SIZE,
        "axes.titlesize": FONT_SIZE,
        "axes.titleweight": "bold",
        "axes.labelsize": FONT_SIZE,
        "xtick.labelsize": SMALL_SIZE,
        "ytick.labelsize": SMALL_SIZE,
        "legend.fontsize": SMALL_SIZE,
        "legend.title_fontsize": SMALL_SIZE,
        "legend.frameon": False,
        "figure.titlesize": FONT_SIZE + 1,
        "axes.linewidth": 0.6,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "xtick.major.width": 0.6,
        "ytick.major.width": 0.6,
        "xtick.major.size": 2.5,
        "ytick.major.size": 2.5,
        "lines.linewidth": 1.2,
        "grid.linewidth": 0.4,
        "grid.color": "#D9D9D9",
        "figure.dpi": 110,
        "figure.constrained_layout.use": True,
        "savefig.dpi": DPI,
        "pdf.fonttype": 42,  # embed TrueType: text stays editable in Illustrator
        "ps.fonttype": 42,
        "svg.fonttype": "none",  # text as text, not paths
        "axes.prop_cycle": mpl.cycler(color=list(QUALITATIVE)),
    }


def use() -> None:
    """Apply the paper style globally (e.g. at the top of a notebook)."""
    mpl.rcParams.update(rc_params())


@contextlib.contextmanager
def paper_style() -> Iterator[None]:
    """Apply the paper style inside a ``with`` block only."""
    with mpl.rc_context(rc_params()):
        yield


def figure(width: str | float = "single", height: float | None = None, *,
           aspect: float = 0.7, nrows: int = 1, ncols: int = 1, **subplot_kw: Any
           ) -> tuple[Figure, Any]:
    """A figure of journal width with a grid of axes.

    Args:
        width: ``"single"`` (89 mm), ``"onehalf"`` (136 mm), ``"double"`` (183 mm)
            or a width in inches.
        height: height in inches (default: ``aspect`` × width).
        aspect: height / width when ``height`` is not given.
        nrows: rows of axes.
        ncols: columns of axes.
        **subplot_kw: passed on to :func:`matplotlib.pyplot.subplots`.

    Returns:
        (figure, axes) as from :func:`matplotlib.pyplot.subplots`.
    """
    w = figure_width(width)
    h = height if height is not None else w * aspect
    return plt.subplots(nrows, ncols, figsize=(w, h), **subplot_kw)


def figure_width(width: str | float) -> float:
    """Width in inches of a named journal width (or a number, returned as is)."""
    if isinstance(width, str):
        if width not in WIDTHS:
            raise InputError(f"unknown figure width '{width}'; allowed: "
                             + ", ".join(WIDTHS) + " or a number of inches")
        return WIDTHS[width]
    return float(width)


def scenario_styles(scenarios: Iterable[str], baseline: str | None = "baseline"
                    ) -> dict[str, dict[str, Any]]:
    """Colour and line style per scenario; the baseline is dark grey and solid.

    The same scenario list always gives the same styles, so a scenario looks
    the same in every figure of a set.
    """
    out: dict[str, dict[str, Any]] = {}
    k = 0
    for name in scenarios:
        if name == baseline:
            out[name] = {"color": BASELINE_COLOR, "linestyle": "-"}
            continue
        out[name] = {"color": QUALITATIVE[k % len(QUALITATIVE)],
                     "linestyle": LINESTYLES[(k // len(QUALITATIVE)) % len(LINESTYLES)]}
        k += 1
    return out


def save_figure(fig: Figure, path_stem: str | Path, formats: Sequence[str] = FORMATS,
                dpi: int = DPI) -> list[Path]:
    """Write ``fig`` as ``<path_stem>.<format>`` for each format.

    PDF and SVG are vector files with embedded (PDF) or editable (SVG) text; PNG
    is rasterised at ``dpi``. The saved area is the figure's drawn content plus
    a 0.03-inch margin, so nothing is clipped and no blank border is left.
    Creation dates are left out, so the same figure gives the same bytes on a
    rerun (diffable in git).

    Args:
        fig: the figure.
        path_stem: path without extension (an extension given is replaced).
        formats: any of ``pdf``, ``svg``, ``png``.
        dpi: resolution of the PNG.

    Returns:
        The written paths.
    """
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise InputError(f"unknown figure format '{bad[0]}'; allowed: " + ", ".join(FORMATS))
    stem = Path(path_stem)
    if stem.suffix.lstrip(".") in FORMATS:
        stem = stem.with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    metadata = {
        "pdf": {"Creator": "countysim", "Producer": None, "CreationDate": None},
        "svg": {"Creator": "countysim", "Date": None},
        "png": {"Software": "countysim"},
    }
    paths = []
    for fmt in formats:
        path = stem.parent / f"{stem.name}.{fmt}"  # keeps dots in the name
        with mpl.rc_context({"svg.hashsalt": "countysim"}):
            fig.savefig(path, format=fmt, dpi=dpi, metadata=metadata[fmt],
                        bbox_inches="tight", pad_inches=0.03)
        paths.append(path)
    return paths


def symmetric_limit(values: np.ndarray | Sequence[float], quantile: float = 1.0) -> float:
    """Half-width of a colour scale centred at 0 that covers ``values``.

    Args:
        values: the data (NaN ignored).
        quantile: share of |values| to cover (1.0: all; 0.98 clips outliers,
            which then show as colour-bar extensions).
    """
    a = np.abs(np.asarray(values, dtype=float))
    a = a[np.isfinite(a)]
    if a.size == 0:
        return 1.0
    limit = float(np.quantile(a, quantile))
    return limit if limit > 0 else 1.0


#: A white halo behind text drawn over maps and lines.
HALO = [patheffects.withStroke(linewidth=1.8, foreground="white")]


def legend_under_axis(ax: Axes, handles: Sequence[Any], title: str | None = None,
                       ncols: int = 1) -> None:
    """A legend under the x-axis label, a fixed distance in points below the axes."""
    ax.legend(handles=handles, title=title, loc="upper center", bbox_to_anchor=(0.5, 0.0),
              ncols=ncols, fontsize=6, title_fontsize=6, borderaxespad=4.8, frameon=False,
              handlelength=1.8, columnspacing=1.0)


def legend_below(ax: Axes, handles: Sequence[Any], title: str | None = None,
                  ncols: int | None = None) -> None:
    """A legend in a row under a map, outside the drawing."""
    ax.legend(handles=handles, title=title, loc="upper center", bbox_to_anchor=(0.5, -0.07),
              ncols=ncols or len(handles), fontsize=6, title_fontsize=6, frameon=False,
              handlelength=1.6, columnspacing=1.2, borderaxespad=0.0)
