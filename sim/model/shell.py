"""The Mesa shell: a model that owns the arrays, and one agent per county.

:class:`CountyModel` holds the region, the network, the state arrays and the
output buffers, and each year runs the steps of docs/model.md §5: (1) infrastructure, (2–9) the
vectorised core :func:`sim.model.core.advance`, (10) recording. Flows are computed
for all counties at once because every county decides on the same year's
incomes and travel times; a sequential per-agent update would make results
depend on the activation order. :class:`CountyAgent` exposes its county's row
(read, and write for stocks) and has a ``step`` a subclass may override to change its
county's policy before the vectorised year.

The model keeps Mesa's contract (docs/mesa.md): it takes its set-up as keywords or as
Mesa's scenario object (:mod:`sim.model.settings`), has a ``datacollector``
(:mod:`sim.model.collector`) and gives the year's network as a networkx graph.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar

import mesa
import networkx as nx
import numpy as np
import pandas as pd
import threadpoolctl

from sim.model.collector import CountyDataCollector
from sim.model.core import Constants, Policy, State, advance, build_kernels
from sim.model.core.initial import initial_state
from sim.model.levers import LeverContext
from sim.model.network import Network
from sim.model.parameters import Parameters
from sim.model.recorder import Columns, Recorder
from sim.model.region import SYSTEM, Region, census_year_for, load_region
from sim.model.resolve import network_changes, resolve_lever_masks
from sim.model.rows import ROW_COLUMNS, PolicyRow, add_row_columns, row_value
from sim.model.runid import make_run_id
from sim.model.settings import resolve_setup


class CountyAgent(mesa.Agent):
    """A county: a view on its row of the model's state arrays and tables.

    Every column of the county's ``county_year`` row is an attribute
    (``agent.gdp_bn_yuan``, ``agent.in_migration``, …; :mod:`sim.model.rows`): columns
    kept in the state read the current state, the others the last recorded year. The
    stocks ``urban_population``, ``rural_population``, ``capital_bn_yuan``, ``tfp`` and
    ``land_km2`` can be set (checked; the next year starts from them).

    :meth:`step` is the county's decision hook: a subclass that overrides it (and a model
    whose ``agent_class`` is that subclass) has it called for every county, in county
    order, before each simulated year, with :attr:`policy` the county's row of that
    year's policy to change. Without an override nothing is called (a ``step`` from
    another base class, such as mesa-geo's ``GeoAgent``, is not an override).

    Attributes:
        index: row of the county in every model array.
        code, name_en, name_zh, prefecture, province: identity.
        is_pilot: one of the nine 2020 pilot counties.
    """

    #: Identity attributes (set at construction), not read from the tables.
    IDENTITY: ClassVar[tuple[str, ...]] = ("code", "name_en", "province", "is_pilot")

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

    def step(self) -> None:
        """The county's decision before each simulated year; override it (see the class).

        Read the county's row (``self.income_per_capita_yuan``, …), change
        ``self.policy`` (e.g. ``self.policy.tfp_boost += 0.005``) or a stock. The
        default does nothing, and the model does not call it.
        """

    @property
    def policy(self) -> PolicyRow:
        """The county's row of the policy of the year being simulated (in :meth:`step`)."""
        return PolicyRow(self.model, self.index)

    @property
    def population(self) -> float:
        """Residents, urban plus rural, in the current state (persons)."""
        return self.urban_population + self.rural_population

    @property
    def active_levers(self) -> list[str]:
        """Ids of the levers acting on this county in the last simulated year."""
        return [lid for lid, w in self.model.lever_weights.items()
                if w > 0 and self.model.lever_masks[lid]["targets"][self.index]]

    def row(self) -> dict[str, Any]:
        """The county's ``county_year`` row of the model's year (ids aside), as a dict.

        Equal to that row of :meth:`CountyModel.county_year` unless a stock was set since.
        """
        return {name: row_value(self, name) for name in ROW_COLUMNS}

    def snapshot(self) -> dict[str, Any]:
        """The county's main current values as a dict."""
        return {"code": self.code, "name_en": self.name_en, "population": self.population,
                "gdp_bn_yuan": self.gdp_bn_yuan,
                "income_per_capita_yuan": self.income_per_capita_yuan,
                "market_access": self.market_access,
                "travel_time_to_core_h": self.travel_time_to_core_h,
                "land_km2": self.land_km2, "active_levers": self.active_levers}


