"""The output tables: the one definition of every column, its type, unit and meaning.

The recorder builds its tables in the order given here, the batch store writes
and reads them, the readers tell table columns from swept parameters with them,
figures take their labels and units from them, and docs/outputs.md is generated
from them (``countysim docs``), so one column has one name, one type and one unit
everywhere (STYLE.md: one word per concept).

Money is in bn yuan at census-year prices (constant prices of the census year the
run starts from), incomes in yuan per person, people in persons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: A table as its columns, by name: numpy arrays, pandas Categoricals (labels) or
#: Series. ``pd.DataFrame(columns)`` makes the table; Parquet parts are written
#: from the columns directly, without the DataFrame.
Columns = dict[str, Any]

#: Types of the columns: labels are categorical text; ``timestamp`` is UTC.
DTYPES = ("str", "int64", "float64", "bool", "timestamp")


@dataclass(frozen=True)
class Column:
    """One column of an output table.

    Attributes:
        name: the column name (snake_case, unit suffix where it has one).
        dtype: one of :data:`DTYPES`.
        doc: what it holds.
        label: short name for axes and tables.
        unit: unit of the displayed value (after ``scale``).
        scale: factor from the stored value to the displayed one.
        difference_unit: unit of a scenario-minus-baseline difference (default
            ``unit``; "pp" for shares shown in %).
        flow: what happened during the year (empty in the start year's row).
        sums: county values add up to a total over counties (persons, yuan, km²);
            other columns are averaged, weighted by population.
    """

    name: str
    dtype: str
    doc: str
    label: str = ""
    unit: str = ""
    scale: float = 1.0
    difference_unit: str | None = None
    flow: bool = False
    sums: bool = False

    @property
    def diff_unit(self) -> str:
        """Unit of an absolute difference."""
        return self.difference_unit or self.unit


@dataclass(frozen=True)
class Table:
    """An output table: its columns in order and the keys of a row within one run.

    Attributes:
        name: the table (file ``<name>.parquet`` of a run, folder ``<name>/`` of a batch).
        doc: one line on what a row is.
        columns: the columns, in the order tables are written.
        keys: columns that identify a row within one run (besides the run's ids).
    """

    name: str
    doc: str
    columns: tuple[Column, ...]
    keys: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(c.name for c in self.columns)

    @property
    def dtypes(self) -> dict[str, str]:
        """Column name → type (pandas spelling; labels as ``str``)."""
        return {c.name: c.dtype for c in self.columns}


#: Columns that record what happened during a year (empty in the start year).
_FLOWS = frozenset({
    "births", "deaths", "in_migration", "out_migration", "net_migration", "roc_in_migration",
    "roc_out_migration", "roc_returns", "roc_newcomers", "investment_in_bn_yuan",
    "investment_out_bn_yuan", "investment_from_outside_bn_yuan", "fiscal_transfer_bn_yuan",
    "land_traded_km2", "land_trade_value_bn_yuan", "land_quota_transfer_km2", "roc_net_migration",
    "outside_net_migration", "crude_birth_rate", "crude_death_rate"})
#: County columns that add up over counties.
_SUMS = frozenset({
    "population", "urban_population", "rural_population", "births", "deaths", "in_migration",
    "out_migration", "net_migration", "roc_in_migration", "roc_out_migration", "roc_returns",
    "roc_newcomers", "emigrants", "registered_other_county", "registered_other_province",
    "gdp_bn_yuan", "capital_bn_yuan", "investment_in_bn_yuan", "investment_out_bn_yuan",
    "investment_from_outside_bn_yuan", "land_km2", "fiscal_transfer_bn_yuan", "land_traded_km2",
    "land_trade_value_bn_yuan", "land_quota_transfer_km2"})


def _c(name: str, dtype: str, doc: str, label: str = "", unit: str = "", scale: float = 1.0,
       difference_unit: str | None = None) -> Column:
    return Column(name, dtype, doc, label or name.replace("_", " ").capitalize(), unit, scale,
                  difference_unit, flow=name in _FLOWS, sums=name in _SUMS)


_MILLION, _THOUSAND = 1e-6, 1e-3

#: Columns that identify a run, first in every run table.
ID = (
    _c("run_id", "str", "stable id of the run (a hash of scenario, parameters, seed, "
       "replicate and mode)", "Run"),
    _c("scenario", "str", "scenario name", "Scenario"),
    _c("replicate", "int64", "replicate number (0-based)", "Replicate"),
    _c("seed", "int64", "root seed of the run", "Seed"),
)
ID_COLUMNS = tuple(c.name for c in ID)
#: The column of a batch's ensemble member: in ``runs.parquet`` always, in the table
#: parts of a batch with ``ensemble`` > 1 (after the ids and the row's columns).
PARAMETER_SET = "parameter_set"
_PARAMETER_SET = _c(PARAMETER_SET, "int64", "the run's parameter set: member 0 to N − 1 of "
                    "the calibrated ensemble the batch drew (ensemble = N; the members' values "
                    "are in manifest.json under ensemble.parameter_sets); 0 without an "
                    "ensemble, the calibrated point estimate", "Parameter set")

_POPULATION = _c("population", "float64", "residents at the end of the year", "Population",
                 "million", _MILLION)
_YEAR = _c("year", "int64", "calendar year; the start year's row is the initial state", "Year")
_CODE = _c("code", "int64", "2020 administrative code of the county", "County")

#: Age-structure columns of county_year and region_year (same definitions in both).
_AGE_STRUCTURE = (
    _c("share_aged_0_14", "float64", "share of residents aged 0–14", "Aged 0–14", "%", 100,
       "pp"),
    _c("share_aged_15_64", "float64", "share of residents aged 15–64", "Aged 15–64", "%", 100,
       "pp"),
    _c("share_aged_65_plus", "float64", "share of residents aged 65 and over", "Aged 65+",
       "%", 100, "pp"),
    _c("dependency_ratio", "float64", "residents aged 0–14 and 65+ per resident aged 15–64",
       "Dependency ratio", "%", 100, "pp"),
)

COUNTY_YEAR = Table("county_year", "one row per county and year", (
    *ID, _YEAR, _CODE,
    _c("name_en", "str", "English name of the county", "County"),
    _c("province", "str", "Sichuan or Chongqing", "Province"),
    _c("is_pilot", "bool", "one of the nine 2020 pilot counties", "Pilot"),
    _POPULATION,
    _c("urban_population", "float64", "urban residents", "Urban population", "million",
       _MILLION),
    _c("rural_population", "float64", "rural residents", "Rural population", "million",
       _MILLION),
    _c("births", "float64", "births during the year (empty in the start year)", "Births",
       "thousand", _THOUSAND),
    _c("deaths", "float64", "deaths during the year", "Deaths", "thousand", _THOUSAND),
    _c("in_migration", "float64", "arrivals from other counties and from the rest of China",
       "In-migration", "thousand", _THOUSAND),
    _c("out_migration", "float64", "departures to other counties and to the rest of China",
       "Out-migration", "thousand", _THOUSAND),
    _c("net_migration", "float64", "in_migration − out_migration", "Net migration",
       "thousand", _THOUSAND),
    _c("roc_in_migration", "float64", "arrivals from the rest of China (ROC)",
       "In-migration from rest of China", "thousand", _THOUSAND),
    _c("roc_out_migration", "float64", "departures to the rest of China",
       "Out-migration to rest of China", "thousand", _THOUSAND),
    _c("roc_returns", "float64", "people registered in the county coming back from the rest "
       "of China (part of roc_in_migration)", "Returns from rest of China", "thousand",
       _THOUSAND),
    _c("roc_newcomers", "float64", "people registered outside Sichuan and Chongqing arriving "
       "from the rest of China (the rest of roc_in_migration)",
       "Newcomers from rest of China", "thousand", _THOUSAND),
    _c("emigrants", "float64", "people registered in the county living in the rest of China "
       "(end of year)", "Emigrants in rest of China", "thousand", _THOUSAND),
    _c("registered_other_county", "float64", "residents registered (hukou) in another county "
       "of the province", "Residents registered in another county", "thousand", _THOUSAND),
    _c("registered_other_province", "float64", "residents registered in another province",
       "Residents registered in another province", "thousand", _THOUSAND),
    *_AGE_STRUCTURE,
    _c("gdp_bn_yuan", "float64", "output of the year", "GDP", "bn yuan"),
    _c("gdp_per_capita_yuan", "float64", "GDP over year-end population", "GDP per capita",
       "thousand yuan", _THOUSAND),
    _c("capital_bn_yuan", "float64", "capital stock at the end of the year",
       "Capital stock", "bn yuan"),
    _c("primary_va_share", "float64", "agriculture's share of the year's output (eq. 3c)",
       "Primary share of GDP", "%", 100, "pp"),
    _c("primary_employment_share", "float64", "share of the employed who farm, e (eq. 3d)",
       "Primary share of employment", "%", 100, "pp"),
    _c("investment_in_bn_yuan", "float64", "investment received: retained savings, other "
       "counties', the fiscal inflow from outside the region, net fiscal transfers (policy "
       "support) and land-trade payments", "Investment received", "bn yuan"),
    _c("investment_from_outside_bn_yuan", "float64", "investment financed from outside the "
       "region: the share of the county's fiscal gap spent on investment (eq. 6c; part of "
       "investment_in_bn_yuan)", "Investment from outside the region", "bn yuan"),
    _c("investment_out_bn_yuan", "float64", "savings sent to other counties and the rest of "
       "China", "Investment sent", "bn yuan"),
    _c("income_per_capita_yuan", "float64", "income per resident (labour income plus rural "
       "support)", "Income per capita", "thousand yuan", _THOUSAND),
    _c("urban_income_yuan", "float64", "income per urban resident", "Urban income per capita",
       "thousand yuan", _THOUSAND),
    _c("rural_income_yuan", "float64", "income per rural resident", "Rural income per capita",
       "thousand yuan", _THOUSAND),
    _c("tfp", "float64", "total factor productivity A at the end of the year", "TFP", "index"),
    _c("services", "float64", "public-service level the year's migrants saw (census-year "
       "mean 1)", "Public services", "index"),
    _c("amenity", "float64", "ecological amenity E", "Ecological amenity", "index 0–1"),
    _c("land_km2", "float64", "construction land at the end of the year", "Construction land",
       "km²"),
    _c("governance", "float64", "governance (investment) efficiency g of the year",
       "Governance efficiency", "index 0–1"),
    _c("market_access", "float64", "market access relative to the census-year mean",
       "Market access", "relative to census-year mean"),
    _c("travel_time_to_core_h", "float64", "hours to the nearest core district",
       "Travel time to the cores", "h"),
    _c("fiscal_transfer_bn_yuan", "float64", "net fiscal transfer received (policy support)",
       "Fiscal transfers", "bn yuan"),
    _c("land_traded_km2", "float64", "land quota bought (+) or sold (−)", "Land quota traded",
       "km²"),
    _c("land_trade_value_bn_yuan", "float64", "value received (+) or paid (−) for quota",
       "Land quota trade value", "bn yuan"),
    _c("land_quota_transfer_km2", "float64", "quota received (+) or given up (−) by provincial "
       "allocation", "Land quota transferred", "km²"),
    _c("active_levers", "str", "ids of the levers acting on the county this year, joined by "
       "';'", "Active levers"),
), keys=("year", "code"))

REGION_YEAR = Table("region_year", "one row per year: regional totals and indicators", (
    *ID, _YEAR,
    _POPULATION,
    _c("births", "float64", "births in the region", "Births", "thousand", _THOUSAND),
    _c("deaths", "float64", "deaths in the region", "Deaths", "thousand", _THOUSAND),
    _c("roc_net_migration", "float64", "arrivals from minus departures to the rest of China",
       "Net migration with rest of China", "thousand", _THOUSAND),
    _c("roc_out_migration", "float64", "departures to the rest of China",
       "Out-migration to rest of China", "thousand", _THOUSAND),
    _c("roc_returns", "float64", "returns of the region's emigrants from the rest of China",
       "Returns from rest of China", "thousand", _THOUSAND),
    _c("roc_newcomers", "float64", "newcomers registered outside Sichuan and Chongqing",
       "Newcomers from rest of China", "thousand", _THOUSAND),
    _c("outside_net_migration", "float64", "net migration with the counties of Sichuan and "
       "Chongqing outside the region (0 for sichuan_chongqing)",
       "Net migration with the rest of the two provinces", "thousand", _THOUSAND),
    _c("emigrants", "float64", "people registered in the region's counties living in the rest "
       "of China", "Emigrants in rest of China", "thousand", _THOUSAND),
    _c("registered_other_county", "float64", "residents registered in another county of "
       "their province", "Residents registered in another county", "thousand", _THOUSAND),
    _c("registered_other_province", "float64", "residents registered in another province",
       "Residents registered in another province", "thousand", _THOUSAND),
    _c("crude_birth_rate", "float64", "births per resident (mean of the year's start and "
       "end)", "Crude birth rate", "‰", 1000),
    _c("crude_death_rate", "float64", "deaths per resident (mean of the year's start and "
       "end)", "Crude death rate", "‰", 1000),
    *_AGE_STRUCTURE,
    _c("gdp_bn_yuan", "float64", "regional GDP", "GDP", "bn yuan"),
    _c("gdp_per_capita_yuan", "float64", "regional GDP over population", "GDP per capita",
       "thousand yuan", _THOUSAND),
    _c("urbanisation_rate", "float64", "urban share of residents", "Urbanisation rate", "%",
       100, "pp"),
    _c("theil", "float64", "Theil T of county GDP per capita, population-weighted",
       "Theil index", "×100", 100),
    _c("theil_within_province", "float64", "within-province part of the Theil index",
       "Theil, within provinces", "×100", 100),
    _c("theil_between_province", "float64", "between-province part of the Theil index",
       "Theil, between provinces", "×100", 100),
    _c("gini", "float64", "Gini coefficient of county GDP per capita, population-weighted",
       "Gini coefficient", "×100", 100),
    _c("cv", "float64", "coefficient of variation of county GDP per capita, "
       "population-weighted", "Coefficient of variation", "×100", 100),
    _c("core_share", "float64", "population share of the core districts",
       "Population share of the cores", "%", 100, "pp"),
    _c("pilot_gap", "float64", "ln(GDP per capita of the pilots / that of the other counties)",
       "Pilot gap in GDP per capita", "log points", 100),
), keys=("year",))

LEVERS_YEAR = Table("levers_year", "one row per year, county and active lever", (
    *ID, _YEAR, _CODE,
    _c("lever_id", "str", "the lever's id in the scenario", "Lever"),
    _c("lever_type", "str", "the lever's type", "Lever type"),
    _c("weight", "float64", "the lever's ramp weight this year (0–1]", "Lever weight"),
), keys=("year", "code", "lever_id"))

FLOWS = Table("flows", "one row per year, origin and destination with a flow (ROC = code 0)", (
    *ID, _YEAR,
    _c("origin", "int64", "code of the origin county (0: rest of China)", "Origin"),
    _c("destination", "int64", "code of the destination county (0: rest of China)",
       "Destination"),
    _c("migrants", "float64", "people moving from origin to destination in the year",
       "Migrants", "thousand", _THOUSAND),
    _c("investment_bn_yuan", "float64", "savings of the origin invested in the destination "
       "(the diagonal: retained at home)", "Investment flow", "bn yuan"),
), keys=("year", "origin", "destination"))

AGE_YEAR = Table("age_year", "one row per year, county, sex and age group (optional: "
                 "record_ages)", (
    *ID, _YEAR, _CODE,
    _c("sex", "str", "m or f", "Sex"),
    _c("age_group", "str", "census age group: 0, 1-4, 5-9, …, 80-84, 85+", "Age group"),
    _c("population", "float64", "residents of the sex and age group at the end of the year",
       "Population", "thousand", _THOUSAND),
), keys=("year", "code", "sex", "age_group"))

RUNS = Table("runs", "a batch's runs table (runs.parquet): one row per planned run, then one "
             "column per swept parameter or design factor", (
    *ID,
    _PARAMETER_SET,
    _c("status", "str", "done, failed or missing (the parts on disk decide: a run with all its "
       "parts is done)", "Status"),
    _c("error", "str", "the error of a failed run", "Error"),
    _c("seconds", "float64", "wall time of the run", "Run time", "s"),
    _c("started", "timestamp", "when the run started (UTC)", "Started"),
), keys=())

#: The tables a run writes, in order (``flows`` only when recorded).
RUN_TABLES: dict[str, Table] = {t.name: t for t in (COUNTY_YEAR, REGION_YEAR, LEVERS_YEAR,
                                                     FLOWS, AGE_YEAR)}
#: The run tables a batch writes unless told otherwise (``flows`` and ``age_year`` are
#: switched on by their own options).
DEFAULT_TABLES = ("county_year", "region_year", "levers_year")
#: Age group labels of ``age_year``.
AGE_GROUP_LABELS = ("0", "1-4", *(f"{a}-{a + 4}" for a in range(5, 85, 5)), "85+")
#: Every table of a results folder.
TABLES: dict[str, Table] = {**RUN_TABLES, "runs": RUNS}

COUNTY_YEAR_COLUMNS = COUNTY_YEAR.names
REGION_YEAR_COLUMNS = REGION_YEAR.names
LEVERS_YEAR_COLUMNS = LEVERS_YEAR.names
FLOWS_COLUMNS = FLOWS.names
RUN_COLUMNS = RUNS.names
#: Row keys within one run, by table (summaries group by them).
ROW_KEYS = {name: table.keys for name, table in RUN_TABLES.items()}
#: Columns empty in the start year's row, and county columns that add up, by name.
FLOW_COLUMNS = frozenset(c.name for t in RUN_TABLES.values() for c in t.columns if c.flow)
SUM_COLUMNS = frozenset(c.name for c in COUNTY_YEAR.columns if c.sums)
#: Every column the tables define; any other column of a batch table is a swept
#: parameter or design factor.
CONTRACT_COLUMNS = frozenset(c for t in TABLES.values() for c in t.names)

#: Measures computed by :mod:`sim.analysis` (not table columns), for their labels.
DERIVED = (
    _c("sigma", "float64", "s.d. of log county GDP per capita", "σ: s.d. of log GDP per capita",
       "×100", 100),
    _c("beta", "float64", "slope of county growth on the log initial level",
       "β: growth on log initial level", "%/yr per unit", 100),
)

#: Column name → display metadata, for every column with a unit or label.
VARIABLES: dict[str, Column] = {}
for _table in (COUNTY_YEAR, REGION_YEAR, FLOWS, AGE_YEAR):
    for _col in _table.columns:
        if _col.dtype == "float64":
            VARIABLES.setdefault(_col.name, _col)
VARIABLES.update({c.name: c for c in DERIVED})


def variable(name: str) -> Column:
    """The display metadata of a column (a generic entry for unknown columns)."""
    return VARIABLES.get(name, Column(name, "float64", "", name.replace("_", " ")))


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
