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


@pytest.fixture
def record_runs(monkeypatch):
    """Patch the batch executor's ``execute_run`` to record the ids of the runs it
    executes; with ``interrupt_after=k``, the (k+1)-th run raises KeyboardInterrupt
    (a Ctrl-C in the middle of a batch). Returns the list of recorded ids."""
    from sim.studies.batch import worker

    real = worker.execute_run  # the original: this fixture is the only one patching it

    def patch(interrupt_after: int | None = None) -> list[str]:
        calls: list[str] = []

        def execute_run(spec, out, tables):
            if interrupt_after is not None and len(calls) == interrupt_after:
                raise KeyboardInterrupt
            calls.append(spec.run_id)
            return real(spec, out, tables)

        monkeypatch.setattr(worker, "execute_run", execute_run)
        return calls

    return patch
