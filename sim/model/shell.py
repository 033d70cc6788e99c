"""The Mesa shell: a model that owns the arrays, and one agent per county.

:class:`CountyModel` holds the region, the network, the state arrays and the
output buffers, and each year runs the steps of docs/model.md §5: (1) infrastructure, (2–9) the
vectorised core :func:`sim.model.core.advance`, (10) recording. Flows are computed
for all counties at once because every county decides on the same year's
incomes and travel times; a sequential per-agent update would make results
depend on the activation order. :class:`CountyAgent` exposes its county's row
(read and write) for notebooks and the interactive explorer.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim.base.errors import InputError
from sim.model.core import Constants, Policy, State, advance, build_kernels
from sim.model.core.initial import initial_state
from sim.model.levers import LeverContext
from sim.model.network import Network
from sim.model.parameters import Parameters
from sim.model.recorder import Columns, Recorder
from sim.model.region import SYSTEM, Region, census_year_for, load_region
from sim.model.resolve import network_changes, resolve_lever_masks
from sim.model.runid import make_run_id
from sim.model.scenario import Scenario


class CountyAgent(mesa.Agent):
    """A county: a view on its row of the model's state arrays.

    Attributes:
        index: row of the county in every model array.
        code, name_en, name_zh, prefecture, province: identity.
        is_pilot: one of the nine 2020 pilot counties.
    """

    def __init__(self, model: CountyModel, index: int, code: int, name_en: str,
                 name_zh: str, prefecture: str, province: str, is_pilot: bool) -> None:
        super().__init__(model)
        self.index = index
        self.code = int(code)
        self.name_en = name_en
        self.name_zh = name_zh
        self.prefecture = prefecture
        self.province = province
        self.is_pilot = bool(is_pilot)

    def _get(self, attr: str) -> float:
        return float(getattr(self.model.state, attr)[self.index])

    def _set(self, attr: str, value: float) -> None:
        if not np.isfinite(value) or value < 0:
            raise InputError(f"{attr} of {self.name_en} must be a finite number ≥ 0, "
                             f"got {value}")
        getattr(self.model.state, attr)[self.index] = value

    @property
    def population(self) -> float:
        """Residents (persons)."""
        return self._get("urban") + self._get("rural")

    @property
    def urban_population(self) -> float:
        """Urban residents (persons)."""
        return self._get("urban")

    @property
    def gdp_bn_yuan(self) -> float:
        """Output of the last simulated year (bn yuan, census-year prices)."""
        return self._get("gdp")

    @property
    def income_per_capita_yuan(self) -> float:
        """Income per resident (yuan)."""
        return self._get("income")

    @property
    def market_access(self) -> float:
        """Market access relative to the census-year mean."""
        return self._get("market_access")

    @property
    def travel_time_to_core_h(self) -> float:
        """Hours to the nearest core district."""
        return float(self.model.network.time_to_core[self.index])

    @property
    def capital_bn_yuan(self) -> float:
        """Capital stock (bn yuan); settable."""
        return self._get("capital")

    @capital_bn_yuan.setter
    def capital_bn_yuan(self, value: float) -> None:
        self._set("capital", value)

    @property
    def land_km2(self) -> float:
        """Construction land (km²); settable."""
        return self._get("land")

    @land_km2.setter
    def land_km2(self, value: float) -> None:
        self._set("land", value)

    @property
    def active_levers(self) -> list[str]:
        """Ids of the levers acting on this county in the last simulated year."""
        return [lid for lid, w in self.model.lever_weights.items()
                if w > 0 and self.model.lever_masks[lid]["targets"][self.index]]

    def snapshot(self) -> dict[str, Any]:
        """The county's current values as a dict."""
        return {"code": self.code, "name_en": self.name_en, "population": self.population,
                "gdp_bn_yuan": self.gdp_bn_yuan,
                "income_per_capita_yuan": self.income_per_capita_yuan,
                "market_access": self.market_access,
                "travel_time_to_core_h": self.travel_time_to_core_h,
                "land_km2": self.land_km2, "active_levers": self.active_levers}


