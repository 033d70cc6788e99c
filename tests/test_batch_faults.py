"""Batches that stop in every way: nothing done is lost, --resume finishes, one-line errors.

Issue 17: a lock on the results folder, damaged parts and runs tables, a full or
read-only disk, SIGTERM, workers that die with the batch, Ctrl-C while workers
start, the executor chosen from the work, and the fault-injection test.
"""

from __future__ import annotations

import dataclasses
import errno
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import faults
import pandas as pd
import pytest
from conftest import SCENARIOS

import sim
import sim.outputs.files as files
import sim.studies.batch.pools as pools
from sim.apps.cli import main
from sim.outputs.lock import LOCK_FILE, FolderLock
from sim.outputs.parts import part_is_whole
from sim.outputs.store import done_runs

TABLES = faults.TABLES


@pytest.fixture(scope="module")
def batch_file(tmp_path_factory) -> Path:
    return faults.write_batch(tmp_path_factory.mktemp("spec"), replicates=4)


@pytest.fixture(scope="module")
def reference(batch_file, tmp_path_factory) -> sim.Batch:
    return sim.run_batch(batch_file, tmp_path_factory.mktemp("ref") / "out",
                         executor="serial", progress=False)


def copy(batch: sim.Batch, to: Path) -> Path:
    shutil.copytree(batch.path, to)
    return to


# -- the lock ------------------------------------------------------------------------------


def test_two_batches_started_at_once_into_one_folder(batch_file, reference, tmp_path,
                                                      monkeypatch):
    """The second waits for nothing and runs nothing: it is refused while the first holds
    the lock, naming the holder; the first's folder matches an uninterrupted batch."""
    out = tmp_path / "out"
    inside = threading.Event()
    release = threading.Event()
    real = pools.run_chunk

    def slow(chunk, *args):
        inside.set()
        release.wait(30)
        return real(chunk, *args)

    monkeypatch.setattr(pools, "run_chunk", slow)
    first = threading.Thread(target=sim.run_batch, args=(batch_file, out),
                             kwargs={"executor": "serial", "progress": False})
    first.start()
    try:
        assert inside.wait(30)
        with pytest.raises(sim.InputError) as err:
            sim.run_batch(batch_file, out, executor="serial", resume=True)
        assert_locked(err.value, out)
    finally:
        release.set()
        first.join()
    assert faults.same_tables(reference.path, out)


def assert_locked(err: Exception, out: Path) -> None:
    host = json.loads((out / LOCK_FILE).read_text())["host"]
    assert str(err).startswith(f"{out}: another countysim process is writing this folder "
                               f"(process {os.getpid()} on {host}, since ")
    assert str(err).endswith("); wait for it to finish or stop it, then run again (the lock "
                             "ends when that process exits)")


def test_two_new_batches_at_the_same_instant(batch_file, tmp_path):
    """Both find the folder empty; the one that comes second to the lock is refused."""
    out = tmp_path / "out"
    out.mkdir()
    with FolderLock(out):  # the first, between its look at the folder and its manifest
        with pytest.raises(sim.InputError) as err:
            sim.run_batch(batch_file, out, executor="serial")
        assert_locked(err.value, out)
    assert not (out / "manifest.json").exists()


