"""A posterior sample of the calibrated parameters, and the ensemble drawn from it.

J (:class:`~sim.studies.calibration.objective.Objective`) is −2 × the log posterior
up to a constant: for each target component the Gaussian error variance is
integrated out under its Jeffreys prior, which leaves n_k ln MSE_k; the moments
add (r/σ)², the Gaussian priors their penalty, and the plausible ranges a flat
prior on the unit cube (log-uniform for parameters searched on a log scale). So

    log p(z | data) = −J(z) / (2 T)      for z in [0, 1]^k, −∞ outside,

with temperature T = 1 the posterior as stated. The residuals of neighbouring
groups are correlated, which this likelihood ignores, so the sample understates
the parameter uncertainty; T > 1 widens it (docs/validation/README.md).

The sampler is emcee's affine-invariant ensemble sampler (Foreman-Mackey et al.
2013, PASP 125:306): it needs no tuning beyond the number of walkers and copes
with the strongly correlated pairs of this model (docs/validation/calibration).
The walkers start in a small Gaussian ball around the optimum (the MAP). The
chain is saved to ``chain.npz`` after every block of steps, with the sampler's
random state, so that an interrupted run resumes exactly where it stopped and
gives the chain an uninterrupted run gives. Model runs are spread over processes.

The ensemble is the second half of the chain (the first is burn-in), thinned to
``members`` draws spaced evenly through it.
"""

from __future__ import annotations

import math
import time
import zipfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import emcee
import numpy as np

from sim.base.errors import InputError
from sim.studies.calibration.objective import FAILED, Objective

#: Steps per block between checkpoints.
BLOCK = 10
#: Standard deviation of the walkers' starting ball in unit-cube coordinates.
START_SPREAD = 0.01

_OBJECTIVE: Objective | None = None
_TEMPERATURE = 1.0


def _init_worker(objective: Objective, temperature: float) -> None:
    global _OBJECTIVE, _TEMPERATURE
    _OBJECTIVE, _TEMPERATURE = objective, temperature


def _log_posterior(z: np.ndarray) -> float:
    if np.any(z < 0.0) or np.any(z > 1.0):
        return -math.inf
    assert _OBJECTIVE is not None
    value = _OBJECTIVE(z)
    if value >= FAILED:
        return -math.inf
    return -value / (2.0 * _TEMPERATURE)


