"""The tables a run writes are exactly those sim.model.schema defines."""

from __future__ import annotations

import pandas as pd
import pytest

import sim
from sim.model.schema import RUN_TABLES, TABLES

KIND = {"str": "OSU", "int64": "i", "float64": "f", "bool": "b", "timestamp": "M"}


def kind(series: pd.Series) -> str:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "O"
    return getattr(dtype, "kind", "O")


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    scenario = sim.load_scenario("scenarios/land_quota_trading.toml").with_changes(end_year=2022)
    results = sim.run(scenario, seed=2, record_flows=True, record_ages=True)
    return results.save(tmp_path_factory.mktemp("schema") / "run")


@pytest.mark.parametrize("table", sorted(RUN_TABLES))
def test_each_run_table_has_the_schema_columns_in_order_and_type(run_folder, table):
    df = pd.read_parquet(run_folder / f"{table}.parquet")
    assert len(df) > 0
    assert list(df.columns) == list(TABLES[table].names)
    for column in TABLES[table].columns:
        assert kind(df[column.name]) in KIND[column.dtype], (table, column.name)


def test_a_batch_runs_table_follows_the_schema(tmp_path):
    base = sim.Scenario(name="base", end_year=2021)
    batch = sim.run_batch(sim.BatchSpec(scenarios=(base,), replicates=2, name="b",
                                        sweep={"migration_rate": [0.03, 0.04]}),
                          tmp_path / "b", executor="serial", progress=False)
    runs = pd.read_parquet(batch.path / "runs.parquet")
    assert list(runs.columns) == [*TABLES["runs"].names, "migration_rate"]
    part = batch.read("region_year")
    assert list(part.columns) == [*TABLES["region_year"].names, "migration_rate"]


def test_every_float_column_has_a_label_and_unit_for_figures():
    for table in RUN_TABLES.values():
        for c in table.columns:
            if c.dtype == "float64" and c.name != "weight":
                assert c.label and c.doc, (table.name, c.name)
