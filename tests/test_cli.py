"""The command line: outputs, and one clear line with exit code 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import SCENARIOS


def countysim(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def assert_one_line_error(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_run_writes_tables_and_manifest(tmp_path):
    out = tmp_path / "baseline"
    proc = countysim("run", str(SCENARIOS / "baseline.toml"), "--out", str(out), "--seed", "5")
    assert proc.returncode == 0, proc.stderr
    assert "Theil" in proc.stdout and "2025" in proc.stdout
    cy = pd.read_parquet(out / "county_year.parquet")
    ry = pd.read_parquet(out / "region_year.parquet")
    assert sorted(ry["year"]) == list(range(2020, 2026))
    assert len(cy) == 140 * 6
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 5
    assert manifest["scenario"] == "baseline"
    assert {"numpy", "mesa", "python"} <= set(manifest["versions"])
    assert manifest["parameters"]["migration_rate"] > 0


def test_run_exports_the_network_as_graphml(tmp_path):
    import networkx as nx

    out = tmp_path / "rail"
    proc = countysim("run", str(SCENARIOS / "rail_acceleration.toml"), "--out", str(out),
                     "--deterministic", "--graphml", "--quiet")
    assert proc.returncode == 0, proc.stderr
    g = nx.read_graphml(out / "network.graphml")
    lines = {d.get("line") for _, _, d in g.edges(data=True)}
    assert "Chengdu–Dazhou–Wanzhou high-speed railway" in lines  # opened by the scenario
    assert g.graph["year"] == 2025


def test_missing_scenario_file(tmp_path):
    proc = countysim("run", str(tmp_path / "nope.toml"))
    assert_one_line_error(proc, "nope.toml", "not found")


def test_malformed_toml(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nstart_year = \n')
    assert_one_line_error(countysim("run", str(bad)), "bad.toml", "malformed TOML", "line 2")


def test_unknown_field(tmp_path):
    bad = tmp_path / "typo.toml"
    bad.write_text('name = "x"\nstart_yaer = 2020\n')
    assert_one_line_error(countysim("run", str(bad)), "typo.toml", "start_yaer",
                          "unknown field", "start_year")


@pytest.mark.parametrize("seed", ["-1", "abc"])
def test_bad_seed(seed):
    proc = countysim("run", str(SCENARIOS / "baseline.toml"), "--seed", seed)
    assert proc.returncode == 2
    assert "seed must be a whole number" in proc.stderr


def test_python_m_sim_and_console_script_agree():
    proc = countysim("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("countysim ")
