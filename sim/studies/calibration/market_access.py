"""Agglomeration from the rail openings of 2010–2019: a reduced-form estimate (issue 15).

Across the comparison groups of Sichuan and Chongqing (docs/validation/market_access.md):

    Δln Y_g = a + φ · Δln MA_g(θ) + b · x_g + e_g,

* Δln Y_g: log growth of real GDP 2010→2019 (``counties.csv``, current prices;
  2019 divided by the province's GDP deflator 2019/2010, :data:`DEFLATOR_2019_2010`);
* Δln MA_g(θ) = ln MA_g(2019 network) − ln MA_g(network before the 2010 openings),
  with MA_i = Σ_j Y_j,2010 exp(−θ τ_ij) as in eq. 2 (counties only, the own
  county included) and GDP weights held at 2010, so only the network moves;
  a group's MA is the 2010-GDP-weighted mean of its units';
* x_g: a Chongqing dummy (province fixed effect), ln GDP per capita 2010,
  primary value-added share 2010 and the group's own ln MA(θ) before 2010.

The 15 units without a 2010 GDP (codes changed) are left out with their groups
(14 groups; 201 remain); their imputed 2010 GDP still weighs in the others'
market access, as in the model. φ is reported for every θ of the plausible
range; θ̂ maximises the Gaussian likelihood over the grid, with the
likelihood-ratio interval 2(ℓ(θ̂) − ℓ(θ)) ≤ 3.84. Standard errors are
clustered by prefecture (22 clusters, t with 21 degrees of freedom) or HC1.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import statsmodels.api as sm

from sim.base import sources
from sim.model.network import NetworkChanges
from sim.model.network.travel import Network
from sim.model.parameters import Parameters, default_parameters
from sim.model.region import CORE_CODES, load_region
from sim.studies.calibration.fit import CHI2_95, profile_intervals
from sim.studies.calibration.priors import Prior
from sim.studies.calibration.validation_run import run_validation

#: GDP deflator 2019/2010 by province: NBS provincial nominal GDP 2019/2010 (revised
#: series) over the product of the real GDP indices 2011–2019 (NBS 分省年度数据,
#: 地区生产总值 and 地区生产总值指数). With a province fixed effect in the
#: regression it moves only the intercept, not φ.
DEFLATOR_2019_2010 = {"Sichuan": 1.2038, "Chongqing": 1.1744}
DEFLATOR_SOURCE = ("NBS provincial GDP (revised series) 2019/2010 over the real GDP index "
                   "2011–2019: Sichuan 2.6917/2.2360 = 1.2038, Chongqing 2.9268/2.4921 = 1.1744")
#: The shock: the network before the 2010 openings and after those of 2019.
BASE_YEAR, END_YEAR = 2009, 2019
#: θ, 1/h, over its plausible range (sim/model/parameters.py).
THETA_GRID = tuple(float(t) for t in np.round(np.arange(0.10, 1.5001, 0.05), 2))
CONTROLS = ("ln_gdp_per_capita_2010", "primary_share_2010", "ln_market_access_2010")
#: Networks whose travel times the estimation uses (see :func:`network_changes`).
NETWORKS = ("before", "after", "after_without_new_rail", "after_with_2020_2025_rail",
            "after_with_planned_rail")
#: Samples of the estimate: every group with both GDPs, or without the 46 groups of
#: the three autonomous prefectures of the western plateau (Aba, Ganzi, Liangshan),
#: whose 2010s growth was driven by targeted poverty-alleviation investment that
#: the model does not have and whose market access barely moved.
SAMPLES = ("all", "without_plateau")
#: Lines opened 2020–2025 and planned lines are opened in this year in the placebos.
PLACEBO_YEAR = 2015
#: Years added to the opening of the 2010–2019 lines to remove them from a network.
NEVER_SHIFT = 100


def lines_opened(first: int, last: int) -> tuple[str, ...]:
    """Lines of ``rail_lines.csv`` (not planned) whose first station opens in [first, last]."""
    rail = sources.rail_lines()
    rail = rail[rail["planned"].ne("yes")]
    start = rail.groupby("line_name_en")["open_year"].min()
    return tuple(sorted(start[(start >= first) & (start <= last)].index))


def planned_lines() -> tuple[str, ...]:
    """Lines of ``rail_lines.csv`` marked planned."""
    rail = sources.rail_lines()
    return tuple(sorted(rail.loc[rail["planned"].eq("yes"), "line_name_en"].unique()))


def network_changes(name: str) -> tuple[NetworkChanges, int]:
    """The network changes and the year of each network in :data:`NETWORKS`.

    ``before``: the data's network before the 2010 openings; ``after``: after
    those of 2019; ``after_without_new_rail``: the same roads (expressways of
    2010–2019 included), without the rail lines opened 2010–2019;
    ``after_with_2020_2025_rail`` / ``after_with_planned_rail``: the 2019
    network plus the lines opened 2020–2025 / the planned lines, opened in
    :data:`PLACEBO_YEAR` (the placebos).
    """
    if name == "before":
        return NetworkChanges(), BASE_YEAR
    if name == "after":
        return NetworkChanges(), END_YEAR
    if name == "after_without_new_rail":
        shifts = tuple((line, NEVER_SHIFT) for line in lines_opened(BASE_YEAR + 1, END_YEAR))
        return NetworkChanges(line_year_shifts=shifts), END_YEAR
    if name == "after_with_2020_2025_rail":
        lines = lines_opened(END_YEAR + 1, 2025)
        return NetworkChanges(line_open_years=tuple((x, PLACEBO_YEAR) for x in lines)), END_YEAR
    if name == "after_with_planned_rail":
        lines = planned_lines()
        return NetworkChanges(line_open_years=tuple((x, PLACEBO_YEAR) for x in lines)), END_YEAR
    raise ValueError(f"unknown network '{name}'; known: {', '.join(NETWORKS)}")


@dataclass(frozen=True, eq=False)
class Design:
    """The estimation sample and the travel times of the networks compared.

    Attributes:
        sample: one row per comparison group in the estimation (201), with
            ``growth`` (Δln real GDP 2010→2019), the controls, ``prefecture``
            (the cluster), ``province`` and flags used by the robustness checks.
        excluded: the groups left out, with the reason.
        unit_group: for each of the 221 units (model order), its row in
            ``sample`` or −1.
        weight: 2010 GDP of every unit (bn yuan; imputed for the 15 without),
            the market-access weights.
        times: county × county travel times (hours) of each network of :data:`NETWORKS`.
        params: the parameters the networks were built with (speeds, circuity, access).
    """

    sample: pd.DataFrame
    excluded: pd.DataFrame
    unit_group: np.ndarray
    weight: np.ndarray
    times: dict[str, np.ndarray]
    params: Parameters

    @property
    def n(self) -> int:
        """Number of groups in the estimation."""
        return len(self.sample)

    def subset(self, sample: str) -> np.ndarray:
        """Boolean mask of the groups of a sample of :data:`SAMPLES`."""
        if sample == "all":
            return np.ones(self.n, dtype=bool)
        if sample == "without_plateau":
            return ~self.sample["prefecture"].str.contains("Autonomous").to_numpy()
        raise ValueError(f"unknown sample '{sample}'; known: {', '.join(SAMPLES)}")

    def log_access(self, theta: float, network: str) -> np.ndarray:
        """The log market access per group (the units' MA weighted by 2010 GDP).

        MA is in units of the mean MA of the ``before`` network, so that
        differences between networks are the networks' doing.
        """
        ma = np.exp(-theta * self.times[network]) @ self.weight
        ma = ma / (np.exp(-theta * self.times["before"]) @ self.weight).mean()
        keep = self.unit_group >= 0
        num = np.bincount(self.unit_group[keep], weights=(self.weight * ma)[keep],
                          minlength=self.n)
        den = np.bincount(self.unit_group[keep], weights=self.weight[keep], minlength=self.n)
        return np.log(num / den)

    def unit_shock(self, theta: float, after: str = "after", before: str = "before"
                   ) -> np.ndarray:
        """Δln MA per unit (all 221) between two networks, 2010 GDP weights."""
        w = self.weight
        return (np.log(np.exp(-theta * self.times[after]) @ w)
                - np.log(np.exp(-theta * self.times[before]) @ w))

    def shock(self, theta: float, after: str = "after", before: str = "before") -> np.ndarray:
        """Δln MA per group between two networks (default: 2010→2019)."""
        return self.log_access(theta, after) - self.log_access(theta, before)


def _group_table() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Groups with their data; unit → group rows; unit 2010 GDP weights."""
    region = load_region("sichuan_chongqing", 2010)
    units = sources.counties().set_index("code").loc[region.codes]
    cmp = sources.comparison_groups().set_index("cmp_group")
    g = units.assign(
        missing=units["gdp_2010_10k_yuan"].isna(),
        gdp_2010=units["gdp_2010_10k_yuan"].fillna(0.0),
        # Yuzhong (渝中区) reports no primary value added: an all-urban district.
        va_primary_2010=units["va_primary_2010_10k_yuan"].fillna(0.0),
        is_core=units.index.isin(CORE_CODES),
        is_seat=_prefecture_seats(units),
        gains_station=units.index.isin(station_counties(BASE_YEAR + 1, END_YEAR))
        & ~units.index.isin(station_counties(0, BASE_YEAR)),
        terminal=units.index.isin(_line_terminals(BASE_YEAR + 1, END_YEAR)),
        unit_name=units["name_en"],
    ).groupby("cmp_group")
    table = pd.DataFrame({
        "name": g["unit_name"].agg("; ".join),
        "province": g["province_en"].first(),
        "prefecture": g["prefecture_en"].first(),
        "n_units": g.size(),
        "missing_gdp_2010": g["missing"].sum(),
        "gdp_2010": g["gdp_2010"].sum(), "gdp_2019": g["gdp_2019_10k_yuan"].sum(),
        "va_primary_2010": g["va_primary_2010"].sum(),
        "is_core": g["is_core"].any(), "is_seat": g["is_seat"].any(),
        "gains_station": g["gains_station"].any(), "terminal": g["terminal"].any(),
    })
    table["pop_2010"] = cmp.loc[table.index, "pop_2010"].astype(float)
    table.loc[table["missing_gdp_2010"] > 0, "gdp_2010"] = np.nan
    deflator = table["province"].map(DEFLATOR_2019_2010)
    table["growth"] = np.log(table["gdp_2019"] / deflator) - np.log(table["gdp_2010"])
    table["ln_gdp_per_capita_2010"] = np.log(1e4 * table["gdp_2010"] / table["pop_2010"])
    table["primary_share_2010"] = table["va_primary_2010"] / table["gdp_2010"]
    weight = region.column("gdp_bn_yuan").astype(float)
    return table, units["cmp_group"].to_numpy(), weight


def station_counties(first: int, last: int) -> set[int]:
    """Codes of the counties with a station (not planned) opening in [first, last]."""
    rail = sources.rail_lines()
    rail = rail[rail["planned"].ne("yes") & rail["open_year"].between(first, last)]
    return {int(c) for c in rail["county_code"]}


def _line_terminals(first: int, last: int) -> set[int]:
    rail = sources.rail_lines()
    rail = rail[rail["planned"].ne("yes") & rail["open_year"].between(first, last)]
    ends = rail.sort_values("station_order").groupby("line_name_en")["county_code"]
    return {int(c) for c in pd.concat([ends.first(), ends.last()])}


def _prefecture_seats(units: pd.DataFrame) -> np.ndarray:
    """Seats of prefecture governments.

    The districts (区) of Sichuan's prefecture cities, the three autonomous
    prefectures' seat cities and Chongqing's nine central districts.
    """
    autonomous_seats = (513201, 513301, 513401)  # 马尔康市, 康定市, 西昌市
    district = units["name_zh"].str.endswith("区") & units["province_en"].eq("Sichuan")
    return (district | units.index.isin(autonomous_seats)
            | units.index.isin(CORE_CODES)).to_numpy()


@cache
def design(params: Parameters | None = None) -> Design:
    """The estimation design at ``params`` (default: the package default), built once."""
    params = params or default_parameters()
    table, unit_cmp, weight = _group_table()
    out = table["missing_gdp_2010"] > 0
    excluded = table.loc[out, ["name", "province", "n_units", "missing_gdp_2010"]].assign(
        reason="a member's 2010 GDP is missing (code changed)")
    sample = table[~out].copy()
    row = {int(c): i for i, c in enumerate(sample.index)}
    unit_group = np.array([row.get(int(c), -1) for c in unit_cmp], dtype=np.int64)
    region = load_region("sichuan_chongqing", 2010)
    times = {}
    n = region.n
    for name in NETWORKS:
        changes, year = network_changes(name)
        net = Network(region, params, changes)
        net.set_year(year)
        times[name] = np.array(net.travel_time[:n, :n])
    return Design(sample=sample, excluded=excluded, unit_group=unit_group, weight=weight,
                  times=times, params=params)


# --------------------------------------------------------------------------------------
# Regressions
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    """One OLS regression of GDP growth on a market-access change.

    Attributes:
        theta: the decay θ (1/h) of the market access.
        coef, se, ci, p_value: the coefficient on Δln MA (φ̂), its standard
            error, 95% interval and two-sided p-value.
        n: observations; r2: R²; loglik: Gaussian log-likelihood.
        cov: ``cluster`` (by prefecture; t with G − 1 df) or ``HC1``.
        controls: the controls beside the province fixed effect.
        others: coefficient of every other regressor (name → value).
    """

    theta: float
    coef: float
    se: float
    ci: tuple[float, float]
    p_value: float
    n: int
    r2: float
    loglik: float
    cov: str
    controls: tuple[str, ...]
    others: dict[str, float]


def regress(y: np.ndarray, shock: np.ndarray, controls: pd.DataFrame, clusters: np.ndarray,
            cov: str = "cluster", theta: float = float("nan")) -> Fit:
    """OLS of ``y`` on ``shock`` and ``controls`` (with a constant), by statsmodels.

    Controls constant within the sample (a dummy of a prefecture left out) are dropped.
    """
    controls = controls.loc[:, controls.std() > 0]
    x = controls.assign(d_ln_market_access=shock)
    x = sm.add_constant(x[["d_ln_market_access", *controls.columns]], has_constant="add")
    model = sm.OLS(np.asarray(y, dtype=float), x)
    if cov == "cluster":
        res = model.fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(clusters)[0]},
                        use_t=True)
    elif cov == "HC1":
        res = model.fit(cov_type="HC1", use_t=True)
    else:
        raise ValueError(f"unknown covariance '{cov}'; use 'cluster' or 'HC1'")
    ci = res.conf_int().loc["d_ln_market_access"]
    return Fit(theta=theta, coef=float(res.params["d_ln_market_access"]),
               se=float(res.bse["d_ln_market_access"]), ci=(float(ci[0]), float(ci[1])),
               p_value=float(res.pvalues["d_ln_market_access"]), n=int(res.nobs),
               r2=float(res.rsquared), loglik=float(res.llf), cov=cov,
               controls=tuple(c for c in controls.columns if c != "chongqing"),
               others={k: float(v) for k, v in res.params.items()
                       if k != "d_ln_market_access"})