class CountyModel(mesa.Model):
    """The Chengdu–Chongqing county model.

    Args:
        scenario: what to simulate (default: an empty ``ccec`` 2020–2025 scenario).
        seed: root seed of the run (default: the scenario's).
        replicate: replicate number, recorded in the output.
        deterministic: use expected flows instead of random draws.
        parameters: full parameter set (default: the scenario's).
        record_flows: keep yearly origin–destination flows for :meth:`flows`.

    The model starts at the census year at or before ``scenario.start_year``
    and, if that is earlier, simulates the years up to the start year before
    recording. After construction the start-year row is recorded; each
    :meth:`step` simulates and records one year until ``scenario.end_year``.

    Attributes:
        agent_class: the class of the county agents (a subclass of
            :class:`CountyAgent` taking the same arguments; e.g. the mesa-geo
            agents of :mod:`sim.model.geospace`).
        sim_scenario: the countysim scenario (``Model.scenario`` is Mesa's own
            experimental scenario object, which this model does not use).
        state: the county state arrays of the current year.
        network: the infrastructure network and travel times.
        region: counties and their initial data.
    """

    agent_class: type[CountyAgent] = CountyAgent

    def __init__(self, scenario: Scenario | None = None, *, seed: int | None = None,
                 replicate: int = 0, deterministic: bool = False,
                 parameters: Parameters | None = None, record_flows: bool = False,
                 record_ages: bool = False) -> None:
        scenario = scenario or Scenario(name="baseline")
        self.seed = int(scenario.seed if seed is None else seed)
        # One seed source per run: Mesa's generators and every draw come from it.
        super().__init__(rng=np.random.default_rng(np.random.SeedSequence(self.seed)))
        self.sim_scenario = scenario
        self.replicate = replicate
        self.deterministic = deterministic
        self.params = parameters or scenario.model_parameters()
        census_year = census_year_for(scenario.start_year)
        # The population system is always both provinces; the scenario's region is what
        # the levers select from and the tables report (docs/model.md §1).
        self.region: Region = load_region(scenario.region, census_year)
        self.system: Region = load_region(SYSTEM, census_year)
        self.scope = np.asarray(self.region.full_index)

        self.region_masks = resolve_lever_masks(scenario, region=self.region,
                                                params=self.params)
        self.lever_masks = {lid: {f: self._expand(m) for f, m in fields.items()}
                            for lid, fields in self.region_masks.items()}
        self.network = Network(self.system, self.params, network_changes(
            scenario, self.lever_masks, self.system))
        self.network.set_year(census_year)
        self.kernels = build_kernels(self.network.travel_time, self.params,
                                     key=self.network.travel_time_key)
        self.state: State
        self.const: Constants
        self.state, self.const = initial_state(self.system.census_data(), self.kernels,
                                               self.params)
        col = self.region.column
        self.agent_class.create_agents(
            self, self.region.n, self.scope.tolist(), *(
                col(name).tolist() for name in ("code", "name_en", "name_zh", "prefecture_en",
                                                "province_en", "is_pilot")))

        self.lever_weights: dict[str, float] = {lever.id: 0.0 for lever in scenario.levers}
        self._neutral_policy = Policy(self.system.n)
        self._scratch = np.empty((self.system.n, self.system.n))
        self.recorder = Recorder(range(scenario.start_year, scenario.end_year + 1),
                                 self.scope, [lever.id for lever in scenario.levers],
                                 record_flows=record_flows, record_ages=record_ages)
        while self.state.year < scenario.start_year:
            self._simulate_year()
        self.recorder.record(self.state, self.network.time_to_core, None, None,
                             np.zeros(len(scenario.levers)))
        self.running = scenario.end_year > self.state.year

    def _expand(self, mask: np.ndarray) -> np.ndarray:
        """A mask over the region as a mask over every simulated county."""
        full = np.zeros(self.system.n, dtype=bool)
        full[self.scope] = mask
        return full

    @property
    def year(self) -> int:
        """The year of the current state."""
        return self.state.year

    def step(self) -> None:
        """Simulate and record one year."""
        if not self.running:
            raise RuntimeError(f"the run ended in {self.sim_scenario.end_year}")
        flows, policy = self._simulate_year()
        self.recorder.record(self.state, self.network.time_to_core, flows, policy,
                             np.array(list(self.lever_weights.values())))
        self.running = self.state.year < self.sim_scenario.end_year

    def _simulate_year(self):
        year = self.state.year + 1
        # 1. Infrastructure: openings and connectivity levers due this year.
        if self.network.set_year(year):
            self.kernels = build_kernels(self.network.travel_time, self.params,
                                         key=self.network.travel_time_key)
        policy = self._policy(year)
        # 2–9. The vectorised core.
        self.state, flows = advance(
            self.state, self.const, policy, self.kernels, self.network.travel_time,
            self.params, None if self.deterministic else self.rng,
            want_od=self.recorder.record_flows, scratch=self._scratch)
        return flows, policy

    def _policy(self, year: int) -> Policy:
        if not self.sim_scenario.levers:
            return self._neutral_policy
        policy = Policy(self.system.n)
        ctx = LeverContext(region=self.system, params=self.params, state=self.state)
        for lever in self.sim_scenario.levers:
            weight = lever.weight(year)
            self.lever_weights[lever.id] = weight
            if weight > 0:
                lever.apply(policy, self.lever_masks[lever.id], weight, ctx)
        return policy

    def run_model(self) -> None:
        """Run to the scenario's end year."""
        while self.running:
            self.step()

    # -- results ------------------------------------------------------------------------

    @cached_property
    def run_id(self) -> str:
        """A stable id of (scenario, parameters, seed, replicate, mode)."""
        return make_run_id(self.sim_scenario, seed=self.seed, replicate=self.replicate,
                           deterministic=self.deterministic, parameters=self.params)

    def _ids(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "scenario": self.sim_scenario.name,
                "replicate": self.replicate, "seed": self.seed}

    def _target_masks(self) -> list[np.ndarray]:
        return [self.region_masks[lever.id]["targets"] for lever in self.sim_scenario.levers]

    def table_columns(self, table: str) -> Columns:
        """One output table of the years simulated so far, as its columns.

        Args:
            table: ``county_year``, ``region_year`` or ``levers_year``.

        Returns:
            Column name → values (see :data:`sim.model.recorder.Columns`);
            ``pd.DataFrame`` of it is the table. Batches write these columns to
            Parquet without building the DataFrame.
        """
        r = self.recorder
        if table == "county_year":
            columns, rows = r.county_year(self._ids(), self.region.table,
                                          self._target_masks()), r.row * self.region.n
        elif table == "region_year":
            columns, rows = r.region_year(self._ids(), self.region.table), r.row
        elif table == "age_year":
            return r.age_year(self._ids(), self.region.table)
        elif table == "levers_year":  # years not simulated yet have no active levers
            return r.levers_year(self._ids(), self.region.table,
                                 [lever.type for lever in self.sim_scenario.levers],
                                 self._target_masks())
        else:
            raise ValueError(f"unknown table {table!r}: expected county_year, region_year, "
                             "levers_year or age_year")
        if rows < len(r.years) * (self.region.n if table == "county_year" else 1):
            columns = {name: values[:rows] for name, values in columns.items()}
        return columns

    def county_year(self) -> pd.DataFrame:
        """The county × year table of the years simulated so far."""
        return pd.DataFrame(self.table_columns("county_year"))

    def region_year(self) -> pd.DataFrame:
        """The region × year table of the years simulated so far."""
        return pd.DataFrame(self.table_columns("region_year"))

    def levers_year(self) -> pd.DataFrame:
        """Which levers acted on which county in which year, with their weight."""
        return pd.DataFrame(self.table_columns("levers_year"))

    def flows(self):
        """Yearly origin–destination flows (needs ``record_flows=True``)."""
        if not self.recorder.record_flows:
            raise RuntimeError("construct the model with record_flows=True to keep flows")
        return self.recorder.flows(self._ids(), self.system.codes)

    def age_year(self) -> pd.DataFrame:
        """Residents by year, county, sex and age group (needs ``record_ages=True``)."""
        return pd.DataFrame(self.table_columns("age_year"))
