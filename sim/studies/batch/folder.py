"""The results folder of a batch: checked, locked, and given its manifest.

:func:`check_folder` looks at the folder before anything starts (no writes), so
bad input stops before an executor is made; :func:`open_folder` then creates
the folder, takes its lock (:class:`~sim.outputs.lock.FolderLock`, held until
the batch ends, however it ends) and checks again under the lock, so two
batches started at the same moment into one folder cannot both pass. A new
batch writes its manifest before anything else, so a folder that could not
even take the manifest (a full disk) is left as it was found.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.base.errors import InputError
from sim.outputs.files import WriteError, write_json_atomic
from sim.outputs.lock import LOCK_FILE, FolderLock
from sim.outputs.provenance import environment, versions
from sim.outputs.results import MANIFEST
from sim.outputs.store import read_manifest, remove_temporaries
from sim.studies.batch.spec import BatchSpec, RunSpec

#: What to do after a write failed in a batch.
RESUME_HINT = ("parts written so far are kept; free space (or make the folder writable) and "
               "run again with --resume")


def check_folder(out: Path, spec: BatchSpec, resume: bool) -> None:
    """Refuse a results folder that cannot take this batch, writing nothing.

    Raises:
        InputError: ``out`` is a file; holds another batch or other files (without
            ``resume``); or holds a batch of another spec (with ``resume``).
    """
    if out.exists() and not out.is_dir():
        raise InputError("results folder is a file", source=str(out))
    if out.is_dir():
        _batch_here(out, spec, resume, None)


def open_folder(out: Path, spec: BatchSpec, plan: list[RunSpec], resume: bool,
                session: dict[str, Any]) -> tuple[dict[str, Any], FolderLock]:
    """Create and lock ``out``; return the manifest (a new batch's, or the one to resume).

    With ``resume`` and no batch in ``out`` yet, the batch starts (and says so on
    stderr): a job script that always resumes works on its first run too.

    Raises:
        InputError: as :func:`check_folder`, another process holds the folder's lock,
            or the folder cannot be created.
        WriteError: the manifest could not be written (the folder is left as found).
    """
    if out.exists() and not out.is_dir():
        raise InputError("results folder is a file", source=str(out))
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        cause = WriteError.from_os_error(err, out).cause
        raise InputError(f"cannot create the results folder: {cause}", source=str(out)) from None
    lock = FolderLock(out)
    try:
        lock.acquire()
        manifest = _batch_here(out, spec, resume, session)
        if manifest is None:
            if resume:
                print(f"countysim: {out}: no batch here yet; starting it", file=sys.stderr)
            manifest = _create(out, spec, plan, session)
        for table in spec.output_tables:  # (a batch stopped before it made them)
            (out / table).mkdir(exist_ok=True)
        return manifest, lock
    except BaseException:
        lock.release()
        if created:
            _remove_if_empty(out)
        raise


def _batch_here(out: Path, spec: BatchSpec, resume: bool,
                session: dict[str, Any] | None) -> dict[str, Any] | None:
    """The manifest of the batch to resume in ``out``, or None for a new batch.

    ``session`` is None for the first look (:func:`check_folder`): nothing is
    changed or printed then.
    """
    if not (out / MANIFEST).is_file():
        if not _holds_nothing(out):
            raise InputError("results folder is not empty and holds no batch (no "
                             "manifest.json); choose an empty or new folder with --out",
                             source=str(out))
        return None
    if not resume:
        raise InputError("results folder is not empty; add --resume to finish it, or "
                         "choose another --out", source=str(out))
    manifest = read_manifest(out)
    if manifest.get("fingerprint") != spec.fingerprint():
        changed = differences(manifest.get("identity", {}), spec.identity())
        raise InputError(f"cannot resume: the batch spec changed since this folder was "
                         f"started ({changed}); resuming would mix two batches, so run "
                         "the changed spec into a new --out folder", source=str(out))
    if session is not None:
        if manifest.get("git_commit") != session["git_commit"]:
            print(f"countysim: warning: resuming with countysim at commit "
                  f"{session['git_commit']}; the batch began at {manifest.get('git_commit')}",
                  file=sys.stderr)
        remove_temporaries(out, spec.output_tables)
    return manifest


def _holds_nothing(out: Path) -> bool:
    """No files but a lock, temporaries and empty folders (what a failed start leaves)."""
    for entry in out.iterdir():
        if entry.name == LOCK_FILE or (entry.name.startswith(".")
                                       and entry.name.endswith(".tmp")):
            continue
        if entry.is_dir() and not any(entry.iterdir()):
            continue
        return False
    return True


def _remove_if_empty(out: Path) -> None:
    """Remove a folder this call created, if nothing but its lock is in it."""
    try:
        (out / LOCK_FILE).unlink(missing_ok=True)
        out.rmdir()
    except OSError:
        pass


def _create(out: Path, spec: BatchSpec, plan: list[RunSpec],
            session: dict[str, Any]) -> dict[str, Any]:
    """Write the manifest of a new batch (before any other file); return it."""
    manifest = {
        "kind": "countysim batch",
        "format": 1,
        "spec": spec.to_data(),
        "batch_file": _file_entry(spec.source),
        "scenarios": [{"name": s.name, **_file_entry(s.source), "digest": s.digest(),
                       "replicates": spec.replicates_of(s), "definition": s.canonical()}
                      for s in spec.scenarios],
        "root_seed": spec.seed,
        "common_random_numbers": spec.common_random_numbers,
        "ensemble": spec.ensemble_record,
        "tables": list(spec.output_tables),
        "runs_planned": len(plan),
        "identity": spec.identity(),
        "fingerprint": spec.fingerprint(),
        "versions": versions(),
        "environment": environment(),
        "git_commit": session["git_commit"],
        "created": session["started"],
        "finished": None,
        "sessions": [],
    }
    try:
        write_manifest(out, manifest)
    except WriteError as err:
        raise err.in_folder(out, "nothing was written; free space or choose another --out"
                            ) from None
    return manifest


def write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    """Write a batch manifest atomically."""
    write_json_atomic(manifest, out / MANIFEST)


def _file_entry(path: str | None) -> dict[str, Any]:
    """A file's path and sha256 (None for specs and scenarios built in Python)."""
    if path is None or not Path(path).is_file():
        return {"file": path, "sha256": None}
    return {"file": str(path), "sha256": hashlib.sha256(Path(path).read_bytes()).hexdigest()}


def differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """Name what differs between two spec identities, e.g. 'replicates, sweep'."""
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key == "scenarios" and isinstance(a, dict) and isinstance(b, dict):
            names = sorted(n for n in set(a) | set(b) if a.get(n) != b.get(n))
            out.append("scenarios: " + ", ".join(
                f"'{n}' " + ("added" if n not in a else "removed" if n not in b
                             else "edited") for n in names))
        else:
            out.append(f"{key}: {_short(a)} → {_short(b)}")
    return "; ".join(out) or "unknown difference"


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."
