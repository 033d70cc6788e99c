"""Output buffers and the tidy tables built from them (docs/outputs.md).

Each recorded year copies the state and flow arrays into preallocated
(years × N) buffers; the tables are built once, at the end of the run.
Columns, their order and types are those of :mod:`sim.model.schema`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from sim.model import indicators
from sim.model.core import cohorts
from sim.model.core.production import BN
from sim.model.core.state import Policy, State, YearFlows
from sim.model.schema import (
    AGE_GROUP_LABELS,
    AGE_YEAR,
    COUNTY_YEAR_COLUMNS,
    FLOWS,
    LEVERS_YEAR,
    REGION_YEAR_COLUMNS,
    Columns,
)

#: County-year columns copied from the state (column -> State attribute).
COLUMNS_FROM_STATE = {
    "urban_population": "urban",
    "rural_population": "rural",
    "gdp_bn_yuan": "gdp",
    "capital_bn_yuan": "capital",
    "primary_va_share": "primary_va_share",
    "primary_employment_share": "primary_pop_share",
    "income_per_capita_yuan": "income",
    "urban_income_yuan": "urban_income",
    "rural_income_yuan": "rural_income",
    "tfp": "tfp",
    "services": "services",
    "amenity": "amenity",
    "land_km2": "land",
    "governance": "governance",
    "market_access": "market_access",
    "emigrants": "emigrants",
    "registered_other_county": "registered_other_county",
    "registered_other_province": "registered_other_province",
}
#: County-year columns copied from the year's flows (NaN in the start-year row).
COLUMNS_FROM_FLOWS = {
    "births": "births",
    "deaths": "deaths",
    "in_migration": "in_migration",
    "out_migration": "out_migration",
    "roc_in_migration": "roc_in_migration",
    "roc_out_migration": "roc_out_migration",
    "roc_returns": "roc_returns",
    "roc_newcomers": "roc_newcomers",
    "investment_in_bn_yuan": "investment_in",
    "investment_out_bn_yuan": "investment_out",
    "investment_from_outside_bn_yuan": "investment_from_roc",
}
#: County-year columns computed from the residents by age (see :func:`age_columns`).
COLUMNS_FROM_AGES = ("share_aged_0_14", "share_aged_15_64", "share_aged_65_plus",
                     "dependency_ratio")
#: County-year columns copied from the year's policy (lever bookkeeping).
COLUMNS_FROM_POLICY = {
    "fiscal_transfer_bn_yuan": "transfers_bn_yuan",
    "land_traded_km2": "land_traded_km2",
    "land_trade_value_bn_yuan": "land_trade_value_bn_yuan",
    "land_quota_transfer_km2": "land_transfer_km2",
}

class Recorder:
    """Preallocated buffers for the recorded years of one run.

    The model simulates every county of Sichuan and Chongqing; the recorder keeps
    the counties of the run's region (``scope``), which its tables report.

    Args:
        years: the recorded years, start year first.
        scope: positions of the region's counties among the simulated ones.
        lever_ids: ids of the scenario's levers (for attribution).
        record_flows: also keep the yearly origin–destination matrices.
        record_ages: also keep residents by sex and age group (the ``age_year`` table).
    """

    def __init__(self, years: Sequence[int], scope: np.ndarray, lever_ids: Sequence[str],
                 record_flows: bool = False, record_ages: bool = False) -> None:
        self.years = list(years)
        self.scope = np.asarray(scope)
        #: A slice where the region is every simulated county (no copy when recording).
        self._take = (slice(None) if np.array_equal(self.scope, np.arange(len(self.scope)))
                      else self.scope)
        n = len(self.scope)
        shape = (len(self.years), n)
        recorded = (*COLUMNS_FROM_STATE, *COLUMNS_FROM_FLOWS, *COLUMNS_FROM_POLICY,
                    *COLUMNS_FROM_AGES, "travel_time_to_core_h")
        self.buffers = {name: np.full(shape, np.nan) for name in recorded}
        self.lever_weights = np.zeros((len(self.years), len(lever_ids)))
        self.lever_ids = list(lever_ids)
        self.record_flows = record_flows
        self.record_ages = record_ages
        self.ages = np.zeros((len(self.years), n, 2, 19)) if record_ages else None  # groups
        #: Net migration of the region with the simulated counties outside it, by year.
        self.outside = np.full(len(self.years), np.nan)
        self.od: list[tuple[int, YearFlows]] = []
        self.row = 0

    def record(self, state: State, time_to_core: np.ndarray, flows: YearFlows | None,
               policy: Policy | None, lever_weights: np.ndarray | None) -> None:
        """Copy one year into the buffers (flows and policy are None at the start)."""
        t = self.row
        b = self.buffers
        take = self._take
        for col, attr in COLUMNS_FROM_STATE.items():
            b[col][t] = getattr(state, attr)[take]
        ages = state.ages[take]
        for col, values in zip(COLUMNS_FROM_AGES, age_columns(ages), strict=True):
            b[col][t] = values
        if self.ages is not None:
            self.ages[t] = cohorts.to_groups(ages)
        b["travel_time_to_core_h"][t] = time_to_core[take]
        if flows is not None:
            for col, attr in COLUMNS_FROM_FLOWS.items():
                b[col][t] = getattr(flows, attr)[take]
            # In − out of the region's counties, less the exchange with ROC: what it
            # exchanged with the simulated counties outside it (inner moves cancel).
            self.outside[t] = ((b["in_migration"][t] - b["out_migration"][t]).sum()
                               - (b["roc_in_migration"][t] - b["roc_out_migration"][t]).sum())
            if self.record_flows:
                self.od.append((state.year, flows))
        if policy is not None:
            for col, attr in COLUMNS_FROM_POLICY.items():
                b[col][t] = getattr(policy, attr)[take]
        if lever_weights is not None:
            self.lever_weights[t] = lever_weights
        self.row += 1

    # -- tables -----------------------------------------------------------------------

    def county_year(self, ids: dict, table: pd.DataFrame,
                    lever_masks: Sequence[np.ndarray]) -> Columns:
        """The county × year table (see :data:`COUNTY_YEAR_COLUMNS`), column by column."""
        b = self.buffers
        t, n = b["gdp_bn_yuan"].shape
        population = b["urban_population"] + b["rural_population"]
        county = np.tile(np.arange(n), t)
        cols: dict[str, Any] = {key: _constant(value, t * n) for key, value in ids.items()}
        cols.update({
            "year": np.repeat(np.asarray(self.years, dtype=np.int64), n),
            "code": table["code"].to_numpy()[county],
            "name_en": _labels(table["name_en"].to_numpy(), county),
            "province": _labels(table["province_en"].to_numpy(), county),
            "is_pilot": table["is_pilot"].to_numpy()[county],
            "population": population.ravel(),
            "net_migration": (b["in_migration"] - b["out_migration"]).ravel(),
            "gdp_per_capita_yuan": (b["gdp_bn_yuan"] * BN / population).ravel(),
            "active_levers": self._active_levers(lever_masks, n),
        })
        for name, values in b.items():
            cols[name] = values.ravel()
        return {name: cols[name] for name in COUNTY_YEAR_COLUMNS}

    def _active(self, masks: Sequence[np.ndarray]) -> np.ndarray:
        """(years, levers, N) bool: ``[t, j, i]`` if lever j acts on county i in year t."""
        return (self.lever_weights > 0)[:, :, None] & np.asarray(masks)[None, :, :]

    def _active_levers(self, masks: Sequence[np.ndarray], n: int) -> pd.Categorical:
        """Ids of the levers acting on each county-year, joined by ';'."""
        t = len(self.years)
        if not self.lever_ids:
            return _categorical(np.zeros(t * n, dtype=np.int8), ("",))
        # One row of flags per county-year; each distinct row becomes one label.
        flags = self._active(masks).transpose(0, 2, 1).reshape(t * n, len(self.lever_ids))
        combos, codes = np.unique(flags, axis=0, return_inverse=True)
        labels = [";".join(np.asarray(self.lever_ids)[row]) for row in combos]
        return _categorical(codes.ravel(), tuple(labels))

    def levers_year(self, ids: dict, table: pd.DataFrame, lever_types: Sequence[str],
                    lever_masks: Sequence[np.ndarray]) -> Columns:
        """One row per (year, county, active lever) with the lever's intensity weight."""
        if not self.lever_ids:
            return empty_columns(LEVERS_YEAR.dtypes)
        t, j, i = np.nonzero(self._active(lever_masks))
        if len(t) == 0:
            return empty_columns(LEVERS_YEAR.dtypes)
        cols: dict[str, Any] = {key: _constant(value, len(t)) for key, value in ids.items()}
        cols.update({
            "year": np.asarray(self.years, dtype=np.int64)[t],
            "code": table["code"].to_numpy()[i],
            "lever_id": _categorical(j, tuple(self.lever_ids)),
            "lever_type": _labels(np.asarray(lever_types, dtype=object), j),
            "weight": self.lever_weights[t, j],
        })
        return {name: cols[name] for name in LEVERS_YEAR.dtypes}

    def region_year(self, ids: dict, table: pd.DataFrame) -> Columns:
        """The region × year table (see :data:`REGION_YEAR_COLUMNS`), column by column."""
        b = self.buffers
        population = b["urban_population"] + b["rural_population"]
        summary = indicators.region_summary(
            b["gdp_bn_yuan"], population, b["urban_population"],
            table["province_en"].to_numpy(), table["is_core"].to_numpy(),
            table["is_pilot"].to_numpy(), group_name="province")
        total = population.sum(axis=1)
        mean_pop = np.append(np.nan, (total[1:] + total[:-1]) / 2)
        weights = population / total[:, None]
        cols: dict[str, Any] = {key: _constant(value, len(self.years))
                                for key, value in ids.items()}
        cols.update(summary, **{
            "year": np.asarray(self.years, dtype=np.int64),
            "births": _sum(b["births"]),
            "deaths": _sum(b["deaths"]),
            "roc_net_migration": _sum(b["roc_in_migration"]) - _sum(b["roc_out_migration"]),
            "roc_out_migration": _sum(b["roc_out_migration"]),
            "roc_returns": _sum(b["roc_returns"]),
            "roc_newcomers": _sum(b["roc_newcomers"]),
            "outside_net_migration": self.outside,
            "emigrants": b["emigrants"].sum(axis=1),
            "registered_other_county": b["registered_other_county"].sum(axis=1),
            "registered_other_province": b["registered_other_province"].sum(axis=1),
            "crude_birth_rate": _sum(b["births"]) / mean_pop,
            "crude_death_rate": _sum(b["deaths"]) / mean_pop,
            "share_aged_0_14": (b["share_aged_0_14"] * weights).sum(axis=1),
            "share_aged_15_64": (b["share_aged_15_64"] * weights).sum(axis=1),
            "share_aged_65_plus": (b["share_aged_65_plus"] * weights).sum(axis=1),
        })
        cols["dependency_ratio"] = (1.0 - cols["share_aged_15_64"]) / cols["share_aged_15_64"]
        return {name: cols[name] for name in REGION_YEAR_COLUMNS}

    def age_year(self, ids: dict, table: pd.DataFrame) -> Columns:
        """Residents by year, county, sex and age group (needs ``record_ages``)."""
        if self.ages is None:
            raise RuntimeError("construct the model with record_ages=True to keep ages")
        ages = self.ages[:self.row]
        t, n, sexes, groups = ages.shape
        size = ages.size
        cols: dict[str, Any] = {key: _constant(value, size) for key, value in ids.items()}
        cols.update({
            "year": np.repeat(np.asarray(self.years[:t], dtype=np.int64), n * sexes * groups),
            "code": np.tile(np.repeat(table["code"].to_numpy(), sexes * groups), t),
            "sex": _categorical(np.tile(np.repeat(np.arange(sexes, dtype=np.int8), groups),
                                        t * n), ("m", "f")),
            "age_group": _categorical(np.tile(np.arange(groups, dtype=np.int8), t * n * sexes),
                                      AGE_GROUP_LABELS),
            "population": ages.ravel(),
        })
        return {name: cols[name] for name in AGE_YEAR.names}

    def flows(self, ids: dict, codes: np.ndarray) -> pd.DataFrame:
        """Yearly origin–destination flows with a county of the region at one end.

        Args:
            ids: the run's ids.
            codes: codes of every simulated county (ROC has code 0).
        """
        codes = np.append(codes, 0)
        in_scope = np.zeros(len(codes), dtype=bool)
        in_scope[self.scope] = True
        in_scope[-1] = False
        parts = []
        for year, f in self.od:
            from_roc = f.roc_returns + f.roc_newcomers
            migrants = np.vstack([f.migration_od, np.append(from_roc, 0.0)])
            invest = np.vstack([f.investment_od, np.append(f.investment_from_roc, 0.0)])
            touches = in_scope[:, None] | in_scope[None, :]
            origin, dest = np.nonzero(((migrants > 0) | (invest > 0)) & touches)
            parts.append(pd.DataFrame({
                "year": year, "origin": codes[origin], "destination": codes[dest],
                "migrants": migrants[origin, dest], "investment_bn_yuan": invest[origin, dest],
            }))
        if not parts:
            return pd.DataFrame(empty_columns(FLOWS.dtypes))
        df = pd.concat(parts, ignore_index=True)
        for key, value in ids.items():
            df[key] = value
        return df[list(FLOWS.dtypes)]


