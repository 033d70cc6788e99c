"""The calibrated ensemble: parameter vectors of a posterior sample, read and checked.

``sim/data/calibrated_ensemble.csv`` (written by ``countysim calibrate``, see
docs/validation/calibration/README.md) starts with ``# `` lines that say how it was
made (sampler, chain, seed, date, commit, caveats), then a header
``member,<parameter>,…`` naming the calibrated parameters only, then one row per
member. A parameter the file does not list takes its value from the package
defaults (``calibrated_parameters.toml`` over the literature priors), or from the
``base`` parameters given.

Batches draw ``n`` members from it (:func:`member_indices`: evenly spaced through
the file, the same ones every time); ``n = 1`` is the calibrated point estimate
itself, exactly the default parameters, so a batch without an ensemble is the batch
it always was (docs/batches.md, "Parameter uncertainty: ensembles").
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.base.errors import InputError
from sim.base.sources import data_file
from sim.model.parameters import Parameters, check_parameter_name, default_parameters

#: The packaged ensemble, in ``sim/data/``.
ENSEMBLE_FILE = "calibrated_ensemble.csv"
#: How to make one, for the message when it is missing.
MAKE_HINT = ("make one with countysim calibrate (it writes calibrated_ensemble.csv; copy it "
             "to sim/data/) or point ensemble_file at one")


@dataclass(frozen=True)
class Ensemble:
    """The members of an ensemble file, checked.

    Attributes:
        path: the file read.
        provenance: its ``# `` lines, without the ``# ``.
        names: the parameters it lists, in file order.
        labels: each row's ``member`` number, in file order.
        members: each row's values, name → value, in file order.
        sha256: the file's sha256.
    """

    path: Path
    provenance: tuple[str, ...]
    names: tuple[str, ...]
    labels: tuple[int, ...]
    members: tuple[dict[str, float], ...]
    sha256: str

    @property
    def size(self) -> int:
        """The number of members."""
        return len(self.members)

    def choose(self, n: int, field: str = "ensemble", source: str | None = None) -> list[int]:
        """Rows of ``n`` members (:func:`member_indices`), or InputError naming the file.

        Args:
            n: members wanted (≥ 1).
            field: the field that asked, for the message.
            source: the file that asked (a batch file), for the message.
        """
        if n > self.size:
            raise InputError(f"{field}: {n} members asked for, but {self.path} has "
                             f"{self.size}; ask for at most {self.size}", source=source)
        return member_indices(n, self.size)

    def digest(self, rows: list[int]) -> str:
        """A short hash of the values of some members (what a batch's runs depend on)."""
        text = json.dumps([self.members[i] for i in rows], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def member_indices(n: int, size: int) -> list[int]:
    """``n`` rows of ``size``, evenly spaced from the first to the last, both included.

    ``np.linspace(0, size − 1, n).round()``, as the calibration draws members from its
    chain. ``n = 1`` gives the first row (batches use the point estimate instead, see
    :func:`ensemble_parameters`). Distinct rows whenever ``n ≤ size`` (the spacing is
    at least 1).
    """
    if n < 1 or n > size:
        raise ValueError(f"cannot choose {n} of {size} members")
    return [int(i) for i in np.linspace(0, size - 1, n).round()]


def ensemble_path(path: str | Path | None = None) -> Path:
    """The ensemble file: ``path``, or the packaged ``sim/data/calibrated_ensemble.csv``."""
    return Path(path) if path is not None else Path(str(data_file(ENSEMBLE_FILE)))


def read_ensemble(path: str | Path | None = None, *, field: str = "ensemble",
                  source: str | None = None) -> Ensemble:
    """Read and check an ensemble file.

    Args:
        path: the file (default: the packaged one).
        field: the field that asked for it, for the message when it is missing.
        source: the file that asked (a batch file), for that message.

    Raises:
        InputError: the file is missing (naming ``field`` and ``source``), or a column
            is not a parameter, a value is not a number or outside its parameter's
            range, or the file has no member (naming the file, line and column).
    """
    path = ensemble_path(path)
    if not path.is_file():
        raise InputError(f"{field}: {path} not found; {MAKE_HINT}", source=source)
    raw = path.read_bytes()
    where = str(path)
    provenance: list[str] = []
    header: list[str] | None = None
    labels: list[int] = []
    members: list[dict[str, float]] = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{field}: not a UTF-8 text file (expected the CSV that "
                         f"countysim calibrate writes)", source=where) from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if line.startswith("#"):
            if header is None:
                provenance.append(line[1:].strip())
            continue
        cells = [c.strip() for c in line.split(",")]
        if header is None:
            header = _checked_header(cells, where)
            continue
        if len(cells) != len(header):
            raise InputError(f"line {number}: {len(cells)} values for {len(header)} columns "
                             f"({', '.join(header)})", source=where)
        labels.append(_member_label(cells[0], number, where))
        members.append({name: _value(name, text, number, where)
                        for name, text in zip(header[1:], cells[1:], strict=True)})
    if header is None or not members:
        raise InputError("no members: expected a header 'member,<parameter>,…' and one row "
                         "per member after the '# ' lines", source=where)
    if len(set(labels)) < len(labels):
        raise InputError("member: repeated member numbers; each row needs its own",
                         source=where)
    return Ensemble(path=path, provenance=tuple(provenance), names=tuple(header[1:]),
                    labels=tuple(labels), members=tuple(members),
                    sha256=hashlib.sha256(raw).hexdigest())


def _checked_header(cells: list[str], where: str) -> list[str]:
    if not cells or cells[0] != "member":
        raise InputError(f"header: the first column must be 'member', got {cells[0]!r}",
                         source=where)
    if len(cells) < 2:
        raise InputError("header: no parameter columns after 'member'", source=where)
    seen: set[str] = set()
    for name in cells[1:]:
        check_parameter_name(name, f"header: column '{name}'", source=where)
        if name in seen:
            raise InputError(f"header: column '{name}' twice", source=where)
        seen.add(name)
    return cells


def _member_label(text: str, number: int, where: str) -> int:
    try:
        label = int(text)
    except ValueError:
        label = -1
    if label < 0:
        raise InputError(f"line {number}: member {text!r} is not a whole number ≥ 0",
                         source=where)
    return label


def _value(name: str, text: str, number: int, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"line {number}: {name} = {text!r} is not a number",
                         source=where) from None
    lo, hi = Parameters.specs()[name].bounds
    if not lo <= value <= hi:  # also NaN
        raise InputError(f"line {number}: {name} = {value:g} is outside its allowed range "
                         f"[{lo:g}, {hi:g}] (docs/parameters.md)", source=where)
    return value


def ensemble_members(path: str | Path | None = None) -> list[dict[str, float]]:
    """Every member of an ensemble file (default: the packaged one), name → value.

    Raises:
        InputError: as :func:`read_ensemble`.
    """
    return [dict(m) for m in read_ensemble(path).members]


def ensemble_parameters(n: int, path: str | Path | None = None,
                        base: Parameters | None = None) -> list[Parameters]:
    """``n`` parameter sets of the calibrated ensemble, the same ones every time.

    Args:
        n: how many (≥ 1). ``1`` is the calibrated point estimate, ``base`` itself
            (the file is not read); more are members evenly spaced through the file
            (:func:`member_indices`).
        path: the ensemble file (default: the packaged one).
        base: the values of the parameters the file does not list (default: the
            package defaults, :func:`~sim.model.parameters.default_parameters`).

    Raises:
        InputError: ``n`` is not a whole number ≥ 1 or exceeds the file's members; the
            file is missing or malformed (:func:`read_ensemble`).
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"ensemble: expected a whole number ≥ 1, got {n!r}")
    base = default_parameters() if base is None else base
    if n == 1:
        return [base]
    ensemble = read_ensemble(path)
    return [base.replace(**ensemble.members[i]) for i in ensemble.choose(n)]