class _Pool:
    """What emcee needs of a pool (``map``), over worker processes that hold the objective."""

    def __init__(self, objective: Objective, temperature: float, workers: int) -> None:
        self.workers = workers
        self.executor = None
        _init_worker(objective, temperature)
        if workers > 1:
            self.executor = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                                                initargs=(objective, temperature))

    def map(self, fn: Callable, items: Any) -> list:
        items = list(items)
        if self.executor is None:
            return [fn(x) for x in items]
        chunk = max(1, len(items) // (4 * self.workers))
        return list(self.executor.map(fn, items, chunksize=chunk))

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown()


@dataclass(frozen=True)
class Chain:
    """An MCMC chain in unit-cube coordinates.

    Attributes:
        names: the sampled parameters.
        z: positions, shape (steps, walkers, parameters).
        log_prob: log posterior of each position, shape (steps, walkers).
        accepted: accepted proposals per walker.
        settings: sampler settings (walkers, steps, seed, temperature, start).
        seconds: sampling time, over all sessions of a resumed chain.
    """

    names: tuple[str, ...]
    z: np.ndarray
    log_prob: np.ndarray
    accepted: np.ndarray
    settings: dict[str, Any]
    seconds: float

    @property
    def steps(self) -> int:
        """Steps per walker so far."""
        return int(self.z.shape[0])

    @property
    def acceptance(self) -> float:
        """Mean acceptance fraction of the walkers."""
        return float(np.mean(self.accepted) / max(self.steps, 1))

    def autocorrelation(self) -> np.ndarray:
        """The integrated autocorrelation time per parameter, in steps (emcee).

        A lower bound when the chain is shorter than 50 of them.
        """
        return np.asarray(emcee.autocorr.integrated_time(self.z, quiet=True))

    def save(self, path: Path, state: emcee.State) -> None:
        """Write the chain, the walkers' last state and the random state (atomically)."""
        tmp = path.with_suffix(".tmp.npz")
        _, keys, pos, has_gauss, cached = state.random_state
        np.savez(tmp, names=np.array(self.names), z=self.z, log_prob=self.log_prob,
                 accepted=self.accepted, seconds=self.seconds,
                 settings=np.array(repr(sorted(self.settings.items()))),
                 last_z=state.coords, last_log_prob=state.log_prob,
                 rs_keys=keys, rs_pos=pos, rs_has_gauss=has_gauss, rs_cached=cached)
        tmp.replace(path)


def _settings_text(settings: dict[str, Any]) -> str:
    return repr(sorted(settings.items()))


def _load(path: Path, settings: dict[str, Any]) -> tuple[Chain, emcee.State]:
    try:
        return _read(path, settings)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
        raise InputError(f"cannot resume: not a chain written by countysim calibrate ({err}); "
                         "delete it to start the chain again", source=str(path)) from None


def _read(path: Path, settings: dict[str, Any]) -> tuple[Chain, emcee.State]:
    with np.load(path) as f:
        saved = str(f["settings"])
        if saved != _settings_text(settings):
            raise InputError("the saved chain was sampled with other settings "
                             f"({saved}); use another --out or the same settings",
                             source=str(path))
        random_state = ("MT19937", f["rs_keys"], int(f["rs_pos"]), int(f["rs_has_gauss"]),
                        float(f["rs_cached"]))
        chain = Chain(names=tuple(str(n) for n in f["names"]), z=f["z"],
                      log_prob=f["log_prob"], accepted=f["accepted"], settings=settings,
                      seconds=float(f["seconds"]))
        state = emcee.State(f["last_z"], log_prob=f["last_log_prob"],
                            random_state=random_state)
    return chain, state


def check_settings(k: int, walkers: int, temperature: float, steps: int | None = None,
                   members: int | None = None) -> None:
    """Raise :class:`InputError` for sampler settings that cannot work (before any run)."""
    if walkers < 2 * k:
        raise InputError(f"--walkers: emcee needs at least twice as many walkers as "
                         f"parameters ({2 * k} for {k}), got {walkers}")
    if not (math.isfinite(temperature) and temperature > 0):
        raise InputError(f"--temperature: expected a number > 0, got {temperature}")
    if steps is not None and members is not None:
        kept = (steps - steps // 2) * walkers
        if members > kept:
            raise InputError(f"--members: {steps} steps of {walkers} walkers keep {kept} "
                             f"draws after burn-in, fewer than the {members} asked for")


def start_ball(z_map: np.ndarray, walkers: int, seed: int) -> np.ndarray:
    """Walkers' starting points: the MAP plus N(0, START_SPREAD²) noise, folded into the cube."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    z = z_map[None, :] + START_SPREAD * rng.standard_normal((walkers, len(z_map)))
    z = np.abs(z)  # reflect at 0 and at 1
    return np.where(z > 1.0, 2.0 - z, z)


def sample(objective: Objective, z_map: np.ndarray, *, walkers: int = 64, steps: int = 400,
           workers: int = 2, seed: int = 20201101, temperature: float = 1.0,
           checkpoint: Path | None = None, log: Callable[[str], None] = print) -> Chain:
    """Sample the posterior exp(−J/2T) with emcee, resuming from ``checkpoint`` if it exists.

    Args:
        objective: J (its ``space`` gives the parameters).
        z_map: the optimum in unit-cube coordinates, where the walkers start.
        walkers: emcee walkers (at least twice the parameters).
        steps: steps per walker.
        workers: processes for the model runs.
        seed: seed of the starting ball and of the sampler's random numbers.
        temperature: T of the tempered posterior (1: as stated).
        checkpoint: ``chain.npz`` written after every block of steps and read to resume.
        log: progress lines.
    """
    k = len(objective.space.names)
    check_settings(k, walkers, temperature)
    z_map = np.asarray(z_map, dtype=float)
    settings = {"walkers": walkers, "seed": seed, "temperature": float(temperature),
                "parameters": list(objective.space.names), "region": objective.region,
                "priors": [repr(p) for p in objective.priors],
                "start": [round(float(v), 12) for v in z_map],
                "start_spread": START_SPREAD}
    pool = _Pool(objective, temperature, workers)
    try:
        sampler = emcee.EnsembleSampler(walkers, k, _log_posterior, pool=pool)
        if checkpoint is not None and checkpoint.exists():
            chain, state = _load(checkpoint, settings)
            log(f"resuming the chain in {checkpoint} at step {chain.steps} of {steps}")
        else:
            start = start_ball(z_map, walkers, seed)
            log_prob = np.array(pool.map(_log_posterior, list(start)))
            rs = np.random.RandomState(np.random.SeedSequence(seed).generate_state(1)[0])
            state = emcee.State(start, log_prob=log_prob, random_state=rs.get_state())
            chain = Chain(tuple(objective.space.names), np.empty((0, walkers, k)),
                          np.empty((0, walkers)), np.zeros(walkers), settings, 0.0)
        while chain.steps < steps:
            t0 = time.perf_counter()
            n = min(BLOCK, steps - chain.steps)
            sampler.reset()
            state = sampler.run_mcmc(state, n, skip_initial_state_check=True)
            chain = Chain(chain.names, np.concatenate([chain.z, sampler.get_chain()]),
                          np.concatenate([chain.log_prob, sampler.get_log_prob()]),
                          chain.accepted + sampler.backend.accepted, settings,
                          chain.seconds + time.perf_counter() - t0)
            if checkpoint is not None:
                chain.save(checkpoint, state)
            best = -2.0 * temperature * float(chain.log_prob.max())
            log(f"  step {chain.steps}/{steps}: acceptance {chain.acceptance:.2f}, "
                f"best J {best:.2f}, {chain.seconds:.0f} s")
    finally:
        pool.close()
    return chain


def draws(chain: Chain, members: int, burn_fraction: float = 0.5) -> np.ndarray:
    """``members`` positions from the chain after burn-in, spaced evenly (unit cube)."""
    kept = chain.z[int(chain.steps * burn_fraction):]
    flat = kept.reshape(-1, kept.shape[-1])
    if members > len(flat):
        raise InputError(f"--members: the chain after burn-in has {len(flat)} draws, "
                         f"fewer than the {members} members asked for")
    index = np.linspace(0, len(flat) - 1, members).round().astype(int)
    return flat[index]


def ensemble_text(names: tuple[str, ...], values: list[dict[str, float]],
                  provenance: list[str]) -> str:
    """The ``calibrated_ensemble.csv`` text: ``# `` provenance lines, then member rows."""
    lines = [f"# {line}" for line in provenance]
    lines.append(",".join(("member", *names)))
    for i, row in enumerate(values):
        lines.append(",".join((str(i), *(repr(float(row[n])) for n in names))))
    return "\n".join(lines) + "\n"
