"""``countysim calibrate`` end to end: fit, profile, write the parameter file.

The calibration starts from the literature priors (``Parameters()``, not the
shipped calibrated defaults), so that it is reproducible whatever file is
installed. It writes into its output folder:

* ``calibrated_parameters.toml``: ``[parameters]`` (the fitted values) plus
  ``[provenance]``, ``[fit]`` and ``[uncertainty]`` tables; copy it to
  ``sim/data/calibrated_parameters.toml`` to make it the package default;
* ``calibration.json``: every start, the components of J, profile intervals
  and local identifiability;
* ``profile.csv``: the profile-likelihood grid;
* ``chain.npz``: the MCMC chain of the posterior sample
  (:mod:`~sim.studies.calibration.posterior`), saved as it grows;
* ``calibrated_ensemble.csv``: members drawn from that chain; copy it to
  ``sim/data/calibrated_ensemble.csv`` to make it the ensemble batches draw from;
* ``README.md``: the same, for people.

``resume=True`` keeps what an earlier call wrote into the folder: the optimum of
``calibration.json`` (no new optimisation or profiles) and the chain of
``chain.npz`` (continued to ``steps``).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.base.errors import InputError
from sim.base.tomlfile import read_toml
from sim.model.parameters import Parameters
from sim.outputs.files import write_json_atomic, write_text_atomic
from sim.outputs.provenance import environment, git_commit, versions
from sim.studies.calibration import fit, market_access, posterior, posterior_report
from sim.studies.calibration.objective import COMPONENTS, MOMENTS, Objective, SearchSpace
from sim.studies.calibration.observed import Targets, census_targets
from sim.studies.calibration.priors import Prior
from sim.studies.calibration.settings import SHIPPED
from sim.studies.calibration.split import held_out_mask

#: Parameters fitted by default: the issue's list (θ, γ, μ, β_y, κ, h, φ, ROC
#: income path, ν) plus the constants the migration equations need.
DEFAULT_FIT = (
    "market_access_decay_per_h", "migration_time_cost_per_h", "migration_rate",
    "income_elasticity", "investment_return_elasticity", "home_bias",
    "agglomeration_elasticity", "roc_income_growth", "roc_preference",
    "urbanisation_base_rate", "urbanisation_rate", "knowledge_spillover",
    "destination_size_weight", "commuting_decay_per_h", "migrant_urban_bias",
    "crowding_weight", "amenity_weight", "services_weight",
    # the population accounts (docs/demography.md)
    "stay_bonus", "roc_return_rate", "roc_newcomer_rate", "hukou_conversion_rate",
    "birth_registration_factor", "fertility_trend", "emigrant_attrition",
    "child_undercount_2010",
    # the economy (docs/economy.md)
    "tfp_growth", "fiscal_investment_share", "primary_share_decline", "agri_tfp_growth",
    "offfarm_work_share", "land_per_urban_resident_km2",
)


def literature_priors() -> tuple[Prior, ...]:
    """Gaussian priors from the published ranges, for the channels the census cannot pin.

    The sources' numbers are quoted in docs/levers.md and docs/validation/; each prior
    is wide enough to cover the published range at two standard deviations.
    """
    return (
        Prior("agglomeration_elasticity", 0.05, 0.025,
              "elasticity of productivity to density: 0.039 (high-income) and 0.071 "
              "(non-high-income) mean IV estimates in the meta-analysis of Grover, Lall & "
              "Timmis (2023), Reg. Sci. Urban Econ. 101:103901 (as summarised by the World "
              "Bank, ISBN 978-1-4648-1670-3, ch. 2); the model's φ is the elasticity to "
              "market access, which the 2010–2019 rail openings do not identify "
              "(docs/validation/market_access.md)"),
        Prior("services_weight", 0.17, 0.08,
              "Zhang & Fang (2019), 中国人口·资源与环境 2019(3), doi:10.12062/cpre.20181005: a "
              "1% better man-made amenity index (education, health, culture) raises a city's "
              "choice probability by 0.17% (conditional logit, CLDS 2016); in the model "
              "∂ln P/∂ln S = β_S (1 − P) ≈ β_S"),
        Prior("market_access_decay_per_h", 1.0, 0.5,
              "judgement, weakly informative: spill-overs fade within one to two hours "
              "(HSR effects on co-patenting strongest within 250 km, Yao & Li 2022, "
              "figshare 10.6084/m9.figshare.18013830); the reduced-form market-access fit is "
              "best at θ ≈ 1.5/h (docs/validation/market_access.md)"),
    )

#: Named sets of priors that ``countysim calibrate --prior NAME`` adds to J. A set is
#: a function returning :class:`~sim.studies.calibration.priors.Prior` objects;
#: add literature priors here (e.g. on ``services_weight``) with their sources.
PRIOR_SETS: dict[str, Callable[[], tuple[Prior, ...]]] = {
    # the default: published ranges for φ, β_S and θ
    "literature": literature_priors,
    # φ from the 2010–2019 rail openings, all 201 groups with both GDPs, at θ̂
    "market-access": lambda: market_access.market_access_priors("all"),
    # the same without the three plateau prefectures, which pass the placebo
    "market-access-basin": lambda: market_access.market_access_priors("without_plateau"),
}


def named_priors(names: tuple[str, ...]) -> tuple[Prior, ...]:
    """The priors of the named sets of :data:`PRIOR_SETS`, in order.

    Raises:
        InputError: an unknown name.
    """
    out: list[Prior] = []
    for name in names:
        if name == "none":
            continue
        if name not in PRIOR_SETS:
            raise InputError(f"--prior: unknown prior set '{name}'; allowed: "
                             + ", ".join((*PRIOR_SETS, "none")))
        out += PRIOR_SETS[name]()
    return tuple(out)


OBJECTIVE_TEXT = ("J = Σ_k n_k ln(MSE_k) over the training groups (concentrated Gaussian "
                  "log-likelihood ×−2), k = log growth of population 2010→2020, 2020 urban "
                  "share (percentage points), log growth of the group's share of GDP "
                  "(groups without imputed 2010 GDP), log ratio of 2020 residents registered "
                  "in another county and in another province, 2020 shares aged 0–14 and 65+ "
                  "(percentage points), log ratio of each province's 2020 residents by sex "
                  "and age group")
DATA_TEXT = ("2010 and 2020 censuses per comparison group (sim/data/cmp_groups.csv, "
             "counties.csv, census_age_migration.csv: residents by age, sex and "
             "registration), county GDP 2010, 2019 and 2020, primary value added 2019 and "
             "fixed investment 2017 (counties.csv), GDP of 2019 and 2020 deflated by the "
             "province's GDP deflator (provinces_macro.csv); validation run from "
             "the 2010 census state with the rail lines of 2010–2020 opened in their real "
             "years, deterministic")


def split_text(objective: Objective) -> str:
    """The split of the objective's groups, in words, with its actual counts."""
    n, training = objective.targets.n, int(objective.mask.sum())
    return (f"fixed split of the {n} comparison groups, stratified by province and size: "
            "within each province, groups sorted by 2010 population in blocks of three, "
            f"one per block held out by a fixed hash of its code ({n - training} held out, "
            f"{training} training; sim/studies/calibration/split.py)")


