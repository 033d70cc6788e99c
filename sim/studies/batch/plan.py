"""The planned runs of a batch: what each run is, its seed and its id.

:class:`RunSpec` is one run, everything a worker needs; :class:`PointPlanner` makes
the runs of one scenario at any parameter point, parameter set and replicate;
:func:`run_seed` derives a run's seed from the batch's root seed by a stable key.
:func:`sim.studies.batch.spec.plan_batch` lists a whole batch with them.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.model.parameters import Parameters
from sim.model.runid import make_run_id
from sim.model.scenario import Scenario
from sim.studies.batch import points


@dataclass(frozen=True)
class RunSpec:
    """One planned run of a batch: everything a worker needs, and nothing else.

    Attributes:
        run_id: stable id (the same as the ``run_id`` column of the run's tables).
        scenario: the scenario to simulate.
        scenario_name: ``scenario.name``, for listing and filtering.
        replicate: replicate number k (0-based).
        seed: the run's seed, derived from the batch's root seed.
        parameters: the parameter values of this run's point (overrides on top of
            the scenario's own parameters; empty without a sweep or design).
        deterministic: expected flows instead of random draws.
        record_flows: also write yearly origin–destination flows.
        point: the values of the batch's design columns for this run: the swept
            parameters, or every factor of an explicit design point (lever
            intensities included, already applied to ``scenario``; NaN for a
            lever factor the scenario does not have). Defaults to ``parameters``.
        keep: table → the only columns to write (besides ids, keys and design
            columns); tables not listed are written whole.
        parameter_set: the run's parameter set, 0 to N − 1, in a batch of an
            ensemble of N > 1 (its member's values are in ``parameters``); None
            otherwise. It is written as the ``parameter_set`` column of every table
            part and enters the run id.
    """

    run_id: str
    scenario: Scenario
    scenario_name: str
    replicate: int
    seed: int
    parameters: dict[str, float]
    deterministic: bool
    record_flows: bool
    point: dict[str, float] = field(default_factory=dict)
    keep: dict[str, tuple[str, ...]] = field(default_factory=dict)
    parameter_set: int | None = None

    @property
    def design_values(self) -> dict[str, float]:
        """The values of the design columns written into every table of this run."""
        if self.parameter_set is not None:  # parameters then hold the member's values too
            return self.point
        return self.point or self.parameters


class PointPlanner:
    """Plans the runs of one scenario of a batch at any point and replicate.

    Args:
        spec: the batch (a :class:`~sim.studies.batch.spec.BatchSpec`).
        scenario: one of its scenarios.
    """

    def __init__(self, spec: Any, scenario: Scenario) -> None:
        self.spec = spec
        self.scenario = scenario
        self.base = scenario.model_parameters()
        self.design_columns = spec.design_columns
        self._variants: dict[tuple[tuple[str, float], ...], Scenario] = {}
        self._parameters: dict[tuple[tuple[str, float], ...], Parameters] = {}

    def run(self, point: Mapping[str, float], replicate: int,
            parameter_set: int = 0) -> RunSpec:
        """The run of this scenario at ``point``, replicate ``replicate``.

        ``parameter_set`` is the ensemble member (0 to N − 1; only 0 without an
        ensemble): its values stand in for the defaults of the parameters it lists,
        under the scenario's own ``[parameters]`` and the point's.
        """
        spec, scenario = self.spec, self.scenario
        params, levers = points.split_point(point)
        used = {n: v for n, v in levers.items() if points.applies(n, scenario)}
        if used:
            key = tuple(sorted(used.items()))
            if key not in self._variants:
                self._variants[key] = points.apply_levers(scenario, used)
            scenario = self._variants[key]
        effective = {**params, **used}
        ensemble = spec.ensemble > 1
        member = {n: v for n, v in spec.parameter_sets[parameter_set].items()
                  if n not in scenario.parameters and n not in params}
        overrides = {**member, **params}
        seed = run_seed(spec.seed, replicate, scenario_name=scenario.name,
                        point={**effective, "parameter_set": parameter_set} if ensemble
                        else effective, common=spec.common_random_numbers)
        # The full parameter set (validated) changes with the point, not the replicate.
        key = (parameter_set, *sorted(params.items()))
        full = self._parameters.get(key)
        if full is None:
            full = self._parameters[key] = self.base.replace(**overrides)
        return RunSpec(
            run_id=make_run_id(scenario, seed=seed, replicate=replicate,
                               deterministic=spec.deterministic, parameters=full,
                               parameter_set=parameter_set if ensemble else None),
            scenario=scenario, scenario_name=scenario.name, replicate=replicate, seed=seed,
            parameters=overrides, deterministic=spec.deterministic, record_flows=spec.flows,
            point={n: float(effective.get(n, math.nan)) for n in self.design_columns},
            keep=dict(spec.columns), parameter_set=parameter_set if ensemble else None)


def run_seed(root_seed: int, replicate: int, *, scenario_name: str = "",
             point: Mapping[str, float] | None = None, common: bool = True) -> int:
    """The seed of one run: a child of ``SeedSequence(root_seed)`` by a stable key.

    Args:
        root_seed: the batch's root seed.
        replicate: replicate number k.
        scenario_name: the scenario's name (used only if ``common`` is False).
        point: the parameter point (used only if ``common`` is False).
        common: common random numbers: the key is ``(k,)``, the same in every scenario,
            parameter point and parameter set. Otherwise the key also holds 32-bit
            hashes of the scenario name and of the parameter point (with an ensemble,
            the point includes ``parameter_set``).

    Returns:
        A seed in [0, 2**63).
    """
    key: tuple[int, ...] = (int(replicate),)
    if not common:
        point_text = json.dumps(dict(point or {}), sort_keys=True)
        key += (_hash32(scenario_name), _hash32(point_text))
    seq = np.random.SeedSequence(int(root_seed), spawn_key=key)
    return int(seq.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def _hash32(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")
