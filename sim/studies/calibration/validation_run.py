"""The validation run: 2010 census state, real rail openings, run to 2020.

A 2010 start year initialises from the 2010 census and opens every rail line
of ``rail_lines.csv`` in its real opening year (planned lines never), so the
scenario needs no levers. Calibration calls :func:`run_validation` thousands of
times; it runs the model deterministically (expected flows) and keeps only the
end-year arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from sim.model.core import cohorts
from sim.model.parameters import Parameters
from sim.model.scenario import Scenario, build_scenario
from sim.model.shell import CountyModel

START_YEAR, END_YEAR = 2010, 2020


@cache
def validation_scenario(region: str = "sichuan_chongqing", end_year: int = END_YEAR
                        ) -> Scenario:
    """The scenario of the validation run (no levers; real openings only)."""
    return build_scenario({
        "name": "validation", "region": region, "start_year": START_YEAR,
        "end_year": end_year,
        "description": "Validation run: 2010 census state, rail lines of 2010–2020 opened "
                       "in their real years, compared with the 2020 census.",
    })


@dataclass(frozen=True, eq=False)
class EndState:
    """End-year values per unit (model order) of one deterministic run.

    Attributes:
        population, urban: residents (persons).
        gdp: output of the end year (bn yuan, 2010 prices).
        registered_other_county, registered_other_province: residents registered in
            another county of the province / another province.
        aged_0_14, aged_65_plus: residents of those ages.
        age_groups: (N, 2, 19) residents by sex and census age group.
    """

    population: np.ndarray
    urban: np.ndarray
    gdp: np.ndarray
    registered_other_county: np.ndarray
    registered_other_province: np.ndarray
    aged_0_14: np.ndarray
    aged_65_plus: np.ndarray
    age_groups: np.ndarray


def run_validation(params: Parameters, region: str = "sichuan_chongqing",
                   end_year: int = END_YEAR) -> EndState:
    """Run the validation scenario deterministically with ``params``."""
    model = CountyModel(validation_scenario(region, end_year), deterministic=True,
                        parameters=params)
    model.run_model()
    s = model.state
    return EndState(population=s.population, urban=s.urban.copy(), gdp=s.gdp.copy(),
                    registered_other_county=s.registered_other_county.copy(),
                    registered_other_province=s.registered_other_province.copy(),
                    aged_0_14=s.ages[:, :, cohorts.CHILDREN].sum(axis=(1, 2)),
                    aged_65_plus=s.ages[:, :, cohorts.OLD].sum(axis=(1, 2)),
                    age_groups=cohorts.to_groups(s.ages))
