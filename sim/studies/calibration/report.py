"""``countysim validate``: metrics, baselines and figures of the 2010→2020 validation.

The model (with the parameters to validate, and with the literature priors for
reference) and the three baselines predict the 2020 population of every
comparison group; metrics are computed on the held-out and training splits
and on all groups, for the whole region and for the CCEC subset, and by
province. The report folder gets ``README.md``, ``metrics.json`` (what the
reproduction test compares) and PNG figures.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.base import sources
from sim.base.errors import InputError
from sim.figures import style, validation
from sim.model.network import Network
from sim.model.parameters import Parameters
from sim.model.region import load_region
from sim.model.scenario import load_scenario
from sim.outputs.files import write_json_atomic, write_text_atomic
from sim.outputs.results import Results
from sim.studies.calibration import baselines, forecast, lopo, metrics
from sim.studies.calibration.objective import residuals
from sim.studies.calibration.observed import Targets, census_targets
from sim.studies.calibration.report_page import (
    GROUP_TARGETS,
    PREDICTORS,
    WHOLE_TARGETS,
    readme,
)
from sim.studies.calibration.split import held_out_mask
from sim.studies.calibration.validation_run import (
    END_YEAR,
    START_YEAR,
    run_validation,
    validation_scenario,
)
from sim.studies.run import run

BASELINES = ("persistence", "natural_change", "gravity")
#: Metrics must be reproduced to this tolerance, absolute or relative (tests/test_validation.py):
#: the gravity baseline is fitted by an optimiser whose last digits differ between CPUs
#: (its median % error, 8.6, moved by 1e-6 between two machines).
TOLERANCE = 1e-6
#: Rank correlations get a looser one: rounding differences of ~1e-15 between
#: equivalent formulas can swap two nearly tied groups, which moves Spearman's ρ
#: by ~4e-6 per swap of neighbours among 143 groups.
RANK_TOLERANCE = 1e-4
#: China's GDP deflator 2010→2020: nominal GDP 41.21 → 101.60 trn yuan (×2.465)
#: over the real index ×1.933 (NBS yearly real growth 9.6, 7.9, 7.8, 7.4, 7.0,
#: 6.8, 6.9, 6.7, 6.0, 2.2 %), NBS China Statistical Yearbook 2021, tables 3-1, 3-4.
NATIONAL_DEFLATOR_2020 = 1.275


@dataclass(frozen=True)
class Prediction:
    """2020 values per group of one predictor (None where it predicts nothing)."""

    population: np.ndarray
    urban: np.ndarray | None = None
    gdp: np.ndarray | None = None


def _run(params: Parameters, region: str) -> Results:
    return run(validation_scenario(region), deterministic=True, parameters=params)


def _end(results: Results, column: str) -> np.ndarray:
    cy = results.county_year
    return cy.loc[cy["year"] == END_YEAR, column].to_numpy(dtype=float)


def predict(targets: Targets, params: Parameters, region: str
            ) -> tuple[dict[str, Prediction], dict[str, Any]]:
    """Predictions of the model (``params`` and priors) and of the three baselines.

    Returns:
        (predictions by predictor key, extra facts: gravity fit, model totals).
    """
    table = load_region(region, START_YEAR).table
    pop = table["population"].to_numpy(dtype=float)
    urban = table["urban_population"].to_numpy(dtype=float)
    g = targets.groups
    train = ~held_out_mask(g.index.to_numpy())
    out: dict[str, Prediction] = {}
    runs = {"model": _run(params, region), "model_priors": _run(Parameters(), region)}
    for key, res in runs.items():
        out[key] = Prediction(
            population=targets.aggregate(_end(res, "population")),
            urban=targets.aggregate(_end(res, "urban_population")),
            gdp=targets.aggregate(_end(res, "gdp_bn_yuan")))

    province = table["province_en"].to_numpy()
    grp_prov = g["province"].to_numpy()
    pop_growth = baselines.province_growth(g["pop_2010"].to_numpy(), g["pop_2020"].to_numpy(),
                                           grp_prov)
    urban_growth = baselines.province_growth(g["urban_2010"].to_numpy(),
                                             g["urban_2020"].to_numpy(), grp_prov)
    ok = g["gdp_comparable"].to_numpy()
    # Real growth (2020 deflated by the province's GDP deflator), as the model's GDP.
    gdp_growth = baselines.province_growth(g["gdp_2010"].to_numpy()[ok],
                                           g["real_gdp_2020"].to_numpy()[ok], grp_prov[ok])
    p, u = baselines.persistence(pop, urban, province, pop_growth, urban_growth)
    gdp10 = table["gdp_bn_yuan"].to_numpy(dtype=float)
    out["persistence"] = Prediction(
        population=targets.aggregate(p), urban=targets.aggregate(u),
        gdp=targets.aggregate(gdp10 * np.array([gdp_growth[x] for x in province])))
    p, u = baselines.natural_change(pop, urban, table["birth_rate"].to_numpy(dtype=float),
                                    table["death_rate"].to_numpy(dtype=float),
                                    END_YEAR - START_YEAR)
    out["natural_change"] = Prediction(population=targets.aggregate(p),
                                       urban=targets.aggregate(u))
    network = Network(load_region(region, START_YEAR), Parameters())
    network.set_year(START_YEAR)
    tt = network.travel_time[:-1, :-1]
    gravity_fit = baselines.fit_gravity(pop, gdp10, tt, targets.unit_group,
                                        g["pop_2010"].to_numpy(), g["pop_2020"].to_numpy(),
                                        train)
    out["gravity"] = Prediction(population=targets.aggregate(
        baselines.gravity(pop, gdp10, tt, **gravity_fit.params())))

    ry = runs["model"].region_year.set_index("year")
    cy = runs["model"].county_year
    later = cy[cy["year"] > START_YEAR]
    facts = {
        "gravity_fit": {k: float(v) for k, v in vars(gravity_fit).items()},
        "persistence_rates": {"population": pop_growth, "urban": urban_growth,
                              "gdp_real": gdp_growth},
        "model_totals": {
            "population_2010": float(ry.loc[START_YEAR, "population"]),
            "population_2020": float(ry.loc[END_YEAR, "population"]),
            "observed_population_2020": float(g["pop_2020"].sum()),
            "urbanisation_2010": float(ry.loc[START_YEAR, "urbanisation_rate"]),
            "urbanisation_2020": float(ry.loc[END_YEAR, "urbanisation_rate"]),
            "observed_urbanisation_2020": float(g["urban_2020"].sum() / g["pop_2020"].sum()),
            "births": float(later["births"].sum()), "deaths": float(later["deaths"].sum()),
            "roc_in": float(later["roc_in_migration"].sum()),
            "roc_out": float(later["roc_out_migration"].sum()),
            "moves_between_counties": float(
                (later["out_migration"] - later["roc_out_migration"]).sum()),
            "gdp_2010": float(ry.loc[START_YEAR, "gdp_bn_yuan"]),
            "gdp_2020": float(ry.loc[END_YEAR, "gdp_bn_yuan"]),
            "observed_gdp_2010_nominal": float(gdp10.sum()),
            "observed_gdp_2020_nominal": float(g["gdp_2020"].sum()),
            "national_deflator_2020": NATIONAL_DEFLATOR_2020,
            "real_growth_2010_2019_model": float(
                (targets.aggregate(cy.loc[cy["year"] == 2019, "gdp_bn_yuan"].to_numpy())[ok].sum()
                 / g["gdp_2010"].to_numpy()[ok].sum()) ** (1 / 9) - 1),
            "real_growth_2010_2019_observed": float(
                (g["real_gdp_2019"].to_numpy()[ok].sum() / g["gdp_2010"].to_numpy()[ok].sum())
                ** (1 / 9) - 1),
        },
    }
    return out, facts


def _metrics(targets: Targets, pred: Prediction, mask: np.ndarray) -> dict[str, Any]:
    g = targets.groups
    col = {c: g[c].to_numpy()[mask] for c in ("pop_2010", "pop_2020", "urban_2010",
                                               "urban_2020", "gdp_2010", "real_gdp_2020")}
    out: dict[str, Any] = {"population": metrics.population_metrics(
        col["pop_2010"], col["pop_2020"], pred.population[mask])}
    out["urban"] = None if pred.urban is None else metrics.urban_metrics(
        col["pop_2010"], col["urban_2010"], col["pop_2020"], col["urban_2020"],
        pred.population[mask], pred.urban[mask])
    ok = g["gdp_comparable"].to_numpy()[mask]
    out["gdp"] = None if pred.gdp is None else metrics.gdp_metrics(
        col["gdp_2010"][ok], col["real_gdp_2020"][ok], pred.gdp[mask][ok])
    return out


def subsets(targets: Targets) -> dict[str, np.ndarray]:
    """The group subsets reported: the whole region and, within it, the CCEC."""
    everything = np.ones(targets.n, dtype=bool)
    if targets.region == "ccec":
        return {"ccec": everything}
    return {targets.region: everything, "ccec": targets.column("in_ccec").astype(bool)}


def metric_tables(targets: Targets, preds: dict[str, Prediction]) -> dict[str, Any]:
    """Metrics by subset, split and predictor, and by province (all keys JSON-ready)."""
    held = held_out_mask(targets.groups.index.to_numpy())
    splits = {"held_out": held, "training": ~held, "all": np.ones_like(held)}
    table: dict[str, Any] = {}
    for name, subset in subsets(targets).items():
        table[name] = {s: {k: _metrics(targets, p, subset & m) for k, p in preds.items()}
                       for s, m in splits.items()}
    provinces = {}
    for prov in sorted(set(targets.groups["province"])):
        in_prov = targets.column("province") == prov
        provinces[prov] = {s: {k: _metrics(targets, p, in_prov & m) for k, p in preds.items()}
                           for s, m in splits.items() if s != "training"}
    return {"subsets": table, "provinces": provinces}


def beats_baselines(tables: dict[str, Any]) -> dict[str, dict[str, bool]]:
    """Whether the model beats every baseline on held-out RMSE and Spearman, per subset."""
    out = {}
    for name, splits in tables["subsets"].items():
        held = splits["held_out"]
        model = held["model"]["population"]
        out[name] = {
            "rmse": all(model["rmse"] < held[b]["population"]["rmse"] for b in BASELINES),
            "spearman": all(model["spearman"] > _num(held[b]["population"]["spearman"])
                            for b in BASELINES),
        }
    return out


def target_tables(targets: Targets, params: Parameters, region: str) -> dict[str, Any]:
    """RMSE of every calibration target, held out and in sample, by province.

    For the calibrated model and, as reference, the model with the literature priors.
    """
    held = held_out_mask(targets.groups.index.to_numpy())
    province = targets.column("province")
    outcomes = {"model": run_validation(params, region, END_YEAR),
                "model_priors": run_validation(Parameters(), region, END_YEAR)}
    by_group: dict[str, Any] = {}
    for split, in_split in {"held_out": held, "training": ~held}.items():
        by_group[split] = {}
        for prov in ("all", *sorted(set(province))):
            mask = in_split & ((province == prov) if prov != "all" else True)
            cell = {}
            for key, outcome in outcomes.items():
                with np.errstate(all="ignore"):
                    res = residuals(outcome, targets, mask)
                cell[key] = {k: {"rmse": float(np.sqrt(np.mean(res[k] ** 2))),
                                 "n": len(res[k])} for k in GROUP_TARGETS}
            by_group[split][prov] = cell
    whole = {}
    every = np.ones(targets.n, dtype=bool)
    for key, outcome in outcomes.items():
        res = residuals(outcome, targets, every)
        whole[key] = {k: {"rmse": float(np.sqrt(np.mean(res[k] ** 2))), "n": len(res[k])}
                      for k in WHOLE_TARGETS}
    return {"by_group": by_group, "whole": whole}


def _num(x: float) -> float:
    return -math.inf if x is None or (isinstance(x, float) and math.isnan(x)) else x


def validate(out: Path, params: Parameters, *, params_source: str,
             region: str = "sichuan_chongqing", figures: bool = True,
             calibration_dir: Path | None = None,
             ensemble: list[Parameters] | None = None, replicates: int = 20,
             lopo_evals: int = 0, workers: int = 2) -> dict[str, Any]:
    """Run the validation, write ``out/README.md``, ``out/metrics.json`` and figures.

    Args:
        out: report folder (created).
        params: the parameter set to validate.
        params_source: where ``params`` came from (shown in the report).
        region: ``sichuan_chongqing`` (reports the CCEC subset too) or ``ccec``.
        figures: also draw the PNG figures.
        calibration_dir: folder of a ``countysim calibrate`` run to summarise
            (default: ``out/calibration`` if it exists).
        ensemble: members of the calibrated ensemble; with them the report gets the
            2020→2025 baseline forecast with its bands (``baseline_forecast.csv``).
        replicates: random replicates of the forecast's stochastic band.
        lopo_evals: model runs per refit of the leave-one-prefecture-out check
            (:mod:`~sim.studies.calibration.lopo`); 0 skips it.
        workers: processes for that check.

    Returns:
        The content of ``metrics.json``.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError("output path exists and is not a folder", source=str(out))
    out.mkdir(parents=True, exist_ok=True)
    targets = census_targets(region)
    preds, facts = predict(targets, params, region)
    tables = metric_tables(targets, preds)
    record = {
        "region": region,
        "run": f"deterministic, {START_YEAR} census state, rail lines opened in their real "
               f"years, {START_YEAR}→{END_YEAR}",
        "parameters": {"source": params_source, "values": params.to_dict()},
        "tolerance": TOLERANCE,
        "rank_tolerance": RANK_TOLERANCE,
        "n_groups": targets.n,
        "n_held_out": int(held_out_mask(targets.groups.index.to_numpy()).sum()),
        **tables,
        "beats_baselines_held_out": beats_baselines(tables),
        "targets": target_tables(targets, params, region),
        **_clean(facts),
    }
    if lopo_evals:
        folds = lopo.leave_one_prefecture_out(targets, params, region, max_evals=lopo_evals,
                                              workers=workers)
        folds.to_csv(out / "lopo.csv", index=False, float_format="%.6g")
        record["lopo"] = _clean({"refitted": list(lopo.LOPO_FIT), "max_evals": lopo_evals,
                                 "pooled": lopo.pooled(folds),
                                 "prefectures": folds.to_dict("records")})
    bands = None
    if ensemble:
        bands = forecast.baseline_bands(ensemble, params, replicates=replicates)
        bands.to_csv(out / "baseline_forecast.csv", float_format="%.6g")
        record["baseline_forecast"] = {
            "members": len(ensemble), "replicates": replicates,
            "rows": [{"level": lv, "name": nm, "year": int(yr), **row}
                     for (lv, nm, yr), row in bands.loc[["region", "province"]]
                     .to_dict("index").items()]}
    record = _clean(record)
    write_json_atomic(record, out / "metrics.json", indent=1, allow_nan=False)
    if figures:
        draw_figures(out, targets, preds)
    calibration_dir = calibration_dir or out / "calibration"
    calibration = None
    if (calibration_dir / "calibration.json").is_file():
        calibration = json.loads((calibration_dir / "calibration.json").read_text("utf-8"))
    extra = [] if bands is None else forecast.bands_markdown(
        bands, len(ensemble), replicates, load_scenario(forecast.BASELINE).region)
    write_text_atomic(readme(record, calibration, figures, _relative(calibration_dir, out),
                             extra), out / "README.md")
    return record