def age_columns(ages: np.ndarray) -> tuple[np.ndarray, ...]:
    """Shares aged 0–14, 15–64 and 65+, and the dependency ratio, of (N, 2, 86) residents."""
    young, working, old = cohorts.age_shares(ages)
    return young, working, old, (young + old) / np.maximum(working, 1e-12)


def empty_columns(dtypes: dict[str, str]) -> Columns:
    """The columns of a table without rows, with the types of a filled one.

    Typed empty tables keep Parquet schemas equal across runs, so batches of runs
    with and without rows read as one dataset.
    """
    key = tuple(dtypes.items())
    if key not in _EMPTY:  # building typed columns costs milliseconds
        _EMPTY[key] = {c: pd.Series(dtype=t) for c, t in dtypes.items()}
    return dict(_EMPTY[key])  # the (empty, never modified) columns are shared


_EMPTY: dict[tuple, Columns] = {}


@lru_cache(maxsize=256)
def _category_type(categories: tuple[str, ...]) -> pd.CategoricalDtype:
    # Building the type (an index of the categories, checked) costs ~0.2 ms; the
    # same run ids, names and lever ids recur in every table of a run.
    return pd.CategoricalDtype(list(categories))


def _categorical(codes: np.ndarray, categories: tuple[str, ...]) -> pd.Categorical:
    """A categorical column from integer codes into ``categories``."""
    return pd.Categorical.from_codes(codes, dtype=_category_type(categories))


def _constant(value: Any, size: int) -> Any:
    """A column holding one value: categorical for text, a numpy array otherwise."""
    if isinstance(value, str):
        return _categorical(np.zeros(size, dtype=np.int8), (value,))
    return np.full(size, value)


def _labels(values: np.ndarray, index: np.ndarray) -> pd.Categorical:
    """``values[index]`` as a categorical (cheap to build, store and compare)."""
    categories, codes = np.unique(values, return_inverse=True)
    return _categorical(codes[index], tuple(categories))


def _sum(values: np.ndarray) -> np.ndarray:
    """Row sums that stay NaN for the start year (no flows were simulated)."""
    out = values.sum(axis=1)
    out[np.isnan(values).all(axis=1)] = np.nan
    return out
