"""The model as Mesa's tools expect it: keywords, Mesa's scenario, DataCollector, batch_run,
agents with a row and a step, the year's graph (docs/mesa.md)."""

from __future__ import annotations

import functools
import multiprocessing

import mesa
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS
from mesa.experimental.scenarios import Scenario as MesaScenario

import sim
from sim.model.collector import MODEL_COLUMNS, agent_reporters, model_reporters
from sim.model.schema import ID_COLUMNS
from sim.model.settings import CountyScenario
from sim.model.shell import CountyAgent, CountyModel


@functools.cache
def scenario(name: str = "baseline", end_year: int = 2023) -> sim.Scenario:
    return sim.load_scenario(SCENARIOS / f"{name}.toml").with_changes(end_year=end_year)


def finished(*args, **kwargs) -> CountyModel:
    model = CountyModel(*args, **kwargs)
    model.run_model()
    return model


@pytest.fixture
def batch_run():
    """``mesa.batch_run``, putting back the multiprocessing start method it forces."""
    method = multiprocessing.get_start_method(allow_none=True)
    yield functools.partial(mesa.batch_run, display_progress=False)
    multiprocessing.set_start_method(method, force=True)


def frames_equal(rows: pd.DataFrame, table: pd.DataFrame, columns, keys) -> None:
    """Rows from Mesa equal the model's table on ``columns`` (same values, NaN for NaN).

    ``columns`` may map the names in ``rows`` to those of ``table``.
    """
    if not (isinstance(columns, dict) and all(isinstance(v, str) for v in columns.values())):
        columns = {c: c for c in columns}
    columns = {k: v for k, v in columns.items() if k not in keys}
    left = rows.set_index(keys).sort_index()
    right = table.set_index(keys).sort_index()
    assert left.index.equals(right.index)
    for name, column in columns.items():
        a, b = left[name].to_numpy(), right[column].astype(object).to_numpy()
        same = [x == y or (x != x and y != y) for x, y in zip(a, b, strict=True)]
        assert all(same), name


# -- keywords and Mesa's scenario --------------------------------------------------------


def test_every_parameter_and_the_main_scenario_fields_are_keywords():
    model = CountyModel(migration_rate=0.04, scenario="pilot_programme", end_year=2030,
                        seed=3, deterministic=True, replicate=2)
    same = CountyModel(sim.load_scenario(SCENARIOS / "pilot_programme.toml").with_changes(
        end_year=2030), seed=3, deterministic=True, replicate=2,
        parameters=sim.default_parameters().replace(migration_rate=0.04))
    assert (model.sim_scenario.name, model.sim_scenario.end_year) == ("pilot_programme", 2030)
    assert model.params == same.params and model.params.migration_rate == 0.04
    assert model.run_id == same.run_id
    assert (model.seed, model.replicate, model.deterministic) == (3, 2, True)
    assert CountyModel(scenario(), parameters={"saving_rate": 0.3}).params.saving_rate == 0.3


def test_keywords_give_the_same_run_as_sim_run():
    s = scenario("pilot_programme")
    model = finished("pilot_programme", end_year=2023, seed=4, migration_rate=0.05)
    run = sim.run(s, seed=4, parameters={"migration_rate": 0.05})
    pd.testing.assert_frame_equal(model.county_year(), run.county_year)
    pd.testing.assert_frame_equal(model.region_year(), run.region_year)


@pytest.mark.parametrize(("keywords", "message"), [
    ({"migraton_rate": 0.04}, "unknown keyword 'migraton_rate'; did you mean 'migration_rate'?"),
    ({"end_yaer": 2030}, "unknown keyword 'end_yaer'; did you mean 'end_year'?"),
    ({"zzz": 1}, "unknown keyword 'zzz'; allowed: sim_scenario, region, start_year"),
    ({"end_year": 2019}, "end_year: 2019 must be after start_year 2020"),
    ({"region": "tibet"}, "region: Input should be 'ccec' or 'sichuan_chongqing'"),
    ({"migration_rate": 5.0}, "parameter 'migration_rate' = 5.0 is outside its allowed range"),
    ({"seed": -1}, "seed: expected a whole number from 0 to"),
    ({"rng": np.random.default_rng(1)}, "rng: expected a whole number from 0 to"),
    ({"seed": 1, "rng": 2}, "rng: 2 differs from seed=1; give the seed once"),
    ({"deterministic": "yes"}, "deterministic: expected True or False, got 'yes'"),
    ({"replicate": -1}, "replicate: expected a whole number ≥ 0, got -1"),
    ({"scenario": "pilot_programm"}, "unknown scenario 'pilot_programm'; allowed: baseline"),
    ({"scenario": 42}, "scenario: expected a countysim Scenario, the name or path"),
    ({"scenario": CountyScenario(end_year=2024), "end_year": 2030},
     "scenario.end_year: 2024 differs from the keyword end_year=2030; give it once"),
    ({"scenario": MesaScenario(scenario="baseline")},
     "unknown keyword 'scenario'; did you mean 'sim_scenario'?"),
])
def test_bad_keywords_get_one_line_naming_the_field(keywords, message):
    with pytest.raises(sim.InputError) as caught:
        CountyModel(**keywords)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)


