"""Names, units and display scales of the output columns, for labels and tables.

Every figure and table takes its axis labels from here, so one column has one
name and one unit everywhere (STYLE.md: one word per concept).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.model.recorder import COUNTY_YEAR_COLUMNS, REGION_YEAR_COLUMNS

#: Columns of the flows table.
FLOW_COLUMNS = ("run_id", "scenario", "replicate", "seed", "year", "origin", "destination",
                "migrants", "investment_bn_yuan")
#: Columns of the levers table.
LEVER_COLUMNS = ("run_id", "scenario", "replicate", "seed", "year", "code", "lever_id",
                 "lever_type", "weight")
#: Columns of a batch's runs table that are not swept parameters.
RUN_COLUMNS = ("run_id", "scenario", "replicate", "seed", "status", "error", "seconds")
#: Every column the results contract names; anything else in a batch table is a
#: swept parameter.
CONTRACT_COLUMNS = frozenset(
    (*COUNTY_YEAR_COLUMNS, *REGION_YEAR_COLUMNS, *FLOW_COLUMNS, *LEVER_COLUMNS, *RUN_COLUMNS))


@dataclass(frozen=True)
class Variable:
    """How to show one output column.

    Attributes:
        label: short name for axes and tables.
        unit: unit of the displayed value (after ``scale``).
        scale: factor from the stored value to the displayed one.
        difference_unit: unit of an absolute scenario-minus-baseline difference
            (defaults to ``unit``; "pp" for shares shown in %).
    """

    label: str
    unit: str
    scale: float = 1.0
    difference_unit: str | None = None

    @property
    def diff_unit(self) -> str:
        """Unit of an absolute difference."""
        return self.difference_unit or self.unit


VARIABLES: dict[str, Variable] = {
    "population": Variable("Population", "million", 1e-6),
    "urban_population": Variable("Urban population", "million", 1e-6),
    "rural_population": Variable("Rural population", "million", 1e-6),
    "births": Variable("Births", "thousand", 1e-3),
    "deaths": Variable("Deaths", "thousand", 1e-3),
    "in_migration": Variable("In-migration", "thousand", 1e-3),
    "out_migration": Variable("Out-migration", "thousand", 1e-3),
    "net_migration": Variable("Net migration", "thousand", 1e-3),
    "roc_in_migration": Variable("In-migration from rest of China", "thousand", 1e-3),
    "roc_out_migration": Variable("Out-migration to rest of China", "thousand", 1e-3),
    "roc_net_migration": Variable("Net migration with rest of China", "thousand", 1e-3),
    "gdp_bn_yuan": Variable("GDP", "bn yuan"),
    "gdp_per_capita_yuan": Variable("GDP per capita", "thousand yuan", 1e-3),
    "capital_bn_yuan": Variable("Capital stock", "bn yuan"),
    "investment_in_bn_yuan": Variable("Investment received", "bn yuan"),
    "investment_out_bn_yuan": Variable("Investment sent", "bn yuan"),
    "income_per_capita_yuan": Variable("Income per capita", "thousand yuan", 1e-3),
    "urban_income_yuan": Variable("Urban income per capita", "thousand yuan", 1e-3),
    "rural_income_yuan": Variable("Rural income per capita", "thousand yuan", 1e-3),
    "tfp": Variable("TFP", "index"),
    "services": Variable("Public services", "index"),
    "amenity": Variable("Ecological amenity", "index 0–1"),
    "land_km2": Variable("Construction land", "km²"),
    "governance": Variable("Governance efficiency", "index 0–1"),
    "market_access": Variable("Market access", "relative to 2020 mean"),
    "travel_time_to_core_h": Variable("Travel time to the cores", "h"),
    "fiscal_transfer_bn_yuan": Variable("Fiscal transfers", "bn yuan"),
    "land_traded_km2": Variable("Land quota traded", "km²"),
    "land_trade_value_bn_yuan": Variable("Land quota trade value", "bn yuan"),
    "urbanisation_rate": Variable("Urbanisation rate", "%", 100, "pp"),
    "theil": Variable("Theil index", "×100", 100),
    "theil_within_province": Variable("Theil, within provinces", "×100", 100),
    "theil_between_province": Variable("Theil, between provinces", "×100", 100),
    "gini": Variable("Gini coefficient", "×100", 100),
    "cv": Variable("Coefficient of variation", "×100", 100),
    "core_share": Variable("Population share of the cores", "%", 100, "pp"),
    "pilot_gap": Variable("Pilot gap in GDP per capita", "log points", 100),
    "sigma": Variable("σ: s.d. of log GDP per capita", "×100", 100),
    "beta": Variable("β: growth on log initial level", "%/yr per unit", 100),
}


def variable(name: str) -> Variable:
    """The display metadata of a column (a generic entry for unknown columns)."""
    return VARIABLES.get(name, Variable(name.replace("_", " "), ""))


def difference_unit(name: str, relative: bool = False) -> str:
    """Unit of a scenario-minus-baseline difference: "%" if relative, else e.g. "pp"."""
    return "%" if relative else variable(name).diff_unit


def axis_label(name: str, *, difference: bool = False, relative: bool = False,
               baseline: str = "baseline") -> str:
    """Axis label with unit, e.g. ``"GDP (bn yuan)"`` or ``"Δ GDP vs baseline (%)"``.

    Args:
        name: the column.
        difference: label a difference from ``baseline`` (implied by ``relative``).
        relative: a difference in % of the baseline.
        baseline: the reference scenario named in a difference's label.
    """
    v = variable(name)
    if not (difference or relative):
        return f"{v.label} ({v.unit})" if v.unit else v.label
    unit = difference_unit(name, relative)
    text = f"Δ {v.label} vs {baseline}"
    return f"{text} ({unit})" if unit else text


def display_scale(name: str, *, relative: bool = False) -> float:
    """Factor from stored values (or differences) to displayed ones (1 for % changes)."""
    return 1.0 if relative else variable(name).scale


#: The main index of a sensitivity design's indices table, by design method (tables
#: are sorted by it, charts show it first).
MAIN_INDEX = {"sobol": "ST", "morris": "mu_star", "lhs": "S1", "factorial": "S1"}