def controls_frame(d: Design, theta: float, controls: tuple[str, ...] = CONTROLS,
                   before: str = "before") -> pd.DataFrame:
    """The regressors beside Δln MA: the province dummy and ``controls``."""
    s = d.sample
    frame = pd.DataFrame({"chongqing": (s["province"] == "Chongqing").astype(float)},
                         index=s.index)
    for name in controls:
        frame[name] = (d.log_access(theta, before) if name == "ln_market_access_2010"
                       else s[name].to_numpy(dtype=float))
    return frame


def estimate(d: Design, theta: float, *, controls: tuple[str, ...] = CONTROLS,
             cov: str = "cluster", after: str = "after", before: str = "before",
             subset: np.ndarray | None = None, y: np.ndarray | None = None) -> Fit:
    """φ̂ at one θ: growth on Δln MA(θ) between two networks, with controls.

    Args:
        d: the design.
        theta: decay of market access (1/h).
        controls: controls beside the province fixed effect (of :data:`CONTROLS`).
        cov: ``cluster`` (prefecture) or ``HC1``.
        after: the network after the shock (:data:`NETWORKS`).
        before: the network before it.
        subset: boolean mask of ``d.sample`` rows to keep (robustness checks).
        y: another dependent variable per group (e.g. simulated growth).
    """
    y = d.sample["growth"].to_numpy() if y is None else np.asarray(y, dtype=float)
    x = d.shock(theta, after, before)
    frame = controls_frame(d, theta, controls, before)
    keep = np.ones(d.n, dtype=bool) if subset is None else np.asarray(subset, dtype=bool)
    return regress(y[keep], x[keep], frame[keep], d.sample["prefecture"].to_numpy()[keep],
                   cov, theta)