def test_mesa_scenario_objects_carry_the_countysim_scenario():
    from_keywords = finished("pilot_programme", end_year=2022, seed=7, migration_rate=0.04)
    ours = finished(scenario=CountyScenario(sim_scenario="pilot_programme", end_year=2022,
                                            rng=7, migration_rate=0.04))
    mesas = finished(scenario=MesaScenario(sim_scenario="pilot_programme", end_year=2022,
                                           rng=7, migration_rate=0.04))
    for other in (ours, mesas):
        assert other.run_id == from_keywords.run_id
        pd.testing.assert_frame_equal(other.county_year(), from_keywords.county_year())
    # Mesa's contract: the scenario given is the model's, and knows its model.
    given = CountyScenario(rng=1)
    model = CountyModel(scenario=given)
    assert model.scenario is given and given.model is model
    # A model built from keywords describes itself as a CountyScenario.
    assert isinstance(from_keywords.scenario, CountyScenario)
    assert from_keywords.scenario.rng == 7 and from_keywords.scenario.end_year == 2022
    assert from_keywords.scenario.sim_scenario == from_keywords.sim_scenario


def test_an_empty_mesa_scenario_is_the_default_model_not_a_crash():
    # SolaraViz's Reset passes a new scenario object of the model's scenario class.
    for empty in (MesaScenario(), CountyScenario()):
        model = CountyModel(scenario=empty)
        default = CountyModel()
        assert model.run_id == default.run_id and model.seed == default.seed == 0


def test_a_scenario_subclass_holds_defaults():
    class Pilots(CountyScenario):
        sim_scenario: str = "pilot_programme"
        end_year: int = 2022

    model = CountyModel(scenario=Pilots(rng=2), migration_rate=0.05)
    assert (model.sim_scenario.name, model.sim_scenario.end_year, model.seed) == (
        "pilot_programme", 2022, 2)
    assert model.params.migration_rate == 0.05


def test_numpy_values_from_a_sweep_are_accepted():
    model = CountyModel(scenario(), seed=np.int64(2), end_year=np.int64(2022),
                        migration_rate=np.float64(0.04), deterministic=np.bool_(True))
    assert (model.seed, model.sim_scenario.end_year, model.params.migration_rate,
            model.deterministic) == (2, 2022, 0.04, True)


# -- DataCollector and batch_run ---------------------------------------------------------


def test_datacollector_agrees_exactly_with_the_tables_when_read_at_every_step():
    model = CountyModel(scenario("pilot_programme", 2024), seed=5)
    reads = [model.datacollector.get_model_vars_dataframe()]
    while model.running:
        model.step()
        reads.append(model.datacollector.get_model_vars_dataframe())
    assert [len(r) for r in reads] == [1, 2, 3, 4, 5]
    dc = model.datacollector
    region, county = model.region_year(), model.county_year()
    frames_equal(dc.get_model_vars_dataframe(), region, MODEL_COLUMNS, ["year"])
    agents = dc.get_agent_vars_dataframe().reset_index()
    frames_equal(agents, county, dc.agent_reporters, ["year", "code"])
    assert list(agents["Step"].unique()) == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert (agents["AgentID"].to_numpy() == np.tile([a.unique_id for a in model.agents],
                                                    5)).all()


def test_reporters_are_every_numeric_region_column_and_every_county_column():
    model = finished(scenario(end_year=2021))
    dc = model.datacollector
    numeric = model.region_year().select_dtypes(include=["number", "bool"]).columns
    assert set(MODEL_COLUMNS.values()) == set(numeric) - set(ID_COLUMNS)
    assert set(dc.model_reporters) == set(MODEL_COLUMNS)
    assert set(dc.agent_reporters) == set(model.county_year().columns) - set(ID_COLUMNS)
    # batch_run merges model and agent values into one row: no name may be in both
    # unless it is the same value (the year).
    assert set(dc.model_reporters) & set(dc.agent_reporters) == {"year"}
    assert "region_population" in dc.model_reporters


