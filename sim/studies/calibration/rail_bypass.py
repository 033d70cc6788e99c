"""What the 2010–2019 rail openings did to the counties they passed by, in the model.

Market access MA_i = Σ_j Y_j exp(−θ τ_ij) never falls when a line opens
elsewhere (travel times only shrink), but migration and investment choose
among destinations (eqs. 5c, 6b): when the cores come closer to some counties,
the others lose relative to them. The deterministic validation run 2010→2019
with the real openings is compared with the same run without the rail lines
that opened 2010–2019 (their openings moved 25 years later, after the run; the
roads and expressways stay as in the data), and with the whole network frozen
after 2010 (``freeze_after``; the 2010 openings stay), per unit and by distance
from the new stations.
docs/validation/market_access.md reports the tables.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from sim.model.parameters import Parameters, default_parameters
from sim.model.region import CORE_CODES, load_region
from sim.model.scenario import Scenario, build_scenario
from sim.model.shell import CountyModel
from sim.studies.calibration.market_access import (
    BASE_YEAR,
    END_YEAR,
    design,
    lines_opened,
    station_counties,
)
from sim.studies.calibration.validation_run import START_YEAR, validation_scenario

#: Counterfactuals of :func:`counterfactual_scenario`.
COUNTERFACTUALS = ("without_new_rail", "network_frozen_2010")
#: Classes of units by road-network time (2009 network) to the nearest new station.
BANDS = ((0.0, 1.0, "within 1 h"), (1.0, 2.0, "1–2 h"), (2.0, np.inf, "over 2 h"))


@cache
def counterfactual_scenario(name: str) -> Scenario:
    """The validation scenario to 2019 without the 2010–2019 rail, or with a frozen network."""
    if name == "without_new_rail":
        lever = {"id": "no_rail_2010_2019", "type": "connectivity", "start_year": START_YEAR,
                 "shift_lines": [{"line": line, "years": 25}
                                 for line in lines_opened(BASE_YEAR + 1, END_YEAR)]}
    elif name == "network_frozen_2010":
        lever = {"id": "frozen_2010", "type": "connectivity", "start_year": START_YEAR,
                 "freeze_after": START_YEAR}
    else:
        raise ValueError(f"unknown counterfactual '{name}'; known: {', '.join(COUNTERFACTUALS)}")
    base = validation_scenario(end_year=END_YEAR)
    return build_scenario({"name": f"validation_{name}", "region": base.region,
                           "start_year": START_YEAR, "end_year": END_YEAR,
                           "description": f"validation run, {name.replace('_', ' ')}",
                           "levers": [lever]})


def _end_state(scenario: Scenario, params: Parameters) -> tuple[np.ndarray, np.ndarray]:
    model = CountyModel(scenario, deterministic=True, parameters=params)
    model.run_model()
    return model.state.population.copy(), model.state.gdp.copy()


def bypass_effects(params: Parameters | None = None,
                   counterfactual: str = "without_new_rail") -> pd.DataFrame:
    """Per unit: 2019 population and GDP with the real openings vs. the counterfactual.

    ``network_frozen_2010`` keeps the 2010 openings (Chengdu–Dujiangyan), but also
    closes the expressways of 2011–2019; its "new stations" are still those of 2010–2019.

    Returns:
        One row per unit (model order): ``code``, ``name_en``, ``gains_station``
        (a station opening 2010–2019, none before), ``is_core``,
        ``hours_to_new_station`` (road network before 2010), ``band``,
        ``d_ln_population`` and ``d_ln_gdp`` (ln real − ln counterfactual, 2019).
    """
    params = params or default_parameters()
    real = _end_state(validation_scenario(end_year=END_YEAR), params)
    other = _end_state(counterfactual_scenario(counterfactual), params)
    region = load_region("sichuan_chongqing", START_YEAR)
    codes = region.codes
    new = np.isin(codes, list(station_counties(BASE_YEAR + 1, END_YEAR)))
    new &= ~np.isin(codes, list(station_counties(0, BASE_YEAR)))
    tau = design(params).times["before"]
    hours = tau[:, new].min(axis=1)
    hours[new] = 0.0
    band = np.where(new, "gains a station", "")
    for lo, hi, label in BANDS:
        band = np.where(~new & (hours >= lo) & (hours < hi), label, band)
    return pd.DataFrame({
        "code": codes, "name_en": region.table["name_en"].to_numpy(), "gains_station": new,
        "is_core": np.isin(codes, CORE_CODES), "hours_to_new_station": hours, "band": band,
        "d_ln_population": np.log(real[0] / other[0]), "d_ln_gdp": np.log(real[1] / other[1]),
    })


def bypass_summary(effects: pd.DataFrame) -> pd.DataFrame:
    """Mean, minimum and share of losers of the effects, by distance band.

    Returns:
        One row per band (``gains a station`` first, then by hours): ``units``,
        mean and min of ``d_ln_population`` and ``d_ln_gdp`` (percent) and the
        share of units losing population / GDP.
    """
    order = ["gains a station", *[b[2] for b in BANDS]]
    g = effects.groupby("band")
    table = pd.DataFrame({
        "units": g.size(),
        "population_mean_pct": 100 * g["d_ln_population"].mean(),
        "population_min_pct": 100 * g["d_ln_population"].min(),
        "population_losers": g["d_ln_population"].apply(lambda v: float((v < 0).mean())),
        "gdp_mean_pct": 100 * g["d_ln_gdp"].mean(),
        "gdp_min_pct": 100 * g["d_ln_gdp"].min(),
        "gdp_losers": g["d_ln_gdp"].apply(lambda v: float((v < 0).mean())),
    })
    return table.reindex([b for b in order if b in table.index])
