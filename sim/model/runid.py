"""The id of a run, known before it starts (batches plan with it)."""

from __future__ import annotations

import hashlib
import json

from sim.model.parameters import Parameters
from sim.model.scenario import Scenario


def make_run_id(scenario: Scenario, *, seed: int, replicate: int, deterministic: bool,
                parameters: Parameters, parameter_set: int | None = None) -> str:
    """The id of a run, known before it starts (batches plan with it).

    Args:
        scenario: the scenario simulated.
        seed: root seed of the run.
        replicate: replicate number.
        deterministic: expected flows instead of random draws.
        parameters: the full parameter set of the run.
        parameter_set: the run's member of a batch's ensemble (None outside one, and
            then not part of the hash, so runs without an ensemble keep their ids).
            Two members of an MCMC sample can hold the same values; their runs still
            get two ids.

    Returns:
        12 hex digits of a hash of all of the above; equal inputs give equal ids on
        every machine.
    """
    fields = {"scenario": scenario.digest(), "seed": int(seed),
              "replicate": int(replicate), "deterministic": bool(deterministic),
              "parameters": parameters.to_dict()}
    if parameter_set is not None:
        fields["parameter_set"] = int(parameter_set)
    key = json.dumps(fields, sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:12]