def test_a_plain_datacollector_with_the_same_reporters_collects_the_same_values():
    model = CountyModel(scenario("pilot_programme", 2022), seed=1)
    model.datacollector = mesa.DataCollector(model_reporters=model_reporters(),
                                             agent_reporters=agent_reporters())
    model.datacollector.collect(model)  # the start year, as the model's own collector
    model.run_model()
    again = finished(scenario("pilot_programme", 2022), seed=1).datacollector
    pd.testing.assert_frame_equal(model.datacollector.get_model_vars_dataframe(),
                                  again.get_model_vars_dataframe())
    pd.testing.assert_frame_equal(model.datacollector.get_agent_vars_dataframe(),
                                  again.get_agent_vars_dataframe())


def test_batch_run_of_the_issue_returns_the_models_own_rows(batch_run):
    rows = pd.DataFrame(batch_run(CountyModel, parameters={}, rng=[1, 2], max_steps=3))
    assert sorted(rows["seed"].unique()) == [1, 2] and (rows["year"] == 2023).all()
    for seed, part in rows.groupby("seed"):
        model = CountyModel(seed=seed)
        for _ in range(3):
            model.step()
        cy, ry = model.county_year(), model.region_year()
        frames_equal(part, cy[cy["year"] == 2023], model.datacollector.agent_reporters,
                     ["year", "code"])
        frames_equal(part.drop_duplicates("year"), ry[ry["year"] == 2023], MODEL_COLUMNS,
                     ["year"])


def test_batch_run_sweeps_parameters_and_scenarios_the_mesa_way(batch_run):
    rows = pd.DataFrame(batch_run(
        CountyModel, parameters={"scenario": ["baseline", "pilot_programme"], "end_year": 2022,
                                 "migration_rate": [0.03, 0.05]},
        rng=[4], max_steps=10, data_collection_period=1))
    assert len(rows.groupby(["scenario", "migration_rate"])) == 4
    assert sorted(rows["year"].unique()) == [2020, 2021, 2022]
    for (name, rate), part in rows.groupby(["scenario", "migration_rate"]):
        run = sim.run(scenario(name, 2022), seed=4, parameters={"migration_rate": rate})
        frames_equal(part, run.county_year, ["population", "in_migration", "gdp_bn_yuan"],
                     ["year", "code"])
        frames_equal(part.drop_duplicates("year"), run.region_year,
                     {"theil": "theil", "region_population": "population"}, ["year"])
    last = rows[rows["year"] == 2022].groupby("migration_rate")["in_migration"].sum()
    assert last[0.05] > last[0.03]


# -- agents ------------------------------------------------------------------------------


def test_an_agent_exposes_its_whole_row():
    model = CountyModel(scenario("pilot_programme", 2022), seed=2)
    for _ in range(2):
        model.step()
        table = model.county_year()
        now = table[table["year"] == model.year].set_index("code")
        for agent in model.agents:
            expected = now.loc[agent.code].drop(list(ID_COLUMNS))
            row = agent.row()
            assert row.pop("code") == agent.code
            assert list(row) == list(expected.index)
            assert all(row[c] == expected[c] or (row[c] != row[c] and expected[c] != expected[c])
                       for c in row)
            assert agent.gdp_per_capita_yuan == row["gdp_per_capita_yuan"]
            assert agent.roc_out_migration == row["roc_out_migration"]


def test_stocks_are_settable_checked_and_change_the_next_year():
    model = CountyModel(scenario(end_year=2021), deterministic=True)
    untouched = finished(scenario(end_year=2021), deterministic=True).county_year()
    county = next(a for a in model.agents if a.name_en == "Nanbu County")
    county.capital_bn_yuan = 2 * county.capital_bn_yuan
    county.urban_population += 10_000.0
    assert county.population == county.urban_population + county.rural_population
    for bad in (-1.0, float("nan"), "a lot", True):
        with pytest.raises(sim.InputError, match="capital_bn_yuan of Nanbu County must be"):
            county.capital_bn_yuan = bad
    with pytest.raises(AttributeError, match="gdp_bn_yuan is an output of the model"):
        county.gdp_bn_yuan = 1.0
    model.run_model()
    after = model.county_year().set_index(["year", "code"])
    before = untouched.set_index(["year", "code"])
    key = (2021, county.code)
    assert after.loc[key, "gdp_bn_yuan"] > before.loc[key, "gdp_bn_yuan"]
    # Recorded rows are history: the start year is as it was simulated.
    pd.testing.assert_series_equal(after.loc[2020, "capital_bn_yuan"],
                                   before.loc[2020, "capital_bn_yuan"])