def test_a_lock_left_by_a_killed_process_is_taken_over(batch_file, reference, tmp_path):
    out = copy(reference, tmp_path / "out")
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(out / LOCK_FILE)!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\nos.ftruncate(fd, 0)\n"
        "os.write(fd, b'{\"pid\": 1, \"host\": \"elsewhere\", \"since\": \"then\"}')\n"
        "print('locked', flush=True)\ntime.sleep(60)\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        with pytest.raises(sim.InputError, match=r"\(process 1 on elsewhere, since then\)"):
            sim.run_batch(batch_file, out, executor="serial", resume=True)
    finally:
        holder.kill()
        holder.wait()
    # SIGKILL released the flock; the file it left behind is no lock.
    resumed = sim.run_batch(batch_file, out, executor="serial", resume=True, progress=False)
    assert resumed.session["ran"] == 0
    fd = os.open(out / LOCK_FILE, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released after the batch
    finally:
        os.close(fd)


# -- damaged parts and runs tables -----------------------------------------------------------


def test_a_truncated_part_is_not_done_and_is_redone(batch_file, reference, tmp_path, capsys):
    out = copy(reference, tmp_path / "out")
    victim = sorted((out / "county_year").glob("part-*.parquet"))[1]
    os.truncate(victim, victim.stat().st_size - 100)
    assert not part_is_whole(victim)
    batch = sim.load_batch(out)
    assert batch.counts() == {"done": 3, "failed": 0, "missing": 1}
    assert len(batch.county_year["run_id"].unique()) == 3  # readers never open it
    assert main(["status", str(out)]) == 1
    assert "4 runs: 3 done, 0 failed, 1 missing" in capsys.readouterr().out
    resumed = sim.run_batch(batch_file, out, executor="serial", resume=True, progress=False)
    assert resumed.session["ran"] == 1 and part_is_whole(victim)
    assert faults.same_tables(reference.path, out)


@pytest.mark.parametrize("damage", ["truncate", "delete"])
def test_a_damaged_runs_table_is_rebuilt_from_the_parts(batch_file, reference, tmp_path,
                                                        capsys, damage):
    out = copy(reference, tmp_path / "out")
    (out / "region_year" / sorted(os.listdir(out / "region_year"))[0]).unlink()
    if damage == "truncate":
        os.truncate(out / "runs.parquet", 40)
    else:
        (out / "runs.parquet").unlink()
    assert main(["status", str(out)]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"faults ({out}): 4 runs: 3 done, 0 failed, 1 missing"
    assert printed[1] == ("runs.parquet is missing or unreadable: done runs are read from "
                          "their parts (errors of failed runs are lost; --resume rewrites it)")
    resumed = sim.run_batch(batch_file, out, executor="serial", resume=True, progress=False)
    assert resumed.session["ran"] == 1
    assert faults.same_tables(reference.path, out)


@pytest.mark.parametrize(("text", "message"), [
    ("[1, 2]", "not a batch results folder (manifest.json is not a batch manifest; use "
               "sim.load_results for single runs)"),
    ('{"kind": "countysim batch"}', "manifest.json: damaged batch manifest (missing spec, "
     "tables, scenarios, root_seed, runs_planned, created, finished, sessions, fingerprint)"),
])
def test_a_damaged_manifest_is_one_line(reference, tmp_path, capsys, text, message):
    out = copy(reference, tmp_path / "out")
    (out / "manifest.json").write_text(text)
    assert main(["status", str(out)]) == 2
    assert capsys.readouterr().err == f"countysim: error: {out}: {message}\n"


# -- a full disk, a read-only folder ----------------------------------------------------------


def failing_writes(monkeypatch, after: int, code: int = errno.ENOSPC) -> None:
    """The (after+1)-th atomic write and every later one fail with ``code``."""
    real, count = files._write_atomic, [0]

    def write(data, path):
        count[0] += 1
        if count[0] > after:
            raise files.WriteError.from_os_error(OSError(code, os.strerror(code)), path)
        real(data, path)

    monkeypatch.setattr(files, "_write_atomic", write)


def test_disk_full_mid_batch_stops_with_one_line_and_keeps_the_parts(
        batch_file, reference, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    failing_writes(monkeypatch, after=2 + 3 * 2)  # manifest, runs table, two runs' parts
    assert main(["batch", str(batch_file), "--out", str(out), "--workers", "1",
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"countysim: error: {out}: disk full (No space left on device) "
                          "while writing county_year/part-")
    assert err.endswith(".parquet; parts written so far are kept; free space (or make the "
                        "folder writable) and run again with --resume\n")
    assert len(done_runs(out, TABLES)) == 2  # not every run left marked failed
    monkeypatch.undo()
    resumed = sim.run_batch(batch_file, out, executor="serial", resume=True, progress=False)
    assert resumed.session["ran"] == 2
    assert faults.same_tables(reference.path, out)


def test_no_room_for_the_manifest_leaves_nothing_behind(batch_file, tmp_path, monkeypatch,
                                                        capsys):
    out = tmp_path / "new"
    failing_writes(monkeypatch, after=0)
    assert main(["batch", str(batch_file), "--out", str(out), "--quiet"]) == 2
    assert capsys.readouterr().err == (
        f"countysim: error: {out}: disk full (No space left on device) while writing "
        "manifest.json; nothing was written; free space or choose another --out\n")
    assert not out.exists()
    monkeypatch.undo()
    out.mkdir()
    (out / "county_year").mkdir()  # what an older countysim left: no longer in the way
    (out / LOCK_FILE).write_text("")
    assert main(["batch", str(batch_file), "--out", str(out), "--quiet", "--resume"]) == 0


def test_a_read_only_folder_is_one_line(batch_file, reference, tmp_path, monkeypatch, capsys):
    out = copy(reference, tmp_path / "out")
    (out / "runs.parquet").unlink()
    failing_writes(monkeypatch, after=0, code=errno.EROFS)
    assert main(["batch", str(batch_file), "--out", str(out), "--resume", "--quiet"]) == 2
    assert capsys.readouterr().err == (
        f"countysim: error: {out}: read-only file system (Read-only file system) while "
        "writing runs.parquet; parts written so far are kept; free space (or make the folder "
        "writable) and run again with --resume\n")
    assert len(done_runs(out, TABLES)) == 4


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_written_files_honour_the_umask(tmp_path, umask):
    old = os.umask(umask)
    files.file_mode.cache_clear()
    try:
        files.write_text_atomic("x", tmp_path / "a.txt")
    finally:
        os.umask(old)
        files.file_mode.cache_clear()
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~umask


# -- signals and workers ------------------------------------------------------------------


def wait_until(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def alive(pid: int) -> bool:
    return pools.process_alive(pid)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_workers_die_with_the_batch_process(tmp_path, sig):
    batch = faults.write_batch(tmp_path / "spec", replicates=400)
    out = tmp_path / "out"
    proc = faults.start(faults.command(batch, out, "--workers", "2"))
    try:
        faults.wait_for_runs(proc, out, 2)
        workers = [k for k in faults.children(proc.pid) if faults._is_worker(k)]
        assert workers
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        wait_until(lambda: not any(alive(w) for w in workers), timeout=10)
    finally:
        proc.kill()
    if sig == signal.SIGTERM:
        assert proc.returncode == 143
        assert err.startswith("countysim: terminated (SIGTERM); ")
        assert err.endswith(f"--out {out} --resume\n")


def test_ctrl_c_while_workers_start_is_one_line(tmp_path):
    batch = faults.write_batch(tmp_path / "spec", replicates=200)
    out = tmp_path / "out"
    proc = faults.start(faults.command(batch, out, "--workers", "2"))
    wait_until(lambda: (out / "manifest.json").is_file())
    time.sleep(0.3)  # the forkserver and the workers are starting now
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "KeyboardInterrupt" not in err, err
    assert err.startswith("countysim: interrupted")
    # Rarely (under load), a worker still being forked when the batch exits prints the
    # traceback of its failed start (its parent's semaphores are gone); see docs/batches.md.


def test_the_default_executor_keeps_small_batches_serial(reference, batch_file, tmp_path,
                                                         monkeypatch):
    batch = sim.run_batch(batch_file, tmp_path / "out", progress=False)
    assert batch.session["executor"] == "serial (auto)"
    monkeypatch.setattr(pools, "_measured_startup", [])  # as in a new process
    pool = pools.AutoPool(2, runs=1000)
    pool.times = [0.5, 0.02, 0.02]
    assert pool.worth_starting()  # 20 s of work left
    pool.left = 100
    assert not pool.worth_starting()  # 2 s: starting workers would not pay
    assert not pools.AutoPool(1, runs=10**6).worth_starting()


# -- fault injection --------------------------------------------------------------------------


def check_outcomes(outcomes) -> None:
    lost = [(o.fault, o.runs_lost) for o in outcomes if o.runs_lost or not o.identical]
    assert not lost, lost
    for o in outcomes:
        assert not o.traceback, (o.fault, o.stderr)


TRACKER_KEYERROR = """\
Traceback (most recent call last):
  File "/usr/lib/python3.13/multiprocessing/resource_tracker.py", line 254, in main
    cache[rtype].remove(name)
    ~~~~~~~~~~~~~~~~~~~^^^^^^
KeyError: '/mp-30yi8lnu'
"""


def test_only_the_resource_trackers_keyerror_is_not_counted_as_a_traceback():
    outcome = faults.Outcome("worker_killed", 0, 0, True, 0, "countysim: stopped\n")
    assert not outcome.traceback
    assert not dataclasses.replace(outcome, stderr=TRACKER_KEYERROR).traceback
    ours = ('Traceback (most recent call last):\n  File "/work/sim/x.py", line 3, in f\n'
            "KeyError: 'a'\n")
    assert dataclasses.replace(outcome, stderr=TRACKER_KEYERROR + ours).traceback
    assert dataclasses.replace(outcome, stderr=ours).traceback


def test_fault_injection_quick(tmp_path):
    """Four ways a batch stops, on 16 runs: --resume completes with identical tables (the
    full variant, marked slow, tries every fault three times on 300 runs)."""
    outcomes = faults.run_faults(tmp_path, faults=(
        "sigint_early", "sigkill", "killed_writing_part", "disk_full"), replicates=16, seed=5)
    check_outcomes(outcomes)


@pytest.mark.slow
def test_fault_injection_full(tmp_path):
    """Every fault three times on 300 runs, at random moments; a real small tmpfs fills."""
    tmpfs = tmp_path / "tmpfs"
    mounted = faults.mount_tmpfs(tmpfs)
    try:
        for seed in (1, 2, 3):
            check_outcomes(faults.run_faults(tmp_path / str(seed), replicates=300, seed=seed,
                                             tmpfs=tmpfs if mounted else None))
    finally:
        if mounted:
            faults.unmount(tmpfs)


# -- one-line errors of the command line -------------------------------------------------


def test_run_refuses_folders_of_another_kind_before_simulating(reference, tmp_path, capsys):
    scenario = str(SCENARIOS / "baseline.toml")
    cases = {
        reference.path: "results folder holds a batch's results or other files (county_year, "
                        "levers_year, region_year); a run writes into a new or empty folder, "
                        "or over an earlier run's: choose another --out",
        Path("/dev/null"): "results folder is a file; a run writes a folder of tables",
        tmp_path / "file" / "x": "cannot write the results folder: cannot write (Not a "
                                 "directory)",
    }
    (tmp_path / "file").write_text("")
    for out, message in cases.items():
        assert main(["run", scenario, "--out", str(out), "--quiet"]) == 2
        assert capsys.readouterr().err == f"countysim: error: {out}: {message}\n"
    assert (reference.path / "manifest.json").is_file()


@pytest.mark.parametrize(("argv", "message"), [
    (["run", "S", "--seed", str(2**63)], "countysim run: error: argument --seed: seed must be a "
     f"whole number from 0 to {2**63 - 1}, got {2**63} (see countysim run --help)"),
    (["run", "S", "--seed", str(2**70)], "countysim run: error: argument --seed: seed must be a "
     f"whole number from 0 to {2**63 - 1}, got {2**70} (see countysim run --help)"),
    (["batch", "B", "--scheduler", "not a url"], "countysim batch: error: argument --scheduler: "
     "--scheduler: 'not a url' is not a scheduler address; write [protocol://]host:port, e.g. "
     "tcp://node1:8786 (see countysim batch --help)"),
    (["status"], "countysim status: error: the following arguments are required: results "
     "(see countysim status --help)"),
])
def test_argument_errors_are_one_line(capsys, argv, message):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert capsys.readouterr().err == message + "\n"


def test_batch_out_that_cannot_be_made_is_one_line(batch_file, capsys):
    assert main(["batch", str(batch_file), "--out", "/proc/countysim/x", "--quiet"]) == 2
    assert capsys.readouterr().err.startswith(
        "countysim: error: /proc/countysim/x: cannot create the results folder: ")


def test_status_into_a_closed_pipe(reference):
    code = (f"from sim.apps.cli import main; import sys; sys.exit(main(['status', "
            f"{str(reference.path)!r}]))")
    proc = subprocess.run(f"{sys.executable} -c \"{code}\" | head -c 1", shell=True,
                          capture_output=True, text=True)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


@pytest.mark.parametrize(("content", "message"), [
    (b'name = "x"\nstart_year = "2020"\n',
     "start_year: Input should be a valid integer (got '2020')"),
    (b'name = "x"\n[parameters]\nmigration_rate = "0.05"\n',
     "parameters.migration_rate: Input should be a valid number (got '0.05')"),
    (b'name = "x"\n[parameters]\nmigration_rate = true\n',
     "parameters.migration_rate: Input should be a valid number (got True)"),
    (b'name = ".."\n', "name: '..' is not allowed; use letters, digits, '_', '-' and '.', not "
     "'.' first (the name is a folder name)"),
    (b'name = "x"\n[[levers]]\nid = "s"\ntype = "public_services"\ntargets = [true]\n'
     b"start_year = 2021\n",
     "levers[0].targets.counties[0]: expected a county name or code, got True"),
    (b"\xff\xfe\x00binary", "not a text file in UTF-8 (byte 0xff at position 0); a scenario "
     "file is TOML text"),
    (b"a = " + b"[" * 3000 + b"]" * 3000 + b"\n",
     "malformed TOML: tables or lists nested too deeply"),
    (b'extends = "/etc/passwd"\n', "extends: parent scenario '/etc/passwd': malformed TOML: "),
])
def test_bad_scenario_files_are_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "s.toml"
    path.write_bytes(content)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"countysim: error: {path}: {message}") and err.count("\n") == 1


def test_a_bom_is_skipped_and_a_folder_is_named(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_bytes(b'\xef\xbb\xbfname = "x"\n')
    assert main(["check", str(path)]) == 0
    assert main(["check", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (f"countysim: error: {tmp_path}: scenario file expected, "
                                       "but this is a folder\n")


def test_batch_names_and_huge_sweeps_are_checked_first(tmp_path):
    base = SCENARIOS / "baseline.toml"
    with pytest.raises(sim.InputError, match=r"name: '\.\.' is not allowed; "):
        sim.BatchSpec(scenarios=(base,), name="..")
    t0 = time.perf_counter()
    with pytest.raises(sim.InputError) as err:
        sim.BatchSpec(scenarios=(base,), sweep={"migration_rate": "0.02:0.1:100000000"})
    assert str(err.value) == ("<batch>: sweep.migration_rate: bad range '0.02:0.1:100000000': "
                              "100,000,000 values, more than a batch may run (1,000,000 runs)")
    with pytest.raises(sim.InputError) as err:
        sim.BatchSpec(scenarios=(base,), replicates=1000,
                      sweep={"migration_rate": "0.02:0.1:1001"})
    assert str(err.value) == ("<batch>: 1,001,000 runs planned, more than a batch may have "
                              "(1,000,000); split it into several batches")
    assert time.perf_counter() - t0 < 5


def test_plot_network_refuses_a_year_outside_the_model(capsys, tmp_path):
    assert main(["plot", "network", str(SCENARIOS / "baseline.toml"), "--year", "1990",
                 "--out", str(tmp_path / "n.png")]) == 2
    assert capsys.readouterr().err == (f"countysim: error: {SCENARIOS / 'baseline.toml'}: year "
                                       "1990: outside the years the model covers (2010–2035)\n")


def test_compare_a_batch_of_one_scenario(tmp_path, capsys):
    base = SCENARIOS / "baseline.toml"
    out = tmp_path / "demo"
    scenario = sim.load_scenario(base).with_changes(end_year=2022)
    sim.run_batch([scenario], out=out, executor="serial", replicates=2, progress=False,
                  sweep={"migration_rate": [0.03, 0.05]})
    assert main(["compare", str(out), "--formats", "png", "--dpi", "50"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert ("note: one scenario ('baseline'): its 2 sweep points are compared with the first, "
            "'migration_rate=0.03'") in printed
    assert "figure  levers: levers.png" in printed and "figure  fan_gdp: fan_gdp.png" in printed
    pd.read_csv(out / "figures" / "key_numbers.csv")

    single = tmp_path / "single"
    sim.run_batch([scenario], out=single, executor="serial", replicates=2, progress=False)
    assert main(["compare", str(single), "--formats", "png", "--dpi", "50"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert ("note: skipped levers, pilot_effect, maps_population, maps_gdp and the difference "
            "tables: the folder holds one scenario ('baseline') and no sweep, so there is "
            "nothing to compare it with") in printed
    assert "figure  fan_gdp: fan_gdp.png" in printed


def test_status_reports_the_workers_start_up(batch_file, tmp_path, capsys):
    out = tmp_path / "out"
    batch = sim.run_batch(batch_file, out, executor="processes", workers=2, progress=False,
                          chunk_size=1)
    assert 0 <= batch.session["worker_startup_s"] < 60
    assert main(["status", str(out)]) == 0
    assert (f"worker start-up: {batch.session['worker_startup_s']:.1f} s in the last session "
            "that started workers (time to a worker's first result, less its runs)"
            ) in capsys.readouterr().out.splitlines()
    for address in ("tcp://node1:8786", "localhost:8786", "tls://[::1]:8786"):
        from sim.apps.cli.batch import scheduler_address
        assert scheduler_address(address) == address