def calibration_objective(region: str = "sichuan_chongqing",
                          names: tuple[str, ...] = DEFAULT_FIT,
                          targets: Targets | None = None,
                          base: Parameters | None = None, end_year: int = 2020,
                          priors: tuple[Prior, ...] = ()) -> Objective:
    """J on the training groups of ``region``, over ``names``, from the literature values.

    ``priors`` (Gaussian, :mod:`~sim.studies.calibration.priors`) add their
    penalty to J.
    """
    targets = targets or census_targets(region)
    train = ~held_out_mask(targets.groups.index.to_numpy())
    return Objective(targets=targets, mask=train, space=SearchSpace(tuple(names)),
                     base=base or Parameters(), region=region, end_year=end_year,
                     priors=tuple(priors))


def run_calibration(out: Path, *, region: str = "sichuan_chongqing",
                    names: tuple[str, ...] = DEFAULT_FIT,
                    starts: int = SHIPPED["starts"], workers: int = 2,
                    max_evals: int = SHIPPED["max_evals"],
                    profile_points: int = SHIPPED["profile_points"],
                    profile_evals: int = SHIPPED["profile_evals"],
                    priors: tuple[Prior, ...] = (), steps: int = 0,
                    walkers: int = SHIPPED["walkers"],
                    members: int = SHIPPED["members"], temperature: float = 1.0,
                    resume: bool = False, log=print) -> dict[str, Any]:
    """Calibrate, profile, sample the posterior and write the output folder.

    Returns the calibration record (what ``calibration.json`` holds).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError("output path exists and is not a folder", source=str(out))
    if profile_points == 1 or profile_points < 0:
        raise InputError(f"--profile-points: expected 0 (no profiles) or a whole number ≥ 2, "
                         f"got {profile_points}; a profile needs two points at least")
    objective = calibration_objective(region, names, priors=priors)  # checks the names
    if steps:
        posterior.check_settings(len(names), walkers, temperature, steps, members)
    out.mkdir(parents=True, exist_ok=True)
    saved = out / "calibration.json"
    chain_file = out / "chain.npz"
    if not resume and chain_file.exists():
        chain_file.unlink()  # a new optimum: an earlier chain is not continued
    if resume and saved.exists():
        record = _saved_record(saved, objective)
        log(f"resuming {out}/: the optimum of calibration.json (J = "
            f"{record['fit']['objective']:.3f}) is kept")
    else:
        record = _optimise(out, objective, starts=starts, workers=workers,
                           max_evals=max_evals, profile_points=profile_points,
                           profile_evals=profile_evals, log=log)
    if steps:
        z_map = objective.space.unit({p["name"]: p["value"] for p in record["parameters"]})
        log(f"sampling the posterior: {walkers} walkers × {steps} steps with emcee, "
            f"{workers} worker(s)")
        chain = posterior.sample(objective, z_map, walkers=walkers, steps=steps,
                                 workers=workers, temperature=temperature,
                                 checkpoint=chain_file, log=log)
        draws = posterior.draws(chain, members)
        values = [objective.space.values(z) for z in draws]
        record["posterior"] = posterior_report.posterior_record(chain, objective, values)
        write_text_atomic(posterior.ensemble_text(objective.space.names, values,
                                                  posterior_report.ensemble_provenance(record)),
                          out / "calibrated_ensemble.csv")
        write_json_atomic(record, saved)
        write_text_atomic(calibration_readme(record), out / "README.md")
        log(f"wrote {out}/calibrated_ensemble.csv ({members} members; acceptance "
            f"{chain.acceptance:.2f}, {chain.seconds:.0f} s of sampling)")
    return record


def _optimise(out: Path, objective: Objective, *, starts: int, workers: int, max_evals: int,
              profile_points: int, profile_evals: int, log) -> dict[str, Any]:
    t0 = time.perf_counter()
    log(f"calibrating {len(objective.space.names)} parameters on "
        f"{int(objective.mask.sum())} training groups of {objective.region}: {starts} "
        f"start(s), ≤ {max_evals} runs each, {workers} worker(s)")
    result = fit.calibrate(objective, starts=starts, workers=workers, max_evals=max_evals)
    log(f"best J = {result.objective:.3f} after {time.perf_counter() - t0:.0f} s "
        f"(starts: {', '.join(f'{s.objective:.2f}' for s in result.starts)})")
    profile = None
    intervals = None
    if profile_points:
        log(f"profiling: {profile_points} points per parameter, ≤ {profile_evals} runs each")
        profile = fit.profile(objective, result, points=profile_points,
                              max_evals=profile_evals, workers=workers)
        intervals = fit.profile_intervals(profile)
        profile.to_csv(out / "profile.csv", index=False)
    ident = fit.local_identifiability(objective, result)
    seconds = time.perf_counter() - t0
    record = _record(result, objective, intervals, ident, seconds)
    write_json_atomic(record, out / "calibration.json")
    write_text_atomic(parameter_file_text(record), out / "calibrated_parameters.toml")
    write_text_atomic(calibration_readme(record), out / "README.md")
    log(f"wrote {out}/ (calibrated_parameters.toml, calibration.json, README.md"
        f"{', profile.csv' if profile is not None else ''}) in {seconds:.0f} s")
    return record


def _saved_record(path: Path, objective: Objective) -> dict[str, Any]:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        saved_names = tuple(p["name"] for p in record["parameters"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise InputError(f"cannot resume: not a calibration record ({err})",
                         source=str(path)) from None
    if saved_names != objective.space.names:
        raise InputError("cannot resume: the saved calibration fitted other parameters "
                         f"({', '.join(saved_names)}); use the same --fit or another --out",
                         source=str(path))
    return record


def _record(result: fit.Calibration, objective: Objective, intervals: pd.DataFrame | None,
            ident: dict[str, Any], seconds: float) -> dict[str, Any]:
    specs = Parameters.specs()
    space = objective.space
    z_best = result.z
    by_name = intervals.set_index("parameter") if intervals is not None else None
    params = []
    for name in result.names:
        spec = specs[name]
        row: dict[str, Any] = {
            "name": name, "value": result.values[name], "prior": spec.default,
            "plausible": list(spec.plausible), "unit": spec.unit,
            "local_se": ident["se"][name],
            "spread_of_starts": _start_spread(result, space, name),
        }
        z = z_best[space.names.index(name)]
        row["at_bound"] = bool(z < 0.01 or z > 0.99)
        if by_name is not None:
            iv = by_name.loc[name]
            row["profile_95"] = [float(iv["lower"]), float(iv["upper"])]
            row["open_lower"] = bool(iv["open_lower"])
            row["open_upper"] = bool(iv["open_upper"])
        params.append(row)
    corr = np.array(ident["correlation"])
    strong = [{"a": result.names[i], "b": result.names[j], "correlation": float(corr[i, j])}
              for i in range(len(corr)) for j in range(i + 1, len(corr))
              if abs(corr[i, j]) >= 0.8]
    ev = result.evaluation
    return {
        "date": datetime.now(UTC).date().isoformat(),
        "region": objective.region,
        "data": DATA_TEXT, "objective": OBJECTIVE_TEXT, "split": split_text(objective),
        "method": result.settings["method"], "settings": result.settings,
        "n_training_groups": int(objective.mask.sum()),
        "priors": [p.to_dict() for p in objective.priors],
        "fit": {"objective": ev.objective, **({"prior_penalty": ev.prior} if objective.priors
                                              else {}),
                **{f"rmse_{k}": math.sqrt(ev.mse[k]) for k in (*COMPONENTS, *MOMENTS)},
                **{f"n_{k}": ev.n[k] for k in (*COMPONENTS, *MOMENTS)}},
        "parameters": params,
        "starts": [{"objective": s.objective, "evaluations": s.evaluations,
                    "seconds": round(s.seconds, 1),
                    "values": space.values(np.array(s.z))} for s in result.starts],
        "identifiability": {"condition_number": ident["condition_number"],
                            "strong_correlations": strong,
                            "sloppiest_direction": _direction(ident, space, 0),
                            "stiffest_direction": _direction(ident, space, -1)},
        "seconds": round(seconds, 1),
        "git_commit": git_commit(), "versions": versions(), "environment": environment(),
    }


def _start_spread(result: fit.Calibration, space: SearchSpace, name: str) -> list[float]:
    """Range of the parameter over the starts whose J is within 2 of the best."""
    near = [space.values(np.array(s.z))[name] for s in result.starts
            if s.objective - result.objective <= 2.0]
    return [min(near), max(near)]


def _direction(ident: dict[str, Any], space: SearchSpace, k: int) -> dict[str, Any]:
    vec = np.array(ident["eigenvectors"])[:, k]
    order = np.argsort(-np.abs(vec))[:4]
    return {"eigenvalue": float(ident["eigenvalues"][k]),
            "loadings": {space.names[i]: round(float(vec[i]), 3) for i in order}}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def parameter_file_text(record: dict[str, Any]) -> str:
    """The ``calibrated_parameters.toml`` text of a calibration record."""
    lines = [
        "# Calibrated parameters of countysim: the package default when this file is",
        "# sim/data/calibrated_parameters.toml (sim.model.parameters.default_parameters).",
        "# Written by `countysim calibrate`; parameters not listed keep their literature",
        "# priors (sim/model/parameters.py). Report: docs/validation/.",
        "",
        "[parameters]",
    ]
    for p in record["parameters"]:
        lines.append(f"{p['name']} = {_toml_value(p['value'])}")
    lines += ["", "[provenance]"]
    for key in ("date", "region", "data", "objective", "split", "method", "git_commit"):
        lines.append(f"{key} = {_toml_value(record[key])}")
    lines.append(f"starts = {record['settings']['starts']}")
    lines.append(f"max_evals_per_start = {record['settings']['max_evals_per_start']}")
    lines.append(f"n_training_groups = {record['n_training_groups']}")
    lines.append("fitted_from = \"literature priors, Parameters() in sim/model/parameters.py\"")
    for prior in record.get("priors", []):
        lines.append(f"# Gaussian prior in J: {prior['name']} ~ N({prior['mean']:.6g}, "
                     f"{prior['sd']:.6g}²), {prior['source']}")
    lines += ["", "[fit]"]
    for key, value in record["fit"].items():
        lines.append(f"{key} = {_toml_value(value)}")
    if any("profile_95" in p for p in record["parameters"]):
        lines += ["", "# 95% profile-likelihood intervals (J − J* ≤ 3.84); see calibration.json",
                  "[uncertainty]"]
        for p in record["parameters"]:
            if "profile_95" in p:
                lines.append(f"{p['name']} = {_toml_value([round(v, 6) for v in p['profile_95']])}")
    return "\n".join(lines) + "\n"


#: Footnote of the intervals that :func:`format_interval` marks with †.
OPEN_END_NOTE = ("† the end of the plausible range: J − J* stays below 3.84 there, the data do "
                 "not bound the parameter on that side.")


def format_interval(p: dict[str, Any]) -> str:
    """The 95% profile interval of a parameter record, † marking open ends."""
    if "profile_95" not in p:
        return "—"
    lo, hi = p["profile_95"]
    return (f"{lo:.4g}{'†' if p['open_lower'] else ''} – "
            f"{hi:.4g}{'†' if p['open_upper'] else ''}")


def calibration_readme(record: dict[str, Any]) -> str:
    """A Markdown summary of a calibration record."""
    fitv = record["fit"]
    lines = [
        "# Calibration",
        "",
        f"Date {record['date']}, region `{record['region']}`, commit `{record['git_commit']}`, "
        f"{record['seconds']:.0f} s.",
        "",
        f"* **Data**: {record['data']}.",
        f"* **Objective**: {record['objective']}.",
        f"* **Split**: {record['split']}.",
        f"* **Method**: {record['method']}; {record['settings']['starts']} starts (the priors "
        f"and Latin-hypercube points), ≤ {record['settings']['max_evals_per_start']} runs each.",
        *[f"* **Gaussian prior in J**: `{p['name']}` ~ N({p['mean']:.4g}, {p['sd']:.4g}²); "
          f"{p['source']}." for p in record.get("priors", [])],
        "",
        f"At the optimum J = {fitv['objective']:.2f}; training RMSE of population log growth "
        f"{fitv['rmse_population']:.4f}, of the 2020 urban share {fitv['rmse_urban']:.2f} pp, of "
        f"GDP-share log growth {fitv['rmse_gdp']:.4f}.",
        "",
        "| parameter | prior | fitted | 95% profile interval | local s.e. | plausible range | "
        "note |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in record["parameters"]:
        interval = format_interval(p)
        note = []
        if p["at_bound"]:
            note.append("at a bound of its range")
        if p.get("open_lower") or p.get("open_upper"):
            note.append("not bounded by the data on one side")
        lines.append(f"| `{p['name']}` | {p['prior']:.4g} | **{p['value']:.4g}** | {interval} | "
                     f"{p['local_se']:.3g} | {p['plausible'][0]:g} – {p['plausible'][1]:g} | "
                     f"{'; '.join(note)} |")
    lines += ["", OPEN_END_NOTE, "", "Starts (J, runs, seconds):", ""]
    for s in record["starts"]:
        lines.append(f"* J = {s['objective']:.2f}, {s['evaluations']} runs, {s['seconds']:.0f} s")
    ident = record["identifiability"]
    lines += ["", "Local identifiability (Gauss–Newton information at the optimum, unit-cube "
              f"coordinates): condition number {ident['condition_number']:.3g}.", ""]
    for c in ident["strong_correlations"]:
        lines.append(f"* `{c['a']}` and `{c['b']}`: correlation {c['correlation']:+.2f}")
    sloppy = ident["sloppiest_direction"]
    lines.append(f"* sloppiest direction (eigenvalue {sloppy['eigenvalue']:.3g}): "
                 + ", ".join(f"{k} {v:+.2f}" for k, v in sloppy["loadings"].items()))
    if "posterior" in record:
        lines += ["", *posterior_report.posterior_readme(record["posterior"])]
    return "\n".join(lines) + "\n"


def read_parameter_file(path: str | Path, base: Parameters | None = None) -> Parameters:
    """Read a ``[parameters]`` TOML file (as written by calibrate) over ``base``.

    Raises:
        InputError: missing file, malformed TOML, no ``[parameters]`` table, an
            unknown name or a value outside its bounds.
    """
    path = Path(path)
    doc = read_toml(path, "parameter file")
    values = doc.get("parameters")
    if not isinstance(values, dict) or not values:
        raise InputError("no [parameters] table with values", source=str(path))
    base = base or Parameters()
    try:
        return base.replace(**values)
    except InputError as err:
        raise InputError(str(err), source=str(path)) from None
    except TypeError as err:
        raise InputError(f"bad parameter value: {err}", source=str(path)) from None
