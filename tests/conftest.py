"""Shared fixtures: small, fast runs reused across tests."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="session")
def baseline() -> sim.Scenario:
    return sim.load_scenario(SCENARIOS / "baseline.toml")


@pytest.fixture(scope="session")
def stochastic_run(baseline) -> sim.Results:
    return sim.run(baseline, seed=11)


@pytest.fixture(scope="session")
def deterministic_run(baseline) -> sim.Results:
    return sim.run(baseline, deterministic=True)
