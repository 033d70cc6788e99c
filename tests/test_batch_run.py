"""Running batches: executors agree, failures are recorded, interrupted batches resume.

The batches here are small (ccec 2020→2022, a few runs) so the module stays fast;
timings are measured by benchmarks/bench_batch.py, not here.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS

import sim
import sim.studies.batch.execute as execute
import sim.studies.batch.pools as pools
import sim.studies.batch.worker as worker
from sim.apps.cli import main
from sim.model.schema import RUN_COLUMNS
from sim.outputs.files import parquet_bytes, write_json_atomic
from sim.outputs.store import STATUSES, RunsTable, done_runs

TABLES = ("county_year", "region_year", "levers_year", "flows")


@pytest.fixture(scope="module")
def scenario_files(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("scenarios")
    base = SCENARIOS / "baseline.toml"
    a = folder / "a.toml"
    a.write_text(f'extends = "{base}"\nname = "a"\nend_year = 2022\n')
    b = folder / "b.toml"  # a lever, so levers_year has rows for b and none for a
    b.write_text(f'extends = "{base}"\nname = "b"\nend_year = 2022\n'
                 '[[levers]]\nid = "svc"\ntype = "public_services"\ntargets = "pilots"\n'
                 "start_year = 2021\n")
    return a, b


@pytest.fixture(scope="module")
def spec(scenario_files) -> sim.BatchSpec:
    return sim.BatchSpec(scenarios=scenario_files, name="t", replicates=2, seed=5,
                         sweep={"migration_rate": [0.03, 0.06]}, flows=True)


@pytest.fixture(scope="module")
def serial(spec, tmp_path_factory) -> sim.Batch:
    return sim.run_batch(spec, tmp_path_factory.mktemp("serial") / "out", executor="serial",
                         progress=False)


def sorted_table(batch: sim.Batch, table: str) -> pd.DataFrame:
    df = batch.read(table)
    keys = [c for c in ("run_id", "year", "code", "lever_id", "origin", "destination")
            if c in df.columns]
    return df.sort_values(keys).reset_index(drop=True)


def assert_same_tables(left: sim.Batch, right: sim.Batch, tables=TABLES) -> None:
    for table in tables:
        pd.testing.assert_frame_equal(sorted_table(left, table), sorted_table(right, table),
                                      check_exact=True)
    cols = ["run_id", "scenario", "replicate", "seed", "status", *left.sweep]
    pd.testing.assert_frame_equal(left.runs[cols], right.runs[cols])


def part_stamps(out: Path, run_ids) -> dict[tuple[str, str], int]:
    return {(t, rid): (out / t / f"part-{rid}.parquet").stat().st_mtime_ns
            for t in ("county_year", "region_year") for rid in run_ids}


def resume_and_check(spec, out: Path, tables, planned: int, at_least: int) -> sim.Batch:
    """Resume an interrupted batch; check that exactly the runs not done were run."""
    done_before = done_runs(out, tables)
    assert at_least <= len(done_before) < planned
    stamps = part_stamps(out, done_before)
    resumed = sim.run_batch(spec, out, executor="serial", resume=True, progress=False)
    assert resumed.session["ran"] == planned - len(done_before)
    assert part_stamps(out, done_before) == stamps  # done runs were not recomputed
    assert resumed.counts() == {"done": planned, "failed": 0, "missing": 0}
    return resumed


# -- executors ---------------------------------------------------------------------------


def test_serial_batch_writes_the_store(serial, spec):
    plan = sim.plan_batch(spec)
    runs = serial.runs
    assert list(runs.columns) == ["run_id", "scenario", "replicate", "seed", "parameter_set",
                                  "status", "error",
                                  "seconds", "started", "migration_rate"]
    assert list(runs["run_id"]) == [r.run_id for r in plan]
    assert (runs["status"] == "done").all() and runs["error"].isna().all()
    assert (runs["seconds"] > 0).all() and runs["started"].notna().all()
    for table in TABLES:
        files = sorted(p.name for p in (serial.path / table).iterdir())
        assert files == sorted(f"part-{r.run_id}.parquet" for r in plan), table
    ry = serial.region_year
    assert len(ry) == len(plan) * 3
    assert set(ry["migration_rate"]) == {0.03, 0.06}
    assert set(serial.levers_year["scenario"]) == {"b"}
    manifest = json.loads((serial.path / "manifest.json").read_text())
    assert manifest["root_seed"] == 5 and manifest["runs_planned"] == 8
    assert manifest["spec"]["sweep"] == {"migration_rate": [0.03, 0.06]}
    assert [s["name"] for s in manifest["scenarios"]] == ["a", "b"]
    assert all(len(s["sha256"]) == 64 for s in manifest["scenarios"])
    assert {"numpy", "pyarrow", "mesa"} <= set(manifest["versions"])
    assert manifest["git_commit"] and manifest["finished"] and manifest["created"]


def test_batch_rows_equal_a_bare_run(serial, spec):
    r = sim.plan_batch(spec)[5]
    bare = sim.run(r.scenario, seed=r.seed, replicate=r.replicate, parameters=r.parameters,
                   record_flows=True)
    for table in ("county_year", "region_year", "flows"):
        got = serial.read(table, filters=[("run_id", "==", r.run_id)])
        expected = getattr(bare, table).assign(migration_rate=r.parameters["migration_rate"])
        keys = [c for c in ("year", "code", "origin", "destination") if c in got.columns]
        pd.testing.assert_frame_equal(got.sort_values(keys).reset_index(drop=True),
                                      expected.sort_values(keys).reset_index(drop=True))


def test_serial_two_processes_and_dask_give_identical_tables(serial, spec, tmp_path):
    procs = sim.run_batch(spec, tmp_path / "procs", executor="processes", workers=2,
                          progress=False)
    assert procs.session["executor"] == "2 local processes"
    assert_same_tables(serial, procs)
    pytest.importorskip("distributed")
    dask = sim.run_batch(spec, tmp_path / "dask", executor="dask", workers=2, progress=False,
                         chunk_size=1)
    assert dask.session["executor"] == "Dask LocalCluster of 2"
    assert_same_tables(serial, dask)


# -- failures and resuming -----------------------------------------------------------------


def test_a_failing_run_is_recorded_and_the_others_complete(spec, serial, tmp_path,
                                                           monkeypatch, capsys):
    target = sim.plan_batch(spec)[6]
    real_run = worker.simulate

    def simulate(scenario, **kw):
        if scenario.name == target.scenario_name and kw["seed"] == target.seed \
                and kw["parameters"] == target.parameters:
            raise RuntimeError("boom\nin two lines")
        return real_run(scenario, **kw)

    monkeypatch.setattr(worker, "simulate", simulate)
    out = tmp_path / "failing"
    batch = sim.run_batch(spec, out, executor="serial", progress=True)
    assert "8/8" in capsys.readouterr().err  # the progress bar
    runs = batch.runs.set_index("run_id")
    assert batch.counts() == {"done": 7, "failed": 1, "missing": 0}
    assert runs.loc[target.run_id, "status"] == "failed"
    assert runs.loc[target.run_id, "error"].startswith(
        "RuntimeError: boom in two lines (at test_batch_run.py:")
    assert not any((out / t / f"part-{target.run_id}.parquet").exists() for t in TABLES)
    assert target.run_id not in set(batch.region_year["run_id"])

    assert main(["status", str(out)]) == 1
    shown = capsys.readouterr().out
    assert "8 runs: 7 done, 1 failed, 0 missing" in shown
    assert f"{target.run_id} b replicate {target.replicate} migration_rate=0.06: " \
           "RuntimeError: boom in two lines" in shown

    monkeypatch.setattr(worker, "simulate", real_run)
    before = part_stamps(out, set(runs.index) - {target.run_id})
    resumed = sim.run_batch(spec, out, executor="serial", resume=True, progress=False)
    assert resumed.session["ran"] == 1
    assert part_stamps(out, set(runs.index) - {target.run_id}) == before
    assert_same_tables(serial, resumed)


def test_resume_after_ctrl_c_runs_only_what_is_missing(spec, serial, tmp_path, record_runs):
    calls = record_runs(interrupt_after=3)
    out = tmp_path / "interrupted"
    with pytest.raises(KeyboardInterrupt):
        sim.run_batch(spec, out, executor="serial", progress=False)
    first = list(calls)
    partial = sim.load_batch(out)
    assert partial.counts() == {"done": 3, "failed": 0, "missing": 5}
    assert set(partial.region_year["run_id"]) == set(first)
    stamps = part_stamps(out, first)

    calls = record_runs()
    resumed = sim.run_batch(spec, out, executor="serial", resume=True, progress=False)
    assert sorted(calls) == sorted(set(resumed.runs["run_id"]) - set(first))
    assert part_stamps(out, first) == stamps
    assert_same_tables(serial, resumed)
    assert [s["complete"] for s in resumed.manifest["sessions"]] == [False, True]


def test_resume_after_a_worker_process_is_killed(spec, serial, tmp_path):
    out = tmp_path / "killed"

    def kill_a_worker_after_two_runs() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if len(done_runs(out, TABLES)) >= 2:
                break
            time.sleep(0.01)
        workers = multiprocessing.active_children()
        if workers:
            os.kill(workers[0].pid, signal.SIGKILL)

    killer = threading.Thread(target=kill_a_worker_after_two_runs)
    killer.start()
    try:
        with pytest.raises(sim.BatchAborted, match="a worker process died") as aborted:
            sim.run_batch(spec, out, executor="processes", workers=2, progress=False,
                          chunk_size=1)
    finally:
        killer.join()
    # The message counts the runs kept: every run whose parts are on disk.
    kept = len(done_runs(out, TABLES))
    assert f"; {kept} runs finished this session and are kept;" in str(aborted.value)
    resumed = resume_and_check(spec, out, TABLES, planned=8, at_least=2)
    assert_same_tables(serial, resumed)


def test_resume_after_the_whole_process_is_killed(scenario_files, tmp_path):
    batch_file = tmp_path / "kill.toml"
    batch_file.write_text(f'scenarios = ["{scenario_files[0]}"]\nseed = 9\nreplicates = 30\n')
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "sim", "batch", str(batch_file), "--out",
                             str(out), "--workers", "1", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while len(done_runs(out, ("county_year", "region_year", "levers_year"))) < 3:
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.005)
    finally:
        proc.kill()
        proc.wait()
    tables = ("county_year", "region_year", "levers_year")
    resumed = resume_and_check(batch_file, out, tables, planned=30, at_least=3)
    assert not list(out.rglob(".*.tmp"))
    fresh = sim.run_batch(batch_file, tmp_path / "fresh", executor="serial", progress=False)
    assert_same_tables(fresh, resumed, tables=tables)


def test_resuming_with_a_changed_spec_is_refused(spec, serial):
    changed = sim.BatchSpec(scenarios=spec.scenarios, name="t", replicates=3, seed=5,
                            sweep={"migration_rate": [0.03, 0.05]}, flows=True)
    with pytest.raises(sim.InputError) as err:
        sim.run_batch(changed, serial.path, executor="serial", resume=True)
    assert str(err.value) == (
        f"{serial.path}: cannot resume: the batch spec changed since this folder was started "
        "(replicates: {'a': 2, 'b': 2} → {'a': 3, 'b': 3}; sweep: {'migration_rate': [0.03, "
        "0.06]} → {'migration_rate': [0.03, 0.05]}); resuming would mix two batches, so run "
        "the changed spec into a new --out folder")


def test_a_new_batch_into_a_used_folder_is_refused(spec, serial, tmp_path):
    with pytest.raises(sim.InputError) as err:
        sim.run_batch(spec, serial.path, executor="serial")
    assert str(err.value) == (f"{serial.path}: results folder is not empty; add --resume to "
                              "finish it, or choose another --out")
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    for resume in (False, True):
        with pytest.raises(sim.InputError) as err:
            sim.run_batch(spec, other, executor="serial", resume=resume)
        assert str(err.value) == (f"{other}: results folder is not empty and holds no batch "
                                  "(no manifest.json); choose an empty or new folder with --out")


def test_resume_starts_a_batch_that_has_no_store(spec, serial, tmp_path, capsys):
    """A job script always says --resume: its first run starts the batch, and says so."""
    out = tmp_path / "never"
    resumed = sim.run_batch(spec, out, executor="serial", resume=True, progress=False)
    assert capsys.readouterr().err == f"countysim: {out}: no batch here yet; starting it\n"
    assert resumed.counts() == {"done": 8, "failed": 0, "missing": 0}
    assert_same_tables(serial, resumed)


def test_ctrl_c_before_the_store_exists(spec, tmp_path, monkeypatch, capsys):
    """Ctrl-C while the executor starts: no store to count from, one line, exit 130."""
    def interrupted(*args, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(execute, "make_pool", interrupted)
    batch_file = tmp_path / "b.toml"
    batch_file.write_text(f'scenarios = ["{spec.scenarios[0].source}"]\nseed = 1\n')
    out = tmp_path / "never"
    assert main(["batch", str(batch_file), "--out", str(out), "--quiet"]) == 130
    assert capsys.readouterr().err == "countysim: interrupted before any run started\n"
    assert not out.exists()


def test_parts_on_disk_decide_in_load_batch_and_resume(spec, serial, tmp_path):
    """A stale runs table (a failed run since finished, a done run whose parts are gone)
    reads and resumes as the parts say."""
    out = tmp_path / "stale"
    shutil.copytree(serial.path, out)
    runs = pd.read_parquet(out / "runs.parquet").copy()  # (Arrow's arrays are read-only)
    finished, lost = runs["run_id"].iloc[1], runs["run_id"].iloc[2]
    runs.loc[1, ["status", "error"]] = ["failed", "RuntimeError: boom"]
    runs.to_parquet(out / "runs.parquet", index=False)
    (out / "region_year" / f"part-{lost}.parquet").unlink()

    read = sim.load_batch(out).runs.set_index("run_id")
    assert read.loc[finished, "status"] == "done" and pd.isna(read.loc[finished, "error"])
    assert read.loc[lost, "status"] == "missing" and pd.isna(read.loc[lost, "seconds"])
    assert sim.load_batch(out).counts() == {"done": 7, "failed": 0, "missing": 1}

    resumed = sim.run_batch(spec, out, executor="serial", resume=True, progress=False)
    assert resumed.session["ran"] == 1
    written = pd.read_parquet(out / "runs.parquet").set_index("run_id")
    assert (written["status"] == "done").all() and written["error"].isna().all()
    assert pd.isna(written.loc[finished, "seconds"])  # its time was that of the failure
    assert written.loc[lost, "seconds"] > 0
    assert_same_tables(serial, resumed)


def _runs_frame_before(plan, records, sweep) -> pd.DataFrame:
    """The runs table as the batch layer built it row by row (the file format)."""
    missing = {"status": "missing", "error": None, "seconds": np.nan, "started": None}
    rows = []
    for r in plan:
        rec = records.get(r.run_id, missing)
        rows.append((r.run_id, r.scenario_name, r.replicate, r.seed, r.parameter_set or 0,
                     rec["status"],
                     rec["error"], rec["seconds"], rec["started"],
                     *(r.design_values[p] for p in sweep)))
    df = pd.DataFrame(rows, columns=[*RUN_COLUMNS, *sweep])
    df["status"] = pd.Categorical(df["status"], categories=STATUSES)
    df["error"] = df["error"].astype("str").where(df["error"].notna(), None)
    df["seconds"] = df["seconds"].astype("float64")
    df["parameter_set"] = df["parameter_set"].astype("int64")
    df["started"] = pd.to_datetime(df["started"], utc=True, format="ISO8601")
    for p in sweep:
        df[p] = df[p].astype("float64")
    return df


def test_runs_table_keeps_the_file_format(spec):
    plan = sim.plan_batch(spec)
    sweep = spec.design_columns
    table = RunsTable(plan, sweep)
    records: dict[str, dict] = {}
    for step in range(3):  # nothing run yet; some runs done; a failure and an unknown time
        if step == 1:
            records = {r.run_id: {"status": "done", "error": None, "seconds": 0.25 + i,
                                  "started": f"2026-11-27T11:07:4{i}.123+00:00"}
                       for i, r in enumerate(plan[:5])}
        if step == 2:
            records[plan[6].run_id] = {"status": "failed", "error": "RuntimeError: boom",
                                       "seconds": 0.5, "started": "2026-11-27T12:00:00.5+00:00"}
            records[plan[0].run_id] = {"status": "done", "error": None, "seconds": np.nan,
                                       "started": None}
        table.update(records)
        before = _runs_frame_before(plan, records, sweep)
        pd.testing.assert_frame_equal(table.frame(), before)
        assert bytes(parquet_bytes(table.columns())) == bytes(parquet_bytes(before))
    assert sorted(table.done_seconds()) == [1.25, 2.25, 3.25, 4.25]


def test_dask_worker_count_is_asked_at_most_once_a_second(monkeypatch):
    asked = []

    class Client:
        def nthreads(self):
            asked.append(1)
            return {"w1": 1, "w2": 1}

    pool = pools.DaskPool.__new__(pools.DaskPool)
    pool.client, pool._workers = Client(), None
    assert [pool.workers for _ in range(5)] == [2] * 5
    assert len(asked) == 1
    pool._workers = (pool._workers[0] - 2 * pools.WORKERS_EVERY_S, 2)
    assert pool.workers == 2 and len(asked) == 2


def test_fixed_chunks_do_not_ask_for_the_worker_count(spec):
    class Pool(pools.Pool):
        @property
        def workers(self):
            raise AssertionError("asked for the worker count")

    plan = sim.plan_batch(spec)
    chunks = list(execute._chunks(plan, Pool(), 3, deque()))
    assert [len(c) for c in chunks] == [3, 3, 2]
    assert [r for c in chunks for r in c] == plan


def test_write_json_atomic(tmp_path):
    path = tmp_path / "m.json"
    write_json_atomic({"region": "成都", "n": [1, 2]}, path)
    assert path.read_text(encoding="utf-8") == (
        '{\n  "region": "成都",\n  "n": [\n    1,\n    2\n  ]\n}\n')
    with pytest.raises(ValueError):
        write_json_atomic({"x": float("nan")}, path, allow_nan=False)
    assert not list(tmp_path.glob(".*.tmp"))


# -- loading -------------------------------------------------------------------------------


def test_load_batch_reads_columns_and_rows_lazily(serial):
    batch = sim.load_batch(serial.path)
    df = batch.read("county_year", columns=["scenario", "replicate", "year", "code",
                                            "population"],
                    filters=[("year", "==", 2022), ("scenario", "==", "b")])
    assert list(df.columns) == ["scenario", "replicate", "year", "code", "population"]
    assert set(df["year"]) == {2022} and set(df["scenario"]) == {"b"}
    assert len(df) == 4 * 140  # 2 parameter points × 2 replicates × 140 counties
    with pytest.raises(sim.InputError, match="county_year has no column 'populaton'"):
        batch.read("county_year", columns=["populaton"])


def test_summary_gives_mean_and_band_per_scenario_point_and_year(serial):
    summary = serial.summary("region_year", columns=["theil", "population"])
    assert list(summary.columns) == ["scenario", "migration_rate", "year", "variable", "n",
                                     "mean", "q5", "q95"]
    assert len(summary) == 2 * 2 * 3 * 2
    assert (summary["n"] == 2).all()
    ry = serial.region_year
    rows = ry[(ry["scenario"] == "b") & (ry["migration_rate"] == 0.06) & (ry["year"] == 2022)]
    got = summary.query("scenario == 'b' and migration_rate == 0.06 and year == 2022 "
                        "and variable == 'theil'").iloc[0]
    assert got["mean"] == pytest.approx(rows["theil"].mean())
    assert got["q5"] == pytest.approx(rows["theil"].quantile(0.05))
    assert got["q95"] == pytest.approx(rows["theil"].quantile(0.95))
    assert got["q5"] < got["mean"] < got["q95"]


def test_command_line_batch_and_status(scenario_files, tmp_path):
    batch_file = tmp_path / "cli.toml"
    batch_file.write_text(f'name = "cli"\nscenarios = ["{scenario_files[0]}"]\nseed = 1\n'
                          "replicates = 2\n")
    out = tmp_path / "cli"
    proc = subprocess.run([sys.executable, "-m", "sim", "batch", str(batch_file), "--out",
                           str(out), "--workers", "1", "--quiet"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("cli: 2 done, 0 failed, 0 missing; ran 2 in ")
    assert lines[0].endswith(f"runs/s) → {out}")
    status = subprocess.run([sys.executable, "-m", "sim", "status", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert status.returncode == 0, status.stderr
    assert status.stdout.startswith(f"cli ({out}): 2 runs: 2 done, 0 failed, 0 missing\n")
    assert "parameter sets" not in status.stdout  # the point estimate: no ensemble line


def test_dask_tasks_are_impure_with_distinct_keys(spec):
    """Dask must never merge two submissions of the same chunk (purity caching)."""
    submitted = []

    class RecordingClient:
        def submit(self, fn, *args, **kw):
            submitted.append((fn, args, kw))

    pool = pools.DaskPool.__new__(pools.DaskPool)
    pool.client = RecordingClient()
    chunk = sim.plan_batch(spec)[:2]
    pool.submit(chunk, "out", ("region_year",))
    pool.submit(chunk, "out", ("region_year",))
    (fn1, args1, kw1), (fn2, args2, kw2) = submitted
    assert fn1 is fn2 is worker.run_chunk and args1 == args2
    assert kw1["pure"] is False and kw2["pure"] is False
    assert kw1["key"] != kw2["key"]


def test_analysis_reads_a_real_batch_store(serial, tmp_path, spec, monkeypatch):
    """sim.analysis (compare, plot) reads the store run_batch writes, failed runs left out."""
    from sim import analysis

    rs = analysis.read_results(serial.path)
    assert rs.scenarios == ["a", "b"]
    assert len(rs.runs) == 8 and (rs.runs["status"] == "done").all()
    assert len(rs.region_year) == 8 * 3
    assert "migration_rate" in rs.parameter_columns

    real_run = worker.simulate

    def simulate(scenario, **kw):  # replicate 0 of scenario a fails, at both parameter points
        if scenario.name == "a" and kw["replicate"] == 0:
            raise RuntimeError("boom")
        return real_run(scenario, **kw)

    monkeypatch.setattr(worker, "simulate", simulate)
    failing = sim.run_batch(spec, tmp_path / "f", executor="serial", progress=False)
    assert failing.counts() == {"done": 6, "failed": 2, "missing": 0}
    rs = analysis.read_results(failing.path)
    assert len(rs.runs) == 6
    assert set(rs.region_year["run_id"]) == set(failing.region_year["run_id"])
