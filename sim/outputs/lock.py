"""A lock on a results folder, held by the one process writing it.

The lock is an ``flock`` on the file ``.countysim.lock`` in the folder. The
kernel releases it whenever its holder exits — normally, by an exception, or
killed by SIGKILL — so a lock can never outlive the process that took it: a
lock file left by a process that is gone is not locked, and the next batch
takes it over. (On a network file system the lock goes through the file
server; a lost node's locks end with its lease.) The file also holds who took
the lock (process id, host, start time), for the message that refuses a second
writer.

Why not ``filelock``: its Unix lock is this same ``flock`` (its soft lock, the one
with stale-lock timeouts, is for file systems without locks), and it does not
say who holds a lock.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from sim.base.errors import InputError
from sim.outputs.files import WriteError

try:
    import fcntl
except ImportError:  # Windows: no locking (documented in docs/batches.md)
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = ".countysim.lock"


class FolderLock:
    """An exclusive lock on a results folder; a context manager.

    Args:
        folder: the results folder (it must exist).

    Raises:
        InputError: another process holds the lock (named in the message).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_FILE
        self.fd: int | None = None

    def acquire(self) -> FolderLock:
        """Take the lock, or raise :class:`InputError` naming its holder."""
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as err:
            raise WriteError.from_os_error(err, self.path) from None
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = _describe(_read(fd))
                os.close(fd)
                raise InputError(f"another countysim process is writing this folder "
                                 f"({holder}); wait for it to finish or stop it, then run "
                                 "again (the lock ends when that process exits)",
                                 source=str(self.folder)) from None
        try:  # who holds it; a full disk only loses this note
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(holder_info()).encode(), 0)
        except OSError:
            pass
        self.fd = fd
        return self

    def release(self) -> None:
        """Release the lock (closing the file releases the flock)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def holder_info() -> dict[str, object]:
    """What the lock file says of its holder."""
    return {"pid": os.getpid(), "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds")}


def _read(fd: int) -> dict[str, object]:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _describe(info: dict[str, object]) -> str:
    if not info:
        return "a process that has not yet said who it is"
    return f"process {info.get('pid')} on {info.get('host')}, since {info.get('since')}"
