"""``connectivity``: infrastructure connectivity.

Acts on the network, not on the year's policy: new links from the lever's
start year, planned lines opened or existing openings moved, and a travel-time
factor on the targets' road and rail edges while the lever is active.
"""

from __future__ import annotations

import difflib
from typing import Literal, override

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sim.base.errors import FieldError
from sim.model.core.state import Policy
from sim.model.levers.base import Evidence, Lever, LeverContext
from sim.model.network import (
    Link,
    NetworkChanges,
    TimeFactor,
    line_names,
    line_station_codes,
)
from sim.model.region import FIRST_YEAR, LAST_YEAR, Region
from sim.model.selection import CountyRef, TargetSpec, county_code


def _check_line(name: str) -> str:
    known = line_names()
    if name not in known:
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
        hint = f"; did you mean '{close[0]}'?" if close else (
            "; see line_name_en in sim/data/rail_lines.csv")
        raise ValueError(f"unknown rail line '{name}'{hint}")
    return name


class NewLink(BaseModel):
    """A new road or rail link between two counties.

    Attributes:
        between: the two counties (names or codes).
        mode: road or rail (a rail link joins the counties' stations).
        speed_kmh: design speed for rail (×0.7 operating), average speed for road.
        year: opening year (default: the lever's start year).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    between: tuple[CountyRef, CountyRef]
    mode: Literal["road", "rail"] = "rail"
    speed_kmh: float = Field(250.0, gt=0, le=400, description="km/h")
    year: int | None = Field(None, ge=FIRST_YEAR, le=LAST_YEAR, description="year")

    @field_validator("between")
    @classmethod
    def _known_counties(cls, value: tuple[CountyRef, CountyRef]) -> tuple[CountyRef, CountyRef]:
        a, b = county_code(value[0]), county_code(value[1])
        if a == b:
            raise ValueError("a link needs two different counties")
        return value


class LineOpening(BaseModel):
    """Open every station of a line (planned or not) in ``year``.

    Attributes:
        line: ``line_name_en`` from rail_lines.csv.
        year: opening year (default: the lever's start year).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    line: str
    year: int | None = Field(None, ge=FIRST_YEAR, le=LAST_YEAR, description="year")

    @field_validator("line")
    @classmethod
    def _known_line(cls, value: str) -> str:
        return _check_line(value)


class LineShift(BaseModel):
    """Move the opening of every station of a line by ``years`` (negative: earlier).

    Attributes:
        line: ``line_name_en`` from rail_lines.csv.
        years: years added to each station's opening year in the data.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    line: str
    years: int = Field(ge=-25, le=25, description="years")

    @field_validator("line")
    @classmethod
    def _known_line(cls, value: str) -> str:
        return _check_line(value)


class ServedCounties(TargetSpec):
    """The default targets of a connectivity lever: the counties its links and lines serve."""

    @override
    def empty_message(self, region: Region) -> str:
        return (f"not given, and the lever's links and lines serve no county of region "
                f"'{region.name}'")


class Connectivity(Lever):
    """New and faster links.

    Attributes:
        links: new links between named counties, by mode and speed.
        open_lines: lines of ``rail_lines.csv`` to open in a chosen year.
        shift_lines: lines whose real or planned opening moves earlier or later.
        time_factor: multiplier of travel time on the targets' road and rail
            edges while the lever is active (1: none; 0.8: 20% faster).
        freeze_after: no road or rail link opens after this year, whatever the
            data say (a counterfactual network, e.g. frozen at 2020).
        targets: counties whose edges the time factor speeds up; by default the
            counties the links and lines serve.
    """

    mechanism = ("changes the network (eq. 1): `links` open in their year, `open_lines` "
                 "and `shift_lines` move rail openings, `time_factor` scales the travel "
                 "time of the targets' edges; travel times, market access and every "
                 "distance kernel follow")
    source_area = "infrastructure connectivity"
    shows_in = ("travel_time_to_core_h", "market_access", "in_migration", "gdp_bn_yuan")
    primary_outcome = "gdp_bn_yuan"
    evidence = Evidence(
        low=0.0, high=5.0,
        measure=("size of a county's GDP response to a change in its rail service: "
                 "counties on upgraded lines that the new high-speed services "
                 "bypassed lost about 5 % of GDP (Qin 2017, county difference-in-"
                 "differences, mostly through fixed investment); the lever speeds "
                 "the targets up, so the mirror case is read as a gain of at most "
                 "that size"),
        citations=(
            ("Qin, Y. (2017). 'No county left behind?' The distributional impact of "
             "high-speed rail upgrades in China. Journal of Economic Geography "
             "17(3): 489–520."),
            ("Grover, A., Lall, S. V. & Timmis, J. (2023). Agglomeration economies "
             "in developing countries: a meta-analysis. Regional Science and Urban "
             "Economics 101: 103901."),))
    identification = ("prior-bound: the effect runs through the market-access "
                      "elasticity φ and the decay θ, which the 2010–2019 rail "
                      "openings do not identify (docs/validation/market_access.md); "
                      "the calibration holds φ to the literature prior N(0.05, "
                      "0.025) of Grover, Lall & Timmis (2023) and θ to a judgement "
                      "prior N(1.0, 0.5) that the census data overrule: θ ends at "
                      "0.11/h, near its lower bound, so market access is nearly flat "
                      "in travel time and 15 % faster links move it (and GDP) very "
                      "little, below the 0.2 % mark in `connectivity.toml`")

    type: Literal["connectivity"]
    targets: TargetSpec | None = None
    links: tuple[NewLink, ...] = ()
    open_lines: tuple[LineOpening, ...] = ()
    shift_lines: tuple[LineShift, ...] = ()
    time_factor: float = Field(1.0, ge=0.1, le=1.0, description="× travel time")
    freeze_after: int | None = Field(None, ge=FIRST_YEAR, le=LAST_YEAR, description="year")

    @model_validator(mode="after")
    def _does_something(self) -> Connectivity:
        if not (self.links or self.open_lines or self.shift_lines or self.time_factor < 1
                or self.freeze_after is not None):
            raise ValueError("a connectivity lever needs links, open_lines, shift_lines, "
                             "freeze_after or a time_factor below 1")
        if self.time_factor < 1 and self.targets is None:
            raise ValueError("time_factor needs targets (the counties whose edges get faster)")
        if self.ramp_years:
            raise FieldError("ramp_years", "connectivity changes are discrete and do not "
                             f"ramp (got {self.ramp_years}); leave ramp_years out")
        return self

    def served_counties(self) -> tuple[int, ...]:
        """Codes of the counties the links and lines of this lever serve."""
        codes = {county_code(c) for link in self.links for c in link.between}
        for item in (*self.open_lines, *self.shift_lines):
            codes.update(line_station_codes(item.line))
        return tuple(sorted(codes))

    @override
    def target_fields(self) -> dict[str, TargetSpec]:
        if self.targets is not None:
            return {"targets": self.targets}
        served = self.served_counties()
        # A freeze acts on the whole network.
        if not served:
            return {"targets": TargetSpec(all=True)}
        return {"targets": ServedCounties(counties=served, outside_region="ignore")}

    @override
    def network_changes(self, masks: dict[str, np.ndarray], region: Region
                        ) -> NetworkChanges:
        links = tuple(
            Link(a=county_code(link.between[0]), b=county_code(link.between[1]),
                 mode=link.mode, speed_kmh=link.speed_kmh,
                 open_year=link.year or self.start_year, label=f"{self.id} (scenario)")
            for link in self.links)
        factors = ()
        if self.time_factor < 1:
            codes = frozenset(int(c) for c in region.codes[masks["targets"]])
            factors = (TimeFactor(codes=codes, factor=self.time_factor,
                                  start_year=self.start_year, end_year=self.end_year),)
        return NetworkChanges(
            line_open_years=tuple((o.line, o.year or self.start_year) for o in self.open_lines),
            line_year_shifts=tuple((s.line, s.years) for s in self.shift_lines),
            links=links, time_factors=factors, frozen_after=self.freeze_after)

    @override
    def apply(self, policy: Policy, masks: dict[str, np.ndarray], weight: float,
              ctx: LeverContext) -> None:
        # Its effect is on the network, applied in step 1 of the year.
        return
