"""Mesa's DataCollector for a county model, filled from the model's own tables.

Mesa's tools read a model's ``datacollector``: ``mesa.batch_run`` its records,
SolaraViz's plots ``get_model_vars_dataframe()``. :class:`CountyDataCollector` is a
``mesa.DataCollector`` whose model reporters are the numeric columns of ``region_year``
(:data:`MODEL_COLUMNS`) and whose agent reporters are the columns of a county's row of
``county_year`` (:data:`AGENT_COLUMNS`), both taken from :mod:`sim.model.schema`, so a
column added there is collected too. ``mesa.batch_run`` merges a step's model values and
an agent's values into one row, so a region column that county rows have too
(``population``, ``gdp_bn_yuan``, …) is reported as ``region_<name>``; ``year``, the same
in both, keeps its name.

The recorder stays the source of truth. :meth:`~CountyDataCollector.collect` only notes
which recorded year belongs to the model's time; the values are copied out of the model's
tables (``model.table_columns``) the first time they are read, and then only for the steps
not read before. They are therefore the tables' own values, and a run that never reads
them — every batch, every ``sim.run`` — pays a list append per year
(``benchmarks/bench_run.py`` measures it).

For reporters of your own, collected eagerly the usual Mesa way, give the model a plain
``mesa.DataCollector``; :func:`model_reporters` and :func:`agent_reporters` are this
collector's reporters in that form (the model calls ``datacollector.collect(model)`` after
each recorded year).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import mesa

from sim.model.rows import ROW_COLUMNS, python_value, row_value
from sim.model.schema import ID_COLUMNS, REGION_YEAR

if TYPE_CHECKING:
    from sim.model.shell import CountyModel

#: Agent reporters: every column of a county's ``county_year`` row.
AGENT_COLUMNS = ROW_COLUMNS
#: Model reporter → its ``region_year`` column: every numeric column (the run's ids
#: aside), prefixed ``region_`` where a county row has a column of that name.
MODEL_COLUMNS = {
    (f"region_{c.name}" if c.name in AGENT_COLUMNS and c.name not in REGION_YEAR.keys
     else c.name): c.name
    for c in REGION_YEAR.columns
    if c.name not in ID_COLUMNS and c.dtype in ("float64", "int64", "bool")}


def region_value(model: CountyModel, name: str) -> Any:
    """The value of a ``region_year`` column in the model's last recorded year.

    Also a Mesa model reporter: ``functools.partial(region_value, name="theil")``.
    """
    return python_value(model.recorded_columns("region_year")[name][model.recorder.row - 1])


_MODEL_REPORTERS = {name: partial(region_value, name=column)
                    for name, column in MODEL_COLUMNS.items()}
_AGENT_REPORTERS = {name: partial(row_value, name=name) for name in AGENT_COLUMNS}


def model_reporters() -> dict[str, partial]:
    """This collector's model reporters as functions of the model (for a plain DataCollector)."""
    return dict(_MODEL_REPORTERS)


def agent_reporters() -> dict[str, partial]:
    """This collector's agent reporters as functions of an agent (for a plain DataCollector)."""
    return dict(_AGENT_REPORTERS)


class CountyDataCollector(mesa.DataCollector):
    """A ``mesa.DataCollector`` over a county model's recorded years (see the module).

    ``model_vars``, ``_agent_records`` and the DataFrame methods hold one entry per
    :meth:`collect`, as Mesa's own collector does: the model collects its start year at
    construction (time 0) and each year after recording it (time = steps).

    Args:
        model: the model whose tables it reads.
    """

    def __init__(self, model: CountyModel) -> None:
        self._model = model
        #: (model time, recorder row) of each collect, in order.
        self._collected: list[tuple[float, int]] = []
        self._filled = {"model": 0, "agents": 0}
        self._values: dict[str, Any] = {"model_vars": {}, "agent_records": {}}
        super().__init__(model_reporters=model_reporters(), agent_reporters=agent_reporters())

    def collect(self, model: CountyModel) -> None:
        """Note the model's last recorded year under its current time (values come later)."""
        if model is not self._model:
            raise ValueError("this DataCollector collects the model it was made for")
        self._collected.append((model.time, model.recorder.row - 1))
        self._collection_steps.append(model.time)

    @property
    def model_vars(self) -> dict[str, list]:
        """Reporter → one value per collect (Mesa's attribute), filled when read."""
        store = self._values["model_vars"]
        new = self._collected[self._filled["model"]:]
        if new:
            columns = self._model.recorded_columns("region_year")
            for name in self.model_reporters:
                values = columns[MODEL_COLUMNS[name]]
                store.setdefault(name, []).extend(python_value(values[row]) for _, row in new)
            self._filled["model"] = len(self._collected)
        return store

    @model_vars.setter
    def model_vars(self, value: dict[str, list]) -> None:
        self._values["model_vars"] = value

    @property
    def _agent_records(self) -> dict[float, list[tuple]]:
        """Time → ``(time, agent id, *values)`` per agent (Mesa's layout), filled when read."""
        store = self._values["agent_records"]
        new = self._collected[self._filled["agents"]:]
        if new:
            model = self._model
            columns = model.recorded_columns("county_year")
            n = model.region.n
            agents = [(a.unique_id, model.region_row(a.index)) for a in model.agents]
            for time, row in new:
                values = [columns[name][row * n:(row + 1) * n].tolist()
                          for name in self.agent_reporters]
                store[time] = [(time, uid, *(v[i] for v in values)) for uid, i in agents]
            self._filled["agents"] = len(self._collected)
        return store

    @_agent_records.setter
    def _agent_records(self, value: dict[float, list[tuple]]) -> None:
        self._values["agent_records"] = value
