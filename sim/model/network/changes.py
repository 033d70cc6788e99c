"""What a scenario changes in the network: new links, line openings, time factors."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Link:
    """A new link between two counties that a scenario adds.

    Attributes:
        a, b: administrative codes of the two counties.
        mode: ``"road"`` or ``"rail"``.
        speed_kmh: design speed (rail) or average speed (road).
        open_year: first year the link exists.
        label: free text shown in the graph and plots.
    """

    a: int
    b: int
    mode: str
    speed_kmh: float
    open_year: int
    label: str = "scenario link"


@dataclass(frozen=True)
class TimeFactor:
    """Multiply the travel time of edges touching some counties, in some years.

    Attributes:
        codes: counties whose incident road and rail edges are affected.
        factor: multiplier of edge time (< 1 is faster).
        start_year, end_year: inclusive years the factor applies (end None = open).
    """

    codes: frozenset[int]
    factor: float
    start_year: int
    end_year: int | None = None

    def active(self, year: int) -> bool:
        """Whether the factor applies in ``year``."""
        return self.start_year <= year and (self.end_year is None or year <= self.end_year)


@dataclass(frozen=True)
class NetworkChanges:
    """What a scenario changes in the network (the connectivity lever fills it).

    Hashable, so that the candidate edges of a set of changes are built once.

    Attributes:
        line_open_years: (line name, year) pairs: all stations of the line
            (``line_name_en`` in ``rail_lines.csv``) open in that year.
        line_year_shifts: (line name, years) pairs: every station of the line
            opens that many years later (negative: earlier) than in the data.
        links: new links between counties.
        time_factors: travel-time multipliers.
        frozen_after: if set, no road, rail or scenario link opens after this
            year (the network stays as it was; a counterfactual).
    """

    line_open_years: tuple[tuple[str, int], ...] = ()
    line_year_shifts: tuple[tuple[str, int], ...] = ()
    links: tuple[Link, ...] = ()
    time_factors: tuple[TimeFactor, ...] = ()
    frozen_after: int | None = None