def _relative(path: Path, start: Path) -> str:
    try:
        return str(path.resolve().relative_to(start.resolve()))
    except ValueError:
        return str(path)


def _clean(obj: Any) -> Any:
    """JSON-ready copy: numpy scalars to floats, NaN to None, keys to strings."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return None if math.isnan(obj) else float(obj)
    return obj


# --------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------


def _save(fig: Figure, path: Path) -> None:
    style.save_figure(fig, path, formats=("png",), dpi=style.SCREEN_DPI)
    plt.close(fig)


def draw_figures(out: Path, targets: Targets, preds: dict[str, Prediction]) -> None:
    """Write the PNG figures of :data:`FIGURES` into ``out`` (drawn by sim.figures.validation)."""
    g = targets.groups
    held = held_out_mask(g.index.to_numpy())
    p10, p20 = g["pop_2010"].to_numpy(), g["pop_2020"].to_numpy()
    with style.paper_style():
        fig, axes = style.figure("double", 3.4, ncols=2, layout="constrained")
        for ax, key in zip(axes, ("model", "gravity"), strict=True):
            validation.observed_vs_predicted(
                p20 / 1e3, preds[key].population / 1e3, held, log=True, ax=ax,
                xlabel="observed 2020 population (thousand)",
                ylabel="predicted 2020 population (thousand)", title=PREDICTORS[key])
        _save(fig, out / "scatter_population.png")

        fig, axes = style.figure("double", 3.4, ncols=2, layout="constrained")
        for ax, key in zip(axes, ("model", "gravity"), strict=True):
            validation.observed_vs_predicted(
                np.log(p20 / p10), np.log(preds[key].population / p10), held, ax=ax,
                xlabel="observed ln(P2020 / P2010)", ylabel="predicted ln(P2020 / P2010)",
                title=PREDICTORS[key])
        _save(fig, out / "scatter_growth.png")

        counties = sources.counties().set_index("code")["cmp_group"]
        residual = pd.Series(np.log(preds["model"].population / p20), index=g.index)
        held_groups = set(g.index[held])
        fig, ax = style.figure("double", 5.2, layout="constrained")
        validation.residual_map(counties.map(residual).dropna(),
                                [c for c, grp in counties.items() if grp in held_groups],
                                ax=ax)
        _save(fig, out / "residual_map.png")

        fig, ax = style.figure("single", 3.3, layout="constrained")
        s10 = 100 * g["urban_2010"].to_numpy() / p10
        validation.observed_vs_predicted(
            100 * g["urban_2020"].to_numpy() / p20 - s10,
            100 * preds["model"].urban / preds["model"].population - s10, held, ax=ax,
            xlabel="observed change of urban share (pp)", ylabel="predicted change (pp)",
            title="urban share 2010→2020, model")
        _save(fig, out / "scatter_urban.png")

        fig, ax = style.figure("single", 3.3, layout="constrained")
        ok = g["gdp_comparable"].to_numpy()
        y10, y20, yp = (g["gdp_2010"].to_numpy()[ok], g["real_gdp_2020"].to_numpy()[ok],
                        preds["model"].gdp[ok])
        base = np.log(y10 / y10.sum())
        validation.observed_vs_predicted(
            np.log(y20 / y20.sum()) - base, np.log(yp / yp.sum()) - base, held[ok], ax=ax,
            xlabel="observed log growth of GDP share", ylabel="predicted",
            title="GDP shares 2010→2020, model")
        _save(fig, out / "scatter_gdp.png")


# --------------------------------------------------------------------------------------
# README
# --------------------------------------------------------------------------------------