add_row_columns(CountyAgent, skip=CountyAgent.IDENTITY)


_blas_limit: list[threadpoolctl.threadpool_limits] = []


def one_blas_thread() -> None:
    """Limit BLAS to one thread in this process, once (docs/model.md §8).

    A matrix product's rounding depends on how many threads share it, and a
    stochastic run draws from those products, so the same seed gave a different
    person here and there in a batch's worker processes (one BLAS thread each)
    and in the main process. One thread everywhere makes a run's results the
    same whatever the executor; the county arrays are too small for threads to
    speed them up.
    """
    if not _blas_limit:
        _blas_limit.append(threadpoolctl.threadpool_limits(limits=1, user_api="blas"))


class CountyModel(mesa.Model):
    """The Chengdu–Chongqing county model.

    Args:
        scenario: what to simulate: a countysim :class:`~sim.model.scenario.Scenario`,
            the name of a file in ``scenarios/`` or a path, or Mesa's scenario object
            (:class:`~sim.model.settings.CountyScenario`, or any
            ``mesa.experimental.scenarios.Scenario``, whose attributes are read as the
            keywords below). Default: an empty ``ccec`` 2020–2025 scenario.
        seed: root seed of the run (default: the scenario's); Mesa's ``rng=`` (an
            integer) means the same.
        replicate: replicate number, recorded in the output (default 0).
        deterministic: use expected flows instead of random draws (default False).
        parameters: full parameter set, or a dict of overrides (default: the scenario's).
        record_flows: keep yearly origin–destination flows for :meth:`flows`.
        **keywords: ``region``, ``start_year``, ``end_year`` change the scenario;
            ``sim_scenario`` names it (as ``scenario`` does); any parameter by name
            (``migration_rate=0.04``) overrides the parameter set. An unknown name is
            an :class:`~sim.base.errors.InputError` with the closest allowed name.

    The model starts at the census year at or before ``scenario.start_year``
    and, if that is earlier, simulates the years up to the start year before
    recording. After construction the start-year row is recorded; each
    :meth:`step` simulates and records one year until ``scenario.end_year``.

    Attributes:
        sim_scenario: the countysim scenario (``scenario`` is Mesa's scenario object:
            the one given, or a :class:`~sim.model.settings.CountyScenario` of the set-up).
        datacollector: Mesa's DataCollector of the region and county tables
            (:class:`~sim.model.collector.CountyDataCollector`), collected each year.
        agent_class: the class of the county agents (a subclass of
            :class:`CountyAgent` taking the same arguments, e.g. one with its own
            ``step``, or the mesa-geo agents of :mod:`sim.model.geospace`).
        state: the county state arrays of the current year.
        network: the infrastructure network and travel times.
        region: counties and their initial data.
    """

    agent_class: ClassVar[type[CountyAgent]] = CountyAgent

    def __init__(self, scenario: Any = None, *, seed: int | None = None,
                 rng: int | None = None, replicate: int | None = None,
                 deterministic: bool | None = None,
                 parameters: Parameters | dict[str, float] | None = None,
                 record_flows: bool | None = None, record_ages: bool = False,
                 **keywords: Any) -> None:
        setup = resolve_setup(scenario, seed=seed, rng=rng, replicate=replicate,
                              deterministic=deterministic, parameters=parameters,
                              record_flows=record_flows, **keywords)
        scenario = setup.scenario
        self.seed = setup.seed
        one_blas_thread()
        # One seed source per run: Mesa's generators and every draw come from it.
        super().__init__(rng=np.random.default_rng(np.random.SeedSequence(self.seed)))
        self.scenario = setup.mesa_scenario
        self.sim_scenario = scenario
        self.replicate = setup.replicate
        self.deterministic = setup.deterministic
        self.params = setup.parameters
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
        #: (policy, year) while the agents decide the year's policy (their ``step``).
        self.deciding: tuple[Policy, int] | None = None
        self._tables: dict[str, tuple[int, Columns]] = {}
        self._graph: tuple[tuple, nx.MultiGraph] | None = None
        self.recorder = Recorder(range(scenario.start_year, scenario.end_year + 1),
                                 self.scope, [lever.id for lever in scenario.levers],
                                 record_flows=setup.record_flows, record_ages=record_ages)
        while self.state.year < scenario.start_year:
            self._simulate_year()
        self.recorder.record(self.state, self.network.time_to_core, None, None,
                             np.zeros(len(scenario.levers)))
        self.running = scenario.end_year > self.state.year
        self.datacollector: mesa.DataCollector = CountyDataCollector(self)
        self.datacollector.collect(self)

    def region_row(self, index: int) -> int:
        """The row in the region's tables of the county at ``index`` among the simulated."""
        return int(np.searchsorted(self.scope, index))

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
        """Simulate and record one year (the agents decide first if they have a step)."""
        if not self.running:
            raise RuntimeError(f"the run ended in {self.sim_scenario.end_year}")
        flows, policy = self._simulate_year(decide=True)
        self.recorder.record(self.state, self.network.time_to_core, flows, policy,
                             np.array(list(self.lever_weights.values())))
        self.running = self.state.year < self.sim_scenario.end_year
        self.datacollector.collect(self)

    def _simulate_year(self, decide: bool = False):
        year = self.state.year + 1
        # 1. Infrastructure: openings and connectivity levers due this year.
        if self.network.set_year(year):
            self.kernels = build_kernels(self.network.travel_time, self.params,
                                         key=self.network.travel_time_key)
        policy = self._policy(year)
        if decide and self._agents_decide():
            policy = self._decisions(policy, year)
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

    def _agents_decide(self) -> bool:
        """Whether a county agent class overrides :meth:`CountyAgent.step`.

        Only a ``step`` of a CountyAgent subclass counts: one inherited from another
        base (mesa-geo's ``GeoAgent.step``, which does nothing) does not.
        """
        for cls in self.agent_types:
            owner = next((k for k in cls.__mro__ if "step" in vars(k)), CountyAgent)
            if owner is not CountyAgent and issubclass(owner, CountyAgent):
                return True
        return False

    def _decisions(self, policy: Policy, year: int) -> Policy:
        """The year's policy after every county agent's ``step`` (in county order)."""
        if policy is self._neutral_policy:
            policy = Policy(self.system.n)
        self.deciding = (policy, year)
        try:
            self.agents.do("step")
        finally:
            self.deciding = None
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

    def recorded_columns(self, table: str) -> Columns:
        """:meth:`table_columns`, built once per recorded year (read it, never change it).

        The agents' attributes and the DataCollector read the tables through this.
        """
        cached = self._tables.get(table)
        if cached is None or cached[0] != self.recorder.row:
            cached = self._tables[table] = (self.recorder.row, self.table_columns(table))
        return cached[1]

    def county_year(self) -> pd.DataFrame:
        """The county × year table of the years simulated so far."""
        return pd.DataFrame(self.table_columns("county_year"))

    def region_year(self) -> pd.DataFrame:
        """The region × year table of the years simulated so far."""
        return pd.DataFrame(self.table_columns("region_year"))

    def levers_year(self) -> pd.DataFrame:
        """Which levers acted on which county in which year, with their weight."""
        return pd.DataFrame(self.table_columns("levers_year"))

    @property
    def graph(self) -> nx.MultiGraph:
        """The infrastructure network of the model's year, as a (frozen) networkx graph.

        Nodes: counties by administrative code (with ``name_en``, ``lon``, ``lat``,
        ``in_region`` …), rail stations ``"station:<code>"`` and ``"ROC"`` (the rest of
        China). Parallel edges are kept, each with ``mode`` (road, rail, access, roc),
        ``speed_kmh``, ``time_h`` (this year's, levers included), ``open_year``,
        ``confidence``, ``road_class``, ``line`` and ``length_km``; the graph's ``year``
        is the model's. Shortest ``time_h`` paths between two counties of the region
        are their travel times (``network.travel_time``). Built when first read in a
        year; ``networkx.MultiGraph(model.graph)`` is a copy you may change.
        """
        key = (self.network.year, self.network.version)
        if self._graph is None or self._graph[0] != key:
            self._graph = (key, nx.freeze(self.network.graph()))
        return self._graph[1]

    def flows(self):
        """Yearly origin–destination flows (needs ``record_flows=True``)."""
        if not self.recorder.record_flows:
            raise RuntimeError("construct the model with record_flows=True to keep flows")
        return self.recorder.flows(self._ids(), self.system.codes)

    def age_year(self) -> pd.DataFrame:
        """Residents by year, county, sex and age group (needs ``record_ages=True``)."""
        return pd.DataFrame(self.table_columns("age_year"))
