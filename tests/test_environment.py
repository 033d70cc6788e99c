"""The lock of tested versions: it covers the dev environment, which is installed from it,
and every manifest records the environment."""

from __future__ import annotations

from importlib import metadata

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from sim.base import sources
from sim.outputs import provenance

LOCK = sources.CHECKOUT / provenance.CONSTRAINTS


def closure(name: str, extras: set[str]) -> set[str]:
    """Distributions installed by ``name[extras]``, following the installed metadata."""
    seen: set[str] = set()
    todo = [(name, frozenset(extras))]
    done: set[tuple[str, frozenset[str]]] = set()
    while todo:
        dist, wanted = todo.pop()
        if (dist, wanted) in done:
            continue
        done.add((dist, wanted))
        seen.add(canonicalize_name(dist))
        for text in metadata.requires(dist) or ():
            req = Requirement(text)
            if req.marker is not None:
                envs = [{**default_environment(), "extra": e} for e in (wanted or {""})]
                if not any(req.marker.evaluate(env) for env in envs):
                    continue
            todo.append((req.name, frozenset(req.extras)))
    return seen


@pytest.fixture(scope="module")
def pins() -> dict[str, str]:
    if not LOCK.is_file():
        pytest.skip("not a checkout (no requirements/constraints.txt)")
    return provenance.read_constraints(LOCK.read_text(encoding="utf-8"))


def test_lock_covers_the_dev_environment_at_its_versions(pins):
    needed = closure("countysim", {"dev"}) - {"countysim"}
    missing = sorted(needed - set(pins))
    assert not missing, (f"{provenance.CONSTRAINTS} lacks {missing}; regenerate it with "
                         "make lock")
    wrong = {n: (metadata.version(n), pins[n]) for n in needed
             if metadata.version(n) != pins[n]}
    assert not wrong, (f"installed versions differ from {provenance.CONSTRAINTS} (installed, "
                       f"locked): {wrong}; make test installs from the lock, so run make lock "
                       "after changing dependencies")


def test_read_constraints_normalises_names():
    text = "# comment\nFoo_Bar==1.2  # pinned\nbaz[extra]==3 ; python_version>'3'\n\n"
    assert provenance.read_constraints(text) == {"foo-bar": "1.2", "baz": "3"}


def test_environment_records_installed_versions_and_the_lock(pins):
    env = provenance.environment()
    assert env["constraints"] == "requirements/constraints.txt"
    assert len(env["constraints_sha256"]) == 64
    assert env["installed"]["numpy"] == metadata.version("numpy")
    assert set(pins) <= set(env["installed"])


def test_run_and_batch_manifests_record_the_environment(tmp_path):
    import sim

    scenario = sim.load_scenario(sources.CHECKOUT / "scenarios" / "baseline.toml")
    scenario = scenario.with_changes(end_year=2021)
    results = sim.run(scenario, deterministic=True)
    assert results.manifest["environment"] == provenance.environment()
    batch = sim.run_batch([scenario], out=tmp_path / "b", executor="serial", replicates=1,
                          deterministic=True)
    assert batch.manifest["environment"]["installed"] == provenance.environment()["installed"]
