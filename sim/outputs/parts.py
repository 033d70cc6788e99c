"""The Parquet parts of a batch store: where they live and which of them are whole.

A part is written to a temporary name and renamed, so a writer that stops leaves
it whole or absent. A part can still be damaged after the rename: a node lost
before the file system wrote the data out, a disk that filled, a file truncated
or overwritten by hand. :func:`parts_present` therefore counts only parts that
look whole — the Parquet magic ``PAR1`` at both ends and a footer that fits in
the file — and :attr:`sim.outputs.store.Batch.runs`, the one rule for done,
goes by it: a damaged part leaves its run missing, ``--resume`` removes it and
runs the run again, and readers never open it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

MAGIC = b"PAR1"
#: Parts whose check passed: path → (inode, size, mtime) when it passed.
_CHECKED: dict[str, tuple[int, int, int]] = {}
#: Checked parts remembered at most (a long session may open many batches).
_CHECKED_MAX = 1_000_000


def part_path(out: Path, table: str, run_id: str) -> Path:
    """Where one run's part of one table lives."""
    return out / table / f"part-{run_id}.parquet"


def _run_id(name: str) -> str | None:
    if name.startswith("part-") and name.endswith(".parquet"):
        return name[5:-8]
    return None


def parts_present(out: Path, table: str) -> set[str]:
    """Run ids that have a whole part of ``table`` (see :func:`part_is_whole`).

    One directory listing and one ``stat`` per part; each part's bytes are read
    once per process, and again only if the file changed.
    """
    return {rid for rid, ok in _scan(out / table) if ok}


def damaged_parts(out: Path, table: str) -> list[Path]:
    """Parts of ``table`` that are not whole (their runs are not done)."""
    return [part_path(out, table, rid) for rid, ok in _scan(out / table) if not ok]


def _scan(folder: Path) -> Iterable[tuple[str, bool]]:
    if not folder.is_dir():
        return []
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            rid = _run_id(entry.name)
            if rid is None:
                continue
            try:
                st = entry.stat()
            except FileNotFoundError:  # removed while listing
                continue
            key = (st.st_ino, st.st_size, st.st_mtime_ns)
            ok = _CHECKED.get(entry.path) == key
            if not ok:
                ok = part_is_whole(entry.path, st.st_size)
                if ok:
                    if len(_CHECKED) >= _CHECKED_MAX:
                        _CHECKED.clear()
                    _CHECKED[entry.path] = key
            found.append((rid, ok))
    return found


def part_is_whole(path: str | Path, size: int | None = None) -> bool:
    """Whether a file looks like a whole Parquet file.

    A Parquet file starts and ends with ``PAR1``, and the four bytes before the
    final magic give the length of the footer (the file's metadata: schema, row
    groups and their row counts), which must fit between the magics. A file cut
    short anywhere fails this; reading its footer would raise ``ArrowInvalid``.
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        size = os.fstat(fd).st_size if size is None else size
        if size < 12:
            return False
        head, tail = os.pread(fd, 4, 0), os.pread(fd, 8, size - 8)
    except OSError:
        return False
    finally:
        os.close(fd)
    footer = int.from_bytes(tail[:4], "little")
    return head == MAGIC and tail[4:] == MAGIC and 0 < footer <= size - 12


def done_runs(out: Path, tables: Sequence[str]) -> set[str]:
    """Run ids with a whole part in every one of ``tables``."""
    sets = [parts_present(out, t) for t in tables]
    return set.intersection(*sets) if sets else set()


def remove_temporaries(out: Path, tables: Sequence[str]) -> int:
    """Delete temporary files left by killed writers, and damaged parts; return how many."""
    removed = 0
    for t in tables:
        folder = out / t
        if folder.is_dir():
            for f in [*folder.glob(".*.tmp"), *damaged_parts(out, t)]:
                f.unlink(missing_ok=True)
                removed += 1
    return removed


def remove_parts(out: Path, tables: Iterable[str], run_id: str) -> None:
    """Delete every part of one run (a failed or incomplete run)."""
    for t in tables:
        part_path(out, t, run_id).unlink(missing_ok=True)
