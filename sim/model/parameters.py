"""Behavioural and network parameters: one frozen, typed object.

Every parameter carries its unit, a hard validity range (values outside it make
no sense and are rejected), a *plausible* range (what calibration and
sensitivity analysis search over) and a source or the reason for its default.
The numbers in the code are literature-based priors; the package default used
by every scenario is :func:`default_parameters`, which applies the calibrated
values shipped in ``sim/data/calibrated_parameters.toml`` when that file exists.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sim.base.errors import InputError
from sim.base.sources import data_file
from sim.base.tomlfile import read_toml


@dataclass(frozen=True, slots=True)
class ParameterSpec:
    """Documentation and ranges of one parameter."""

    name: str
    default: float
    unit: str
    doc: str
    bounds: tuple[float, float]
    plausible: tuple[float, float]
    source: str
    group: str


def _p(
    default: float,
    unit: str,
    doc: str,
    bounds: tuple[float, float],
    plausible: tuple[float, float],
    source: str,
    group: str,
) -> Any:
    return field(
        default=default,
        metadata={
            "unit": unit,
            "doc": doc,
            "bounds": bounds,
            "plausible": plausible,
            "source": source,
            "group": group,
        },
    )


_INF = math.inf


@dataclass(frozen=True, slots=True)
class Parameters:
    """All model parameters (see ``docs/model.md`` for the equations they enter).

    Construct with keyword overrides, e.g. ``Parameters(migration_rate=0.05)``;
    values are checked against their hard bounds. Use :meth:`replace` to derive
    a variant and :meth:`specs` for units, ranges and sources.
    """

    # --- production and growth -------------------------------------------------
    capital_share: float = _p(
        0.40, "1", "α, capital share of output in the Cobb–Douglas production function",
        (0.05, 0.95), (0.30, 0.55),
        "Bai, Hsieh & Qian (2006), The return to capital in China, BPEA: capital share ~0.4–0.5",
        "production")
    agglomeration_elasticity: float = _p(
        0.05, "1", "φ, elasticity of output with respect to market access",
        (0.0, 0.5), (0.0, 0.15),
        "Combes & Gobillon (2015), Handbook of Regional and Urban Economics 5: 0.02–0.10",
        "production")
    market_access_decay_per_h: float = _p(
        0.5, "1/h", "θ, decay of market access and knowledge spill-overs with travel time",
        (0.0, 10.0), (0.1, 1.5),
        "modelling assumption; a 2 h trip keeps exp(-1) ≈ 37% of the weight at the default",
        "production")
    labour_participation: float = _p(
        0.75, "1", "ℓ, share of residents aged 15–64 who work (labour L = ℓ × residents "
        "15–64, so ageing and migration by age change the labour force)",
        (0.1, 1.0), (0.65, 0.85),
        "modelling assumption; its level is absorbed by TFP, which is fitted to observed "
        "GDP (only the age structure's changes matter)", "production")
    capital_output_ratio: float = _p(
        2.36, "years", "κ, capital–output ratio of Sichuan and Chongqing at the start of "
        "2010; county stocks are κ × the county's relative investment rate × GDP "
        "(docs/economy.md), and a 2020 start carries them forward by perpetual inventory",
        (0.5, 10.0), (2.1, 3.0),
        "perpetual inventory with the method of Zhang, Wu & Zhang (2004), 经济研究, δ = 9.6%, "
        "on NBS provincial GFCF: 2.35 (Sichuan) and 2.40 (Chongqing) in 2010; 2.13–2.96 for "
        "δ = 12%–5% (sim/data/provinces_macro.csv)", "production")
    depreciation_rate: float = _p(
        0.096, "1/year", "δ, capital depreciation",
        (0.0, 0.5), (0.05, 0.12),
        "Zhang, Wu & Zhang (2004), 经济研究: 9.6% for China's provincial capital stocks (the "
        "rate κ is computed with); Bai, Hsieh & Qian (2006) use 0.05–0.10", "production")
    saving_rate: float = _p(
        0.46, "1", "s, share of a county's output saved and invested (at home, in other "
        "counties or in the rest of China); with the fiscal inflow (eq. 6c) it makes the "
        "region's investment rate",
        (0.0, 0.9), (0.38, 0.52),
        "NBS (provinces_macro.csv): GFCF was 48–55% of GDP in Sichuan and Chongqing in "
        "2010–2017; the fiscal inflow adds ≈ 0.02–0.05 of GDP", "production")
    tfp_growth: float = _p(
        0.02, "1/year", "base growth rate of total factor productivity A",
        (-0.1, 0.2), (0.0, 0.04),
        "Zhu (2012), J. Econ. Perspectives 26(4): China's TFP growth ≈ 3%/year 1978–2007",
        "production")
    knowledge_spillover: float = _p(
        0.02, "1/year", "ψ, share of the (travel-time weighted) TFP gap to better "
        "neighbours closed per year", (0.0, 1.0), (0.0, 0.10),
        "modelling assumption (docs/model.md §5.9); calibrated", "production")
    primary_share_decline: float = _p(
        0.05, "1/year", "d, relative yearly decline of f, the farm employment per rural "
        "resident (eq. 9d); the farm employment share e = f × rural share falls with it and "
        "with urbanisation", (0.0, 0.5), (0.0, 0.10),
        "census: the region's primary employment share fell from 52.6% to 22.3% 2010–2020 "
        "while its rural share fell from 56.4% to 39.7%, so f fell ≈ 5%/year; calibrated to "
        "the 2020 county shares", "production")
    agri_labour_elasticity: float = _p(
        0.4, "1", "β_a, elasticity of agricultural output to farm labour (eq. 3c; land is "
        "fixed, so β_a < 1: labour leaving farming lowers farm output less than in "
        "proportion)", (0.05, 1.0), (0.2, 0.6),
        "modelling assumption; at census year the model reproduces each county's primary "
        "value added per farm worker exactly, whatever β_a", "production")
    offfarm_work_share: float = _p(
        0.3, "1", "ω, share of a farm worker's labour that goes to the rest of the economy "
        "(part-time farming): non-agricultural labour is (1 − e + ω e) L (eq. 3)",
        (0.0, 1.0), (0.0, 0.6),
        "modelling assumption; most rural households in China combine farming with "
        "off-farm work. Without it a county where 93% of the employed farm (Jinyang, 2010) "
        "would multiply its non-farm output sevenfold as farming halves; calibrated to the "
        "county GDP shares", "production")
    agri_tfp_growth: float = _p(
        0.04, "1/year", "g_B, yearly growth of agricultural productivity B (eq. 9d), in "
        "units that keep the nominal primary share of value added: the model has one price, "
        "so g_B also carries agriculture's relative price rise", (-0.1, 0.3), (0.0, 0.12),
        "modelling assumption; calibrated to the 2019 primary shares of value added: with "
        "farm labour falling ≈ 7–9%/year (census 2010–2020), the primary share (12.5% → "
        "10% 2010–2019, counties.csv) needs B to grow fast", "production")
    # --- construction land ---------------------------------------------------
    land_per_urban_resident_km2: float = _p(
        1.0e-4, "km²/person", "λ, construction land needed per urban resident",
        (1e-5, 1e-3), (0.7e-4, 1.5e-4),
        "design default (~1 km² per 10,000 urban residents, docs/model.md §3); China's "
        "planning norm for urban construction land is 85–115 m² per person (GB 50137-2011)",
        "land")
    initial_land_slack: float = _p(
        0.05, "1", "initial construction land above the need λU of the urban population, "
        "for the units MODIS shows no built-up area in (24 of 221; elsewhere land starts at "
        "the MODIS area)", (0.0, 2.0), (0.0, 0.30), "modelling assumption", "land")
    buildable_share: float = _p(
        0.8, "1", "largest share of a county's area that can be construction land",
        (0.05, 1.0), (0.5, 1.0),
        "modelling assumption; Yuzhong's MODIS built-up area is 99% of its land area",
        "land")
    land_quota_growth: float = _p(
        0.025, "1/year", "yearly growth of construction land from ordinary quotas",
        (0.0, 0.5), (0.0, 0.05),
        "counties.csv: summed MODIS built-up area grew ≈ 2.4%/year 2011–2021",
        "land")
    land_constraint_elasticity: float = _p(
        0.3, "1", "η, output penalty exponent when urban land need exceeds the stock",
        (0.0, 5.0), (0.0, 1.0), "modelling assumption (docs/model.md §5.3, h(C, U))", "land")
    # --- migration -------------------------------------------------------------
    migration_rate: float = _p(
        0.05, "1/year", "μ, share of each county's residents who reconsider where to live "
        "each year (the mean over ages; by age it follows the Rogers–Castro profile)",
        (0.0, 1.0), (0.02, 0.30), "modelling assumption; calibrated", "migration")
    income_elasticity: float = _p(
        2.0, "1", "β_y, weight of log income per capita in destination utility",
        (0.0, 20.0), (0.5, 4.0),
        "logit migration models for China report 1–3 (e.g. Fan 2005, Prof. Geographer)",
        "migration")
    services_weight: float = _p(
        0.5, "1", "β_S, weight of log public-service level", (0.0, 20.0), (0.0, 2.0),
        "modelling assumption", "migration")
    amenity_weight: float = _p(
        0.5, "1", "β_E, weight of ecological amenity", (0.0, 20.0), (0.0, 2.0),
        "modelling assumption", "migration")
    crowding_weight: float = _p(
        1.0, "1", "β_c, weight of land crowding (urban land need over stock, minus 1)",
        (0.0, 20.0), (0.0, 3.0), "modelling assumption", "migration")
    migration_time_cost_per_h: float = _p(
        0.8, "1/h", "γ, disutility per hour of travel time between origin and destination",
        (0.0, 20.0), (0.2, 2.0), "modelling assumption; calibrated", "migration")
    destination_size_weight: float = _p(
        1.0, "1", "β_U, weight of the log urban population of a destination, relative to the "
        "region's mean county (the size of an aggregated alternative: its number of urban "
        "jobs and homes)", (0.0, 5.0), (0.0, 1.5),
        "McFadden (1978), Modelling the choice of residential location; Ben-Akiva & Lerman "
        "(1985), Discrete Choice Analysis §9.3: a log size variable enters with coefficient 1 "
        "when an alternative aggregates similar elemental ones; calibrated", "migration")
    commuting_decay_per_h: float = _p(
        4.0, "1/h", "θ_c, decay with travel time of the jobs a resident of a county can reach "
        "(the income in destination utility is the average labour income of the jobs within "
        "commuting reach, not output per resident)", (0.0, 100.0), (1.0, 8.0),
        "commuting gravity estimates put the fall of commuting flows at roughly 5–10% per "
        "minute (3–6 per hour), e.g. Ahlfeldt, Redding, Sturm & Wolf (2015), Econometrica "
        "83(6); calibrated", "migration")
    stay_bonus: float = _p(
        4.0, "1", "utility bonus for staying in the current county", (0.0, 20.0),
        (0.0, 6.0), "modelling assumption; calibrated", "migration")
    hukou_conversion_rate: float = _p(
        0.03, "1/year", "share of residents registered elsewhere who register in the "
        "county each year", (0.0, 1.0), (0.0, 0.10),
        "modelling assumption (hukou transfers); calibrated to the census stocks",
        "migration")
    migrant_urban_bias: float = _p(
        0.5, "1", "σ, how much more than the residents arriving migrants (from other counties "
        "and ROC) settle in towns: a share u + σ(1 − u) of them does, u the county's urban "
        "share (0: like the residents; 1: all in towns)", (0.0, 1.0), (0.0, 1.0),
        "modelling assumption (migrants in China move mostly to cities and towns); "
        "calibrated", "migration")
    # --- rest of China (ROC) -----------------------------------------------------
    roc_income_ratio: float = _p(
        1.3, "1", "ROC income per capita at the census start year over the region's mean",
        (0.1, 10.0), (1.0, 2.0),
        "NBS 2020: China's GDP per capita 72,000 yuan vs ≈ 58,000 in Sichuan", "roc")
    roc_income_growth: float = _p(
        0.05, "1/year", "growth of ROC income per capita (exogenous path)",
        (-0.1, 0.3), (0.02, 0.08), "NBS: real GDP per capita growth 2010–2020 ≈ 6.5%/year",
        "roc")
    roc_preference: float = _p(
        3.0, "1", "constant utility of ROC as a destination (distance to family, hukou, "
        "language), on top of the travel-time cost γ·(τ to a gateway + roc_access_h)",
        (-20.0, 20.0), (-3.0, 15.0),
        "modelling assumption; calibrated. The range allows the constant to offset the "
        "travel-time cost of reaching ROC, γ·τ ≈ 4–12 at γ ≈ 1/h (the first range, −3–3, "
        "did not, and the calibration ended on its upper end)", "roc")
    roc_access_h: float = _p(
        4.0, "h", "travel time from a gateway county (Shuangliu, Yubei airports) to ROC",
        (0.0, 48.0), (2.0, 8.0), "modelling assumption", "roc")
    roc_return_rate: float = _p(
        0.05, "1/year", "ρ, share of a county's emigrants in the rest of China who return "
        "each year (returns go to the county they are registered in)",
        (0.0, 1.0), (0.0, 0.2), "modelling assumption; calibrated", "roc")
    roc_newcomer_rate: float = _p(
        0.0015, "1/year", "newcomers from the rest of China (registered outside Sichuan and "
        "Chongqing) per resident of the two provinces and year, placed by destination "
        "attractiveness and size", (0.0, 0.05), (0.0, 0.005),
        "2010 and 2020 censuses: residents registered in another province rose from 2.1 M "
        "to 4.8 M in the two provinces; calibrated", "roc")
    emigrant_attrition: float = _p(
        0.02, "1/year", "share of the emigrant stock lost each year other than by return "
        "(deaths, registration moved to the destination)", (0.0, 0.5), (0.0, 0.06),
        "modelling assumption", "roc")
    return_age_shift_years: float = _p(
        10.0, "years", "how much older returning migrants are than leaving ones (shift of "
        "the Rogers–Castro labour peak)", (0.0, 40.0), (0.0, 20.0),
        "census cohorts 2010→2020: Sichuan loses men at 15–24 and regains them at 30–34 "
        "and 50–59 (docs/demography.md); modelling assumption", "roc")
    emigrant_stock_change: float = _p(
        1.0, "1", "emigrant stock of 2020 over that of 2010, for runs that start from the "
        "2020 census (which has no hukou counts)", (0.2, 5.0), (0.8, 1.3),
        "not observed: Sichuan's emigrants were reported as 'more than 10 million' in 2020 "
        "(10.2 M in 2010 from the census); see docs/demography.md", "roc")
    fiscal_investment_share: float = _p(
        0.3, "1", "f, share of a county's fiscal gap (budget expenditure minus revenue, "
        "closed by transfers from the central and provincial governments) that adds to its "
        "investment (eq. 6c)", (0.0, 1.0), (0.0, 0.6),
        "modelling assumption; the gaps are data (2020, 57 units) or their fit on GDP per "
        "capita (docs/economy.md); calibrated to the region's growth", "investment")
    roc_capital_return: float = _p(
        0.10, "1/year", "return on capital invested in ROC, compared with county returns",
        (0.0, 1.0), (0.05, 0.20), "Bai, Hsieh & Qian (2006): ≈ 0.1 after 2000", "roc")
    # --- investment --------------------------------------------------------------
    home_bias: float = _p(
        0.7, "1", "h, share of a county's savings invested in the county itself",
        (0.0, 1.0), (0.5, 0.95), "modelling assumption (Feldstein–Horioka-type home bias)",
        "investment")
    investment_return_elasticity: float = _p(
        2.0, "1", "κ, elasticity of investment destination choice to (g·r)",
        (0.0, 20.0), (0.5, 4.0), "modelling assumption; calibrated", "investment")
    investment_time_decay_per_h: float = _p(
        0.3, "1/h", "ω, decay of investment flows with travel time", (0.0, 10.0),
        (0.0, 1.0), "modelling assumption", "investment")
    governance_initial: float = _p(
        0.8, "1", "g, initial governance (investment) efficiency of every county",
        (0.01, 1.0), (0.5, 1.0), "modelling assumption: no county data exist", "investment")
    # --- demography ----------------------------------------------------------------
    birth_registration_factor: float = _p(
        1.2, "1", "ρ_b, births per registered birth: the 2010 county birth rates (the "
        "census's births of the year before) under-count births",
        (0.5, 2.0), (1.0, 1.35),
        "2010 census TFR 1.18 reported vs 1.5–1.6 from children counted later (Jiang et al., "
        "analysis of the 2010 census microdata); in Sichuan and Chongqing the 2020 census "
        "counts 24–29% more children aged 5–9 than 5 × the 2010 births (docs/demography.md); "
        "calibrated", "demography")
    child_undercount_2010: float = _p(
        1.1, "1", "children aged 0–4 per child the 2010 census counted (runs from the 2010 "
        "census start with this many more)", (1.0, 1.5), (1.0, 1.25),
        "census cohorts: residents aged 10–14 in 2020 are 13–16% more than those aged 0–4 "
        "in 2010 in Sichuan and Chongqing although the region lost migrants "
        "(docs/demography.md); calibrated", "demography")
    fertility_trend: float = _p(
        -0.015, "1/year", "g_f, relative yearly change of every county's fertility level "
        "after 2010", (-0.5, 0.5), (-0.05, 0.02),
        "China's TFR ≈ 1.5 (2010, corrected) to 1.3 (2020 census): ≈ −1.5%/year; calibrated",
        "demography")
    mortality_decline: float = _p(
        0.02, "1/year", "g_m, relative yearly decline of death rates at every age",
        (-0.1, 0.2), (0.005, 0.035),
        "China's life expectancy rose from 74.8 (2010) to 77.9 (2020) years, ≈ 0.3 years a "
        "year, which a Gompertz slope of ≈ 0.1 turns into ≈ 2–3% lower death rates a year",
        "demography")
    mortality_prior_deaths: float = _p(
        500.0, "persons", "weight of the province's death rates in a county's mortality "
        "level: K = (D + w) / (E + w / K_province), D the county's 2010 deaths, E those of "
        "the standard schedule (empirical-Bayes shrinkage; 0 = the county's own)",
        (0.0, 1e6), (0.0, 5000.0),
        "modelling assumption: reported 2010 county death rates imply life expectancies from "
        "64 to 91 years, more spread than mortality varies", "demography")
    urbanisation_base_rate: float = _p(
        0.025, "1/year", "ν₀, share of rural residents who become urban each year whatever "
        "the income gap (the structural urbanisation trend)", (0.0, 0.5), (0.0, 0.06),
        "counties.csv: the region's urban share rose from 43.6% to 60.3% 2010–2020 "
        "(≈ 1.7 points a year); calibrated", "demography")
    urbanisation_rate: float = _p(
        0.03, "1/year", "ν, share of rural residents who become urban per unit of "
        "log urban–rural income ratio", (0.0, 1.0), (0.005, 0.08),
        "modelling assumption; calibrated to 2010–2020 urban shares", "demography")
    services_income_elasticity: float = _p(
        0.5, "1", "elasticity of a county's public-service level to its income per capita",
        (0.0, 5.0), (0.0, 1.0), "modelling assumption", "demography")
    # --- network -------------------------------------------------------------------
    road_circuity: float = _p(
        1.3, "1", "road distance over great-circle distance", (1.0, 3.0), (1.1, 1.6),
        "design default (docs/model.md §2); Ballou et al. (2002) circuity factors ≈ 1.2–1.4",
        "network")
    expressway_speed_kmh: float = _p(
        90.0, "km/h", "average speed on expressway links", (10.0, 150.0), (70.0, 110.0),
        "modelling assumption: design default (docs/model.md §2)", "network")
    national_road_speed_kmh: float = _p(
        50.0, "km/h", "average speed on other road links", (5.0, 120.0), (35.0, 70.0),
        "modelling assumption: design default (docs/model.md §2)", "network")
    local_speed_kmh: float = _p(
        30.0, "km/h", "speed inside a county, for its internal travel time "
        "0.4·sqrt(area)/speed", (5.0, 120.0), (20.0, 50.0),
        "modelling assumption: design default (docs/model.md §2)", "network")
    rail_circuity: float = _p(
        1.2, "1", "rail distance over great-circle distance", (1.0, 3.0), (1.05, 1.4),
        "modelling assumption (HSR alignments are straighter than roads)", "network")
    rail_speed_factor: float = _p(
        0.7, "1", "average operating speed over design speed", (0.1, 1.0), (0.5, 0.9),
        "modelling assumption: design default (docs/model.md §2)", "network")
    station_access_h: float = _p(
        0.5, "h", "time to reach, wait at and leave stations, once per rail trip",
        (0.0, 5.0), (0.2, 1.0), "modelling assumption: design default (docs/model.md §2)",
        "network")

    def __post_init__(self) -> None:
        for spec in self.specs().values():
            value = getattr(self, spec.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(
                    f"parameter '{spec.name}' must be a number, got {value!r}"
                )
            lo, hi = spec.bounds
            if not (lo <= value <= hi) or math.isnan(value):
                raise InputError(
                    f"parameter '{spec.name}' = {value} is outside its allowed range "
                    f"[{lo:g}, {hi:g}] ({spec.unit}): {spec.doc}"
                )

    @classmethod
    def specs(cls) -> dict[str, ParameterSpec]:
        """Return the documentation and ranges of every parameter, by name."""
        return _specs()

    def replace(self, **overrides: float) -> Parameters:
        """Return a copy with some values replaced (names and values are checked)."""
        for name in sorted(overrides):
            check_parameter_name(name)
        return dataclasses.replace(self, **overrides)

    def to_dict(self) -> dict[str, float]:
        """Return the values as a plain ``{name: value}`` dict."""
        return {name: getattr(self, name) for name in self.specs()}


@cache
def _specs() -> dict[str, ParameterSpec]:
    out = {}
    for f in dataclasses.fields(Parameters):
        m = f.metadata
        out[f.name] = ParameterSpec(
            name=f.name, default=f.default, unit=m["unit"], doc=m["doc"],
            bounds=m["bounds"], plausible=m["plausible"], source=m["source"],
            group=m["group"],
        )
    return out


#: What :func:`parameter_hint` suggests when no parameter name is close.
PARAMETER_LIST_HINT = "see docs/parameters.md for the list"


def parameter_hint(name: str, otherwise: str = PARAMETER_LIST_HINT) -> str | None:
    """What to tell a user who wrote ``name`` for a parameter (None if it is one).

    Returns:
        None for a known parameter; else ``did you mean '<closest name>'?``, or
        ``otherwise`` when no name is close.
    """
    specs = _specs()
    if name in specs:
        return None
    close = difflib.get_close_matches(name, list(specs), n=1)
    return f"did you mean '{close[0]}'?" if close else otherwise


def check_parameter_name(name: str, field: str | None = None, *, source: str | None = None,
                         otherwise: str = PARAMETER_LIST_HINT) -> None:
    """Raise :class:`~sim.base.errors.InputError` unless ``name`` is a parameter.

    Args:
        name: the name to check.
        field: where the name is written (e.g. ``sweep.migraton_rate``); the
            message is then ``<field>: unknown parameter; did you mean '…'?``,
            else ``unknown parameter '<name>'; did you mean '…'?``.
        source: the file, for the message.
        otherwise: the hint when no parameter name is close.
    """
    hint = parameter_hint(name, otherwise)
    if hint is None:
        return
    what = f"{field}: unknown parameter" if field else f"unknown parameter '{name}'"
    raise InputError(f"{what}; {hint}", source=source)


CALIBRATED_FILE = "calibrated_parameters.toml"


@cache
def calibrated_values() -> dict[str, float]:
    """Return the calibrated values shipped with the package (empty if none)."""
    path = data_file(CALIBRATED_FILE)
    if not path.is_file():
        return {}
    return dict(read_toml(path, "calibrated parameter file").get("parameters", {}))


@cache
def default_parameters() -> Parameters:
    """Return the package default: literature priors overridden by calibrated values."""
    return Parameters(**calibrated_values())