class PilotIndustry(CountyAgent):
    """The ``pilot_industry`` lever of scenarios/modern_industry.toml, decided by counties."""

    def step(self):
        year = self.policy.year
        if self.is_pilot and 2021 <= year <= 2025:
            weight = min(1.0, (year - 2021 + 1) / 3)
            self.policy.tfp_boost += weight * 0.005
            self.policy.sector_shift += weight * 0.02


class PilotModel(CountyModel):
    agent_class = PilotIndustry


def test_a_county_step_that_does_what_a_lever_does_gives_the_levers_results():
    lever = sim.load_scenario(SCENARIOS / "modern_industry.toml")
    by_lever = finished(lever, seed=9).county_year()
    by_agents = finished_model(PilotModel, scenario("baseline", 2025), seed=9).county_year()
    numeric = [c for c in by_lever.select_dtypes("number").columns if c not in ID_COLUMNS]
    pd.testing.assert_frame_equal(by_agents[numeric], by_lever[numeric])
    plain = finished(scenario("baseline", 2025), seed=9).county_year()
    assert not by_agents["tfp"].equals(plain["tfp"])


def finished_model(cls, *args, **kwargs):
    model = cls(*args, **kwargs)
    model.run_model()
    return model


def test_the_step_hook_is_called_per_county_and_year_only_when_overridden():
    calls = []

    class Counting(CountyAgent):
        def step(self):
            calls.append((self.policy.year, self.code))

    class CountingModel(CountyModel):
        agent_class = Counting

    counted = finished_model(CountingModel, scenario(end_year=2022), seed=3)
    n = counted.region.n
    assert len(calls) == 2 * n and {y for y, _ in calls} == {2021, 2022}
    assert [c for y, c in calls if y == 2021] == [a.code for a in counted.agents]
    # A step that changes nothing leaves the results as they are without one.
    pd.testing.assert_frame_equal(counted.county_year(),
                                  finished(scenario(end_year=2022), seed=3).county_year())


def test_policy_exists_only_during_the_step_and_names_its_fields():
    kept = []

    class Keeper(CountyAgent):
        def step(self):
            kept.append(self.policy)
            with pytest.raises(AttributeError, match="did you mean 'tfp_boost'"):
                self.policy.tfp_bost = 0.1
            with pytest.raises(sim.InputError, match=r"policy\.hukou_bonus must be a finite"):
                self.policy.hukou_bonus = float("inf")

    class KeeperModel(CountyModel):
        agent_class = Keeper

    model = KeeperModel(scenario(end_year=2021))
    with pytest.raises(RuntimeError, match="only in its step"):
        _ = model.agents[0].policy
    model.step()
    assert kept[0].as_dict()["spillover_multiplier"] == 1.0
    with pytest.raises(RuntimeError, match="the policy of 2021 was used"):
        kept[0].tfp_boost = 0.1


# -- the year's graph --------------------------------------------------------------------


@pytest.mark.parametrize(("name", "year"), [("baseline", 2021), ("rail_acceleration", 2030)])
def test_the_graph_gives_the_models_travel_times(name, year):
    model = CountyModel(scenario(name, year), deterministic=True)
    while model.year < year:
        model.step()
    g = model.graph
    assert g.graph["year"] == year and nx.is_frozen(g)
    for _, _, data in g.edges(data=True):
        assert {"mode", "speed_kmh", "time_h", "open_year", "confidence"} <= set(data)
        assert data["open_year"] <= year
    nodes = [int(c) for c in model.system.codes] + ["ROC"]  # the network covers both provinces
    tt = model.network.travel_time
    for i, source in enumerate(nodes):
        lengths = nx.single_source_dijkstra_path_length(g, source, weight="time_h")
        hours = np.array([lengths[target] for target in nodes])
        off = np.arange(len(nodes)) != i
        np.testing.assert_allclose(hours[off], tt[i, off], rtol=1e-12)
    assert model.graph is g


def test_the_graph_follows_the_year():
    model = CountyModel(scenario("rail_acceleration", 2030), deterministic=True)
    first = model.graph
    model.run_model()
    assert model.graph.graph["year"] == 2030 and model.graph is not first
    assert model.graph.number_of_edges() > first.number_of_edges()


def test_a_step_from_another_base_class_is_not_a_county_decision(monkeypatch):
    mg = pytest.importorskip("mesa_geo", reason="the geo extra")
    from sim.model.geospace import GeoCountyModel

    calls = []
    monkeypatch.setattr(mg.GeoAgent, "step", lambda self: calls.append(self))
    GeoCountyModel(scenario(end_year=2021), deterministic=True).run_model()
    assert calls == []  # GeoAgent.step comes first in the MRO, but is not an override
