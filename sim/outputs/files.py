"""Writing results files atomically: Parquet tables, JSON and text.

Every file is written to a temporary name next to its target and renamed over it,
so a folder never holds half a table, whenever the writer stops. Files get the
permissions the umask allows (as ``open`` would give them), not the owner-only
mode of temporary files. A file that cannot be written — a full disk, a
read-only folder, no permission — raises :class:`WriteError`, one line naming
the folder and the cause.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.base.errors import InputError
from sim.model.schema import Columns

#: How the causes of failed writes are named.
_CAUSES = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "no permission to write",
    errno.EPERM: "no permission to write",
    errno.EFBIG: "file too large for the file system",
}


class WriteError(InputError):
    """A results file could not be written (disk full, read-only, no permission …).

    Attributes:
        folder: the results folder (as the message names it).
        cause: what went wrong, e.g. ``disk full (No space left on device)``.
        target: the file that was being written, relative to ``folder`` if inside it.
        hint: what to do, appended to the message (may be empty).
    """

    def __init__(self, folder: str, cause: str, target: str, hint: str = "") -> None:
        self.folder, self.cause, self.target, self.hint = folder, cause, target, hint
        super().__init__(f"{cause} while writing {target}" + (f"; {hint}" if hint else ""),
                         source=folder)

    def __reduce__(self) -> tuple:
        return (WriteError, (self.folder, self.cause, self.target, self.hint))

    @classmethod
    def from_os_error(cls, err: OSError, path: Path) -> WriteError:
        """The error of a failed write of ``path`` (its folder named as the results folder)."""
        why = err.strerror or type(err).__name__
        named = _CAUSES.get(err.errno)
        cause = f"{named} ({why})" if named else f"cannot write ({why})"
        return cls(str(path.parent), cause, path.name)

    def in_folder(self, folder: str | Path, hint: str = "") -> WriteError:
        """The same error naming ``folder`` (a results folder above the file's own)."""
        full = Path(self.folder) / self.target
        target = str(full)
        for base in (Path(folder), Path(folder).resolve()):
            if full.is_relative_to(base):
                target = str(full.relative_to(base))
                break
        return WriteError(str(folder), self.cause, target, hint or self.hint)


def _honour_umask(fd: int) -> None:
    """Give a temporary file (owner-only, as mkstemp makes it) the mode of a new file."""
    try:
        os.fchmod(fd, file_mode())
    except OSError:  # file systems without modes (some network mounts)
        pass


@cache
def file_mode() -> int:
    """The mode new files get under this process's umask (read once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def write_parquet_atomic(table: pd.DataFrame | Columns, path: Path) -> None:
    """Write a table to a temporary file next to ``path``, then rename it.

    The table is a DataFrame or its columns (see :data:`sim.model.recorder.Columns`),
    encoded in memory and written with one system call: batches write three
    tables per run, and Arrow's own file writer, with many small writes, took
    several times longer than the encoding. Text columns are dictionary-encoded
    and numbers are not (run tables repeat names, rarely numbers). The index is
    not written.
    """
    _write_atomic(parquet_bytes(table), path)


def parquet_bytes(table: pd.DataFrame | Columns) -> memoryview:
    """A table (DataFrame or columns) encoded as a Parquet file, in memory."""
    if isinstance(table, pd.DataFrame):
        if not all(_simple(t) for t in table.dtypes):
            # Other types (objects, nullable numbers) need pandas' metadata to read back.
            return _write(pa.Table.from_pandas(table, preserve_index=False))
        table = dict(table.items())
    if all(len(values) == 0 for values in table.values()):
        # Every run without levers writes the same empty levers table.
        key = tuple((str(name), str(values.dtype)) for name, values in table.items())
        if key not in _EMPTY_PARQUET:
            _EMPTY_PARQUET[key] = _write(_arrow_table(table))
        return _EMPTY_PARQUET[key]
    return _write(_arrow_table(table))


def _simple(dtype: Any) -> bool:
    """Types that read back from Parquet as themselves without pandas metadata."""
    return isinstance(dtype, np.dtype | pd.CategoricalDtype | pd.StringDtype | pd.DatetimeTZDtype)


_EMPTY_PARQUET: dict[tuple, memoryview] = {}


def _arrow_table(columns: Columns) -> pa.Table:
    # Column by column is faster than pa.Table.from_pandas (no pandas metadata is
    # built); simple types still read back the same: categoricals as dictionaries,
    # text as strings, numbers and times as themselves.
    return pa.Table.from_arrays([_arrow_array(values) for values in columns.values()],
                                names=[str(name) for name in columns])


def _arrow_array(values: Any) -> pa.Array:
    if isinstance(values, pd.Series):
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.array
        elif isinstance(values.dtype, np.dtype) and values.dtype.kind in "fiub":
            values = values.to_numpy()
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiub":
        return pa.array(values)  # NaN stays NaN (not null), as numpy has it
    if isinstance(values, pd.Categorical):
        return pa.DictionaryArray.from_arrays(values.codes, _dictionary(values.dtype),
                                              from_pandas=True)
    return pa.Array.from_pandas(values)


@lru_cache(maxsize=256)
def _dictionary(dtype: pd.CategoricalDtype) -> pa.Array:
    # The labels of a categorical type (run ids, names, lever ids) recur in every
    # table of a run; their Arrow array is built once.
    return pa.Array.from_pandas(dtype.categories)


def _write(arrow: pa.Table) -> memoryview:
    # Dictionary-encode labels only (categoricals and text); numbers rarely repeat,
    # and trying to dictionary-encode them doubles the writing time. Min/max
    # statistics, which let readers skip parts by a filter, are kept for labels
    # and whole numbers (run ids, years, codes), the columns filters name.
    labels = [f.name for f in arrow.schema
              if pa.types.is_dictionary(f.type) or pa.types.is_string(f.type)
              or pa.types.is_large_string(f.type)]
    keys = labels + [f.name for f in arrow.schema if pa.types.is_integer(f.type)]
    sink = pa.BufferOutputStream()
    pq.write_table(arrow, sink, use_dictionary=labels or False,
                   write_statistics=keys or False)
    return memoryview(sink.getvalue())


def write_text_atomic(text: str, path: Path) -> None:
    """Write text to a temporary file next to ``path``, then rename it."""
    _write_atomic(text.encode("utf-8"), path)


def write_json_atomic(obj: Any, path: Path, *, indent: int = 2,
                      allow_nan: bool = True) -> None:
    """Write an object as JSON to a temporary file next to ``path``, then rename it.

    The text is UTF-8 (not ASCII-escaped), indented, with one trailing newline.

    Args:
        obj: what :func:`json.dumps` accepts.
        path: the file.
        indent: spaces per nesting level.
        allow_nan: write NaN and infinities as ``NaN``/``Infinity`` (not strict
            JSON); if False they raise ValueError.
    """
    write_text_atomic(json.dumps(obj, indent=indent, ensure_ascii=False,
                                 allow_nan=allow_nan) + "\n", path)


def _write_atomic(data: bytes | memoryview, path: Path) -> None:
    """Write bytes to a temporary file next to ``path``, then rename it over ``path``.

    Raises:
        WriteError: the file could not be written (nothing is left behind).
    """
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise WriteError.from_os_error(err, path) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            _honour_umask(fh.fileno())
            fh.write(data)
        os.replace(tmp, path)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise WriteError.from_os_error(err, path) from None
        raise