def theta_profile(d: Design, thetas: tuple[float, ...] = THETA_GRID, **kwargs) -> pd.DataFrame:
    """φ̂(θ) and the likelihood over a grid of θ.

    Returns:
        One row per θ: ``theta``, ``phi``, ``se``, ``ci_low``, ``ci_high``,
        ``p_value``, ``r2``, ``loglik`` and ``delta`` = 2(ℓ(θ̂) − ℓ(θ)).
    """
    rows = []
    for theta in thetas:
        f = estimate(d, theta, **kwargs)
        rows.append({"theta": theta, "phi": f.coef, "se": f.se, "ci_low": f.ci[0],
                     "ci_high": f.ci[1], "p_value": f.p_value, "r2": f.r2,
                     "loglik": f.loglik})
    table = pd.DataFrame(rows)
    table["delta"] = 2.0 * (table["loglik"].max() - table["loglik"])
    return table


#: φ values of the simulated binding function (within the hard bounds of φ, ≥ 0).
BINDING_PHIS = (0.0, 0.05, 0.1, 0.15, 0.2)


def simulated_growth(d: Design, params: Parameters) -> np.ndarray:
    """Δln GDP 2010→2019 per group of the deterministic validation run at ``params``."""
    out = run_validation(params, end_year=END_YEAR)
    keep = d.unit_group >= 0
    start = np.bincount(d.unit_group[keep], weights=d.weight[keep], minlength=d.n)
    end = np.bincount(d.unit_group[keep], weights=out.gdp[keep], minlength=d.n)
    return np.log(end / start)


