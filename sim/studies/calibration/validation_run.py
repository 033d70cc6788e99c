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
        gdp_2019: output of 2019 (bn yuan, 2010 prices).
        gdp_2017, investment_2017: output and investment received in 2017.
        primary_va_2019: agriculture's share of 2019 output.
        farm_employment: share of the employed who farm, end year.
    """

    population: np.ndarray
    urban: np.ndarray
    gdp: np.ndarray
    registered_other_county: np.ndarray
    registered_other_province: np.ndarray
    aged_0_14: np.ndarray
    aged_65_plus: np.ndarray
    age_groups: np.ndarray
    gdp_2019: np.ndarray
    gdp_2017: np.ndarray
    investment_2017: np.ndarray
    primary_va_2019: np.ndarray
    farm_employment: np.ndarray


def run_validation(params: Parameters, region: str = "sichuan_chongqing",
                   end_year: int = END_YEAR) -> EndState:
    """Run the validation scenario deterministically with ``params``."""
    model = CountyModel(validation_scenario(region, end_year), deterministic=True,
                        parameters=params)
    model.run_model()
    s = model.state
    rec = model.recorder

    def at(column: str, year: int) -> np.ndarray:
        if year not in rec.years:  # a shorter run (tests): its end year
            return rec.buffers[column][-1].copy()
        return rec.buffers[column][rec.years.index(year)].copy()

    k = model.scope  # the region's counties among the simulated ones
    return EndState(population=s.population[k], urban=s.urban[k], gdp=s.gdp[k],
                    registered_other_county=s.registered_other_county[k],
                    registered_other_province=s.registered_other_province[k],
                    aged_0_14=s.ages[k][:, :, cohorts.CHILDREN].sum(axis=(1, 2)),
                    aged_65_plus=s.ages[k][:, :, cohorts.OLD].sum(axis=(1, 2)),
                    age_groups=cohorts.to_groups(s.ages[k]), gdp_2019=at("gdp_bn_yuan", 2019),
                    gdp_2017=at("gdp_bn_yuan", 2017),
                    investment_2017=at("investment_in_bn_yuan", 2017),
                    primary_va_2019=at("primary_va_share", 2019),
                    farm_employment=s.primary_pop_share[k])