def binding(d: Design, theta: float, params: Parameters | None = None,
            phis: tuple[float, ...] = BINDING_PHIS, subset: np.ndarray | None = None
            ) -> tuple[float, float, pd.DataFrame]:
    """The reduced-form coefficient the model produces, as a function of its φ.

    The model is run 2010→2019 (deterministic, real openings) with θ and each φ
    of ``phis``, the other parameters at ``params``; the same regression on its
    GDP growth gives β(φ) (on the groups of ``subset``). The model's
    migration, investment and knowledge flows respond to travel times too, so
    β(0) ≠ 0 and β′(φ) ≠ 1.

    Returns:
        (b0, b1) of the least-squares line β(φ) ≈ b0 + b1 φ, and the table of
        ``phi``, ``beta``, ``se``.
    """
    params = params or d.params
    rows = []
    for phi in phis:
        p = params.replace(agglomeration_elasticity=phi, market_access_decay_per_h=theta)
        with np.errstate(all="ignore"):
            f = estimate(d, theta, y=simulated_growth(d, p), subset=subset)
        rows.append({"phi": phi, "beta": f.coef, "se": f.se})
    table = pd.DataFrame(rows)
    b1, b0 = np.polyfit(table["phi"], table["beta"], 1)
    return float(b0), float(b1), table


@dataclass(frozen=True)
class MarketAccessEstimate:
    """The estimate, as a calibration prior uses it.

    Attributes:
        beta, beta_se, beta_ci, p_value: the reduced-form coefficient on Δln MA
            at θ̂ (clustered by prefecture), its s.e., 95% interval and p-value.
        theta: the θ (1/h) at which β̂ and φ̂ are given (θ̂ unless asked).
        theta_hat: θ̂, the likelihood maximum over :data:`THETA_GRID`.
        theta_interval: the likelihood-ratio 95% interval of θ.
        theta_open: whether each end of that interval is the end of the grid
            (the data do not bound θ on that side).
        binding: (b0, b1), the model's reduced-form coefficient β(φ) ≈ b0 + b1 φ
            at θ̂ (:func:`binding`).
        phi, se, ci: the model's φ that reproduces β̂, (β̂ − b0) / b1, its s.e.
            β̂_se / b1 and the interval mapped the same way.
        n: groups in the estimation.
        sample: the sample (:data:`SAMPLES`).
    """

    beta: float
    beta_se: float
    beta_ci: tuple[float, float]
    p_value: float
    theta: float
    theta_hat: float
    theta_interval: tuple[float, float]
    theta_open: tuple[bool, bool]
    binding: tuple[float, float]
    phi: float
    se: float
    ci: tuple[float, float]
    n: int
    sample: str = "all"


@cache
def market_access_estimate(params: Parameters | None = None, sample: str = "all",
                           theta: float | None = None) -> MarketAccessEstimate:
    """β̂ and φ̂ at θ̂ with their intervals, and θ̂ with its interval (once per process).

    Args:
        params: the parameters of the networks and of the binding runs
            (default: the package default).
        sample: ``all`` (201 groups) or ``without_plateau`` (:data:`SAMPLES`).
        theta: the θ at which β̂ and φ̂ are given (default θ̂); φ̂ depends on
            θ, so a prior for a model run at some θ is best taken there.
    """
    d = design(params)
    keep = d.subset(sample)
    table = theta_profile(d, subset=keep)
    iv = profile_intervals(table.assign(parameter="theta", value=table["theta"]),
                           CHI2_95).iloc[0]
    theta_hat = float(table.loc[table["delta"].idxmin(), "theta"])
    theta = theta_hat if theta is None else float(theta)
    f = estimate(d, theta, subset=keep)
    b0, b1, _ = binding(d, theta, subset=keep)
    beta, se = f.coef, f.se
    lo, hi = f.ci
    p_value = f.p_value
    return MarketAccessEstimate(
        beta=beta, beta_se=se, beta_ci=(lo, hi), p_value=p_value,
        theta=theta, theta_hat=theta_hat, theta_interval=(float(iv["lower"]), float(iv["upper"])),
        theta_open=(bool(iv["open_lower"]), bool(iv["open_upper"])), binding=(b0, b1),
        phi=(beta - b0) / b1, se=se / abs(b1),
        ci=tuple(sorted(((lo - b0) / b1, (hi - b0) / b1))), n=int(keep.sum()), sample=sample)


def market_access_priors(sample: str = "all", theta: float | None = None
                         ) -> tuple[Prior, ...]:
    """The estimate as a Gaussian prior on ``agglomeration_elasticity``: φ ~ N(φ̂, se²).

    φ̂ is the model's φ that reproduces the reduced-form coefficient (see
    :class:`MarketAccessEstimate`), computed at the package-default parameters
    on the groups of ``sample`` (:data:`SAMPLES`) at ``theta`` (default θ̂).
    """
    e = market_access_estimate(None, sample, theta)
    source = (f"2010–2019 rail openings, reduced form β̂ = {e.beta:.3f} (s.e. {e.beta_se:.3f}, "
              f"prefecture-clustered) at θ = {e.theta:g}/h on {e.n} comparison groups ({sample}), "
              f"mapped to the model's φ through the simulated binding β(φ) ≈ {e.binding[0]:.3f} + "
              f"{e.binding[1]:.3f} φ (sim/studies/calibration/market_access.py; "
              "docs/validation/market_access.md)")
    return (Prior("agglomeration_elasticity", e.phi, e.se, source),)
