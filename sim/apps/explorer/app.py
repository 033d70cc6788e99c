"""The explorer's user interface: Solara components over a :class:`~sim.apps.explorer.Session`.

:func:`Explorer` is the whole app (``sim.explore()`` shows it in a notebook);
:func:`Page` is what ``solara run sim.apps.explorer.app`` (``countysim explore``)
serves. The components only read and edit the session: validation, runs and
figures live in :mod:`sim.apps.explorer.session` and :mod:`sim.apps.explorer.views`.
Runs and figures are made in worker threads (``solara.lab.use_task``), so the
interface stays responsive; bad input shows as the one-line
:class:`~sim.base.errors.InputError` message.

Elements tests look for carry ``.meta(ref=...)`` (``run``, ``step``, ``reset``,
``status``, ``scenario``, ``lever_targets``, ``field:<name>``, ``add_lever``,
``edit:<id>``, ``save`` …); messages are alerts of type ``error`` or
``success``. Components take the session's ``revision`` so that they render
again after every edit of the (mutable) session.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable
from typing import Any

import solara
import solara.lab

from sim.apps.explorer import views
from sim.apps.explorer.forms import (
    COMMON_FIELDS,
    LeverField,
    blank_lever_form,
    lever_fields,
    lever_form,
    lever_from_form,
    targets_text,
)
from sim.apps.explorer.session import REGIONS, Session
from sim.base.errors import InputError
from sim.model.levers import LEVER_TYPES
from sim.model.network import line_names
from sim.model.scenario import SCENARIOS_ENV

#: Environment variable with the scenario ``countysim explore`` starts from.
START_ENV = "COUNTYSIM_EXPLORE_SCENARIO"

logger = logging.getLogger(__name__)

Act = Callable[[Callable[..., Any]], Callable[..., None]]
#: Style of the help line under an input.
HINT = {"font-size": "0.8em", "color": "#666", "margin-top": "-6px"}


def open_session(scenario: str = "baseline.toml", scenarios_dir: str | None = None,
                 seed: int | None = None, deterministic: bool = False
                 ) -> tuple[Session, str]:
    """A session of ``scenario``; if that fails, of the baseline, with the error message.

    The baseline session keeps ``deterministic`` and, if it is valid, ``seed``.
    """
    try:
        return Session(scenario, scenarios_dir=scenarios_dir, seed=seed,
                       deterministic=deterministic), ""
    except InputError as err:
        try:
            session = Session("baseline.toml", scenarios_dir=scenarios_dir,
                              deterministic=deterministic)
        except InputError:
            raise err from None
        if seed is not None:
            with contextlib.suppress(InputError):  # a bad seed is what ``err`` says
                session.set_seed(seed)
        return session, str(err)


@solara.component
def Explorer(scenario: str = "baseline.toml", scenarios_dir: str | None = None,
             seed: int | None = None, deterministic: bool = False,
             session: Session | None = None) -> None:
    """The explorer: set-up, levers, Run/Step/Reset, maps, indicators and export.

    Args:
        scenario: scenario file to start from (a name in ``scenarios_dir`` or a path).
        scenarios_dir: folder of scenario files the picker offers.
        seed: root seed (default: the scenario's).
        deterministic: expected flows instead of random draws.
        session: an existing session to show (the other arguments are then ignored).
    """
    given = session
    session, first_error = solara.use_memo(
        lambda: (given, "") if given is not None else open_session(
            scenario, scenarios_dir, seed, deterministic), [])
    revision = solara.use_reactive(0)
    error = solara.use_reactive(first_error)
    notice = solara.use_reactive("")
    took = solara.use_reactive("")
    map_variable = solara.use_reactive(views.DEFAULT_MAP_VARIABLE)
    map_difference = solara.use_reactive(False)
    map_year = solara.use_reactive(None)
    indicators = solara.use_reactive(list(views.DEFAULT_INDICATORS))
    indicator_difference = solara.use_reactive(False)

    def act(fn: Callable[..., Any]) -> Callable[..., None]:
        """Wrap an edit: show its error in one line, then redraw."""
        def handler(*args: Any) -> None:
            error.value = attempt(fn, *args)
            notice.value = ""
            map_year.value = None
            revision.value += 1
        return handler

    def simulate(action: str) -> None:
        started = time.perf_counter()
        error.value = attempt({"run": session.run, "step": session.step,
                               "reset": session.reset}[action])
        took.value = f"{action} took {time.perf_counter() - started:.2f} s"
        map_year.value = None
        revision.value += 1

    sim_task = solara.lab.use_task(simulate, dependencies=None)

    def draw() -> dict[str, Any]:
        out: dict[str, Any] = {}

        def figures() -> None:
            snap = session.snapshot()
            out["year"] = snap.year
            out["network"] = views.network_png(snap.scenario, snap.year)
            out["map"] = views.county_map_png(snap, map_variable.value, year=map_year.value,
                                              difference=map_difference.value)
            out["indicators"] = views.indicators_png(
                snap, indicators.value, difference=indicator_difference.value)

        out["error"] = attempt(figures)
        return out

    draw_task = solara.lab.use_task(draw, dependencies=[
        revision.value, map_variable.value, map_difference.value, map_year.value,
        tuple(indicators.value), indicator_difference.value])
    busy = sim_task.pending
    # Read here, so that this component (and its status line) renders again after drawing.
    drawn = draw_task.latest or {}

    solara.Title("countysim explorer")
    with solara.Column(style={"padding": "8px", "max-width": "1600px"}):
        with solara.Row(style={"align-items": "baseline"}):
            solara.Text("countysim explorer", style={"font-size": "1.5em", "font-weight": "500"})
            solara.Text("Chengdu–Chongqing county model: pick levers, run, compare with the "
                        "same set-up without levers.", style={"color": "#555"})
        with solara.Column(gap="4px"):  # always present, so the parts below keep their state
            if error.value:
                solara.Error(error.value, icon="mdi-alert-circle-outline", dense=True)
            if notice.value:
                solara.Success(notice.value, dense=True)
        with solara.Columns([1, 3], wrap=True):
            with solara.Column():
                Controls(sim_task, status_line(session, took.value))
                Setup(session, act, busy, revision.value)
                Export(session, notice, error, revision.value)
            with solara.Column():
                Figures(session, drawn, draw_task.pending, map_variable, map_difference,
                        map_year, indicators, indicator_difference)
        Levers(session, act, busy, revision.value)


def attempt(fn: Callable[..., Any], *args: Any) -> str:
    """Call ``fn``; return "" or its error as one line (bad input, or a logged bug)."""
    try:
        fn(*args)
    except InputError as err:
        return str(err)
    except Exception as err:  # a bug: one line here, the traceback in the log
        logger.exception("explorer action failed")
        return f"internal error ({type(err).__name__}: {err}); see the log"
    return ""


@solara.component
def Controls(sim_task: Any, status: str) -> None:
    """Run / Step / Reset and the status line."""
    busy = sim_task.pending
    with solara.Card("Run", margin=0):
        with solara.Row():
            solara.Button("Run", icon_name="mdi-play", color="primary", disabled=busy,
                          on_click=lambda: sim_task("run")).meta(ref="run")
            solara.Button("Step", icon_name="mdi-step-forward", disabled=busy,
                          on_click=lambda: sim_task("step")).meta(ref="step")
            solara.Button("Reset", icon_name="mdi-restore", disabled=busy,
                          on_click=lambda: sim_task("reset")).meta(ref="reset")
        solara.ProgressLinear(busy)
        solara.Text(status).meta(ref="status")


def status_line(session: Session, took: str = "") -> str:
    """One line: scenario, years, the model's year, seed or mode, and the last timing."""
    s = session.scenario
    mode = "deterministic" if session.deterministic else f"seed {s.seed}"
    year = session.year
    where = ("not run yet" if year is None else
             f"year {year}" + (" (end)" if session.finished else ""))
    parts = [f"{s.name}: {s.region}, {s.start_year}–{s.end_year}", where, mode,
             f"{len(s.levers)} lever(s)"]
    return " · ".join(parts + ([took] if took else []))


@solara.component
def Setup(session: Session, act: Act, busy: bool, revision: int) -> None:
    """Scenario file, name, region, years, seed and mode."""
    s = session.scenario
    files = session.scenario_files()
    with solara.Card("Set-up", margin=0):
        solara.Select("Scenario file", values=files,
                      value=session.base if session.base in files else None,
                      on_value=act(session.load), disabled=busy).meta(ref="scenario")
        solara.InputText("Name", value=s.name, on_value=act(session.set_name),
                         disabled=busy).meta(ref="name")
        solara.Select("Region", values=list(REGIONS), value=s.region,
                      on_value=act(session.set_region), disabled=busy).meta(ref="region")
        with solara.Row():
            solara.InputInt("Start year", value=s.start_year, disabled=busy,
                            on_value=act(lambda y: session.set_years(start_year=y))
                            ).meta(ref="start_year")
            solara.InputInt("End year", value=s.end_year, disabled=busy,
                            on_value=act(lambda y: session.set_years(end_year=y))
                            ).meta(ref="end_year")
        with solara.Row():
            solara.InputInt("Seed", value=s.seed, on_value=act(session.set_seed),
                            disabled=busy or session.deterministic).meta(ref="seed")
            solara.Checkbox(label="Deterministic", value=session.deterministic,
                            on_value=act(session.set_deterministic),
                            disabled=busy).meta(ref="deterministic")


@solara.component
def Export(session: Session, notice: Any, error: Any, revision: int) -> None:
    """Download the set-up as a scenario file, or write it to a path."""
    path = solara.use_reactive("")
    overwrite = solara.use_reactive(False)

    def save() -> None:
        written = []
        error.value = attempt(lambda: written.append(session.save(
            path.value or session.file_name(), overwrite=overwrite.value)))
        notice.value = (f"Wrote {written[0]}. Check it with `countysim check {written[0]}`; "
                        f"reproduce the run with `{session.run_command(written[0])}`."
                        if written else "")

    with solara.Card("Export scenario", margin=0):
        solara.FileDownload(session.to_toml, filename=session.file_name(),
                            label=f"Download {session.file_name()}").meta(ref="download")
        solara.InputText(f"Save to: .toml file or folder (empty: {session.file_name()})",
                         value=path).meta(ref="export_path")
        with solara.Row():
            solara.Checkbox(label="overwrite", value=overwrite).meta(ref="overwrite")
            solara.Button("Save", icon_name="mdi-content-save", on_click=save,
                          outlined=True).meta(ref="save")
        solara.Text(f"Reproduce: {session.run_command()}", style={"font-size": "0.85em"})
        with solara.Details("Scenario TOML"):
            solara.Preformatted(session.to_toml())


@solara.component
def Figures(session: Session, drawn: dict[str, Any], drawing: bool, map_variable: Any,
            map_difference: Any, map_year: Any, indicators: Any,
            indicator_difference: Any) -> None:
    """County map, network map and indicator time series, drawn in a worker thread."""
    s = session.scenario
    year = drawn.get("year", s.start_year)
    with solara.Card("Maps", margin=0):
        with solara.Row(style={"align-items": "center"}):
            solara.Select("County variable", values=list(views.COUNTY_VARIABLES),
                          value=map_variable).meta(ref="map_variable")
            solara.Checkbox(label="difference from baseline",
                            value=map_difference).meta(ref="map_difference")
            if year > s.start_year:
                solara.SliderInt("Map year", value=map_year.value or year, min=s.start_year,
                                 max=year, on_value=map_year.set,
                                 tick_labels="end_points").meta(ref="map_year")
        solara.ProgressLinear(drawing)
        if drawn.get("error"):
            solara.Warning(drawn["error"])
        with solara.Columns([1, 1]):
            if "map" in drawn:
                solara.Image(drawn["map"], width="100%", classes=["countysim-map"])
            if "network" in drawn:
                solara.Image(drawn["network"], width="100%", classes=["countysim-network"])
    with solara.Card("Indicators", margin=0):
        with solara.Row(style={"align-items": "center"}):
            solara.SelectMultiple("Indicators", values=indicators,
                                  all_values=list(views.REGION_VARIABLES)
                                  ).meta(ref="indicators")
            solara.Checkbox(label="difference from baseline",
                            value=indicator_difference).meta(ref="indicator_difference")
        if "indicators" in drawn:
            solara.Image(drawn["indicators"], width="100%", classes=["countysim-indicators"])


@solara.component
def Levers(session: Session, act: Act, busy: bool, revision: int) -> None:
    """The set-up's levers (edit, remove) and the lever editor."""
    editing = solara.use_reactive(None)
    form = solara.use_reactive(blank_lever_form("modern_industry", session.scenario))

    def pick(lever_id: str) -> None:
        editing.value = lever_id
        form.value = lever_form(session.lever(lever_id))

    def new_lever() -> None:
        editing.value = None
        form.value = blank_lever_form(form.value["type"], session.scenario)

    def submit(replace: bool) -> None:
        entry = lever_from_form(form.value,
                                previous=session.lever(editing.value) if replace else None)
        if replace:
            new_id = session.update_lever(editing.value, entry)
        else:
            new_id = session.add_lever(entry)
        editing.value = new_id
        form.value = lever_form(session.lever(new_id))

    def remove(lever_id: str) -> None:
        session.remove_lever(lever_id)
        if editing.value == lever_id:
            editing.value = None

    with solara.Card(f"Levers ({len(session.scenario.levers)})", margin=0):
        with solara.Columns([3, 2], wrap=True):
            with solara.Column(style={"max-height": "640px", "overflow-y": "auto"}):
                if not session.scenario.levers:
                    solara.Text("No levers: this set-up is the baseline. Add one with the "
                                "editor.")
                for entry in session.levers:
                    LeverRow(entry, act(pick), act(remove), busy,
                             selected=entry["id"] == editing.value)
            with solara.Column():
                LeverEditor(session, form, editing.value, busy,
                            add=act(lambda: submit(False)),
                            update=act(lambda: submit(True)), clear=new_lever)


@solara.component
def LeverRow(entry: dict[str, Any], pick: Callable[[str], None],
             remove: Callable[[str], None], busy: bool, selected: bool) -> None:
    """One lever: id, type, targets, years, its own fields; Edit and Remove."""
    years = f"{entry['start_year']}–{entry.get('end_year', '')}"
    own = ", ".join(f"{k} = {v}" for k, v in entry.items()
                    if k not in COMMON_FIELDS and not isinstance(v, dict | list))
    style = {"background": "#E8F0FE"} if selected else {}
    with solara.Row(style={"align-items": "center", "border-bottom": "1px solid #eee",
                           **style}):
        with solara.Column(gap="0px", style={"flex": "1"}):
            solara.Text(f"{entry['id']} · {entry['type']} · {years}",
                        style={"font-weight": "500"})
            solara.Text(f"targets: {targets_text(entry.get('targets')) or '(served counties)'}"
                        + (f" · {own}" if own else ""), style={"font-size": "0.85em"})
        solara.Button("Edit", text=True, disabled=busy,
                      on_click=lambda: pick(entry["id"])).meta(ref=f"edit:{entry['id']}")
        solara.Button("Remove", text=True, color="error", disabled=busy,
                      on_click=lambda: remove(entry["id"])).meta(ref=f"remove:{entry['id']}")


@solara.component
def LeverEditor(session: Session, form: Any, editing: str | None, busy: bool,
                add: Callable[[], None], update: Callable[[], None],
                clear: Callable[[], None]) -> None:
    """Type, id, targets, years and the lever type's own fields with their ranges."""
    f = form.value

    def set_field(name: str) -> Callable[[Any], None]:
        return lambda value: form.set({**form.value, name: value})

    def set_value(name: str) -> Callable[[Any], None]:
        return lambda value: form.set({**form.value,
                                       "values": {**form.value["values"], name: value}})

    def set_type(lever_type: str) -> None:
        keep = {k: form.value[k] for k in ("targets", "start_year", "end_year")}
        form.set({**blank_lever_form(lever_type, session.scenario), **keep})

    title = f"Edit lever '{editing}'" if editing else "New lever"
    with solara.Column(gap="4px"):
        solara.Text(title, style={"font-weight": "500"})
        solara.Select("Type", values=list(LEVER_TYPES), value=f["type"], on_value=set_type,
                      disabled=busy).meta(ref="lever_type")
        solara.InputText("Id (empty: from the type)", value=f["id"],
                         on_value=set_field("id")).meta(ref="lever_id")
        solara.InputText("Targets", value=f["targets"], on_value=set_field("targets")
                         ).meta(ref="lever_targets")
        solara.Text("pilots, all, ccec or border; counties by name or code, separated by "
                    "commas; or a table such as { prefectures = [\"Suining\"], exclude = "
                    "[\"船山区\"] }", style=HINT)
        with solara.Row():
            solara.InputInt("Start year", value=f["start_year"],
                            on_value=set_field("start_year")).meta(ref="lever_start")
            solara.InputInt("End year (empty: to the end)", value=f["end_year"],
                            optional=True, on_value=set_field("end_year")
                            ).meta(ref="lever_end")
            solara.InputInt("Ramp years", value=f["ramp_years"],
                            on_value=set_field("ramp_years")).meta(ref="lever_ramp")
        for field in lever_fields(f["type"]):
            FieldInput(field, f["values"].get(field.name, _shown_default(field)),
                       set_value(field.name))
        with solara.Row():
            solara.Button("Add lever", icon_name="mdi-plus", color="primary", on_click=add,
                          disabled=busy).meta(ref="add_lever")
            if editing:
                solara.Button("Update lever", icon_name="mdi-check", on_click=update,
                              disabled=busy).meta(ref="update_lever")
            solara.Button("Clear", text=True, on_click=clear).meta(ref="clear_lever")


def _shown_default(field: LeverField) -> Any:
    return [] if field.kind == "lines" else field.default


@solara.component
def FieldInput(field: LeverField, value: Any, on_value: Callable[[Any], None]) -> None:
    """An input for one lever field, labelled with its unit and allowed range."""
    ref = f"field:{field.name}"
    if field.kind == "number":
        element = solara.InputFloat(field.label, value=value, on_value=on_value)
    elif field.kind == "year":
        element = solara.InputInt(field.label, value=value, optional=True, on_value=on_value)
    elif field.kind == "flag":
        element = solara.Checkbox(label=field.label, value=bool(value), on_value=on_value)
    elif field.kind == "targets":
        element = solara.InputText(f"{field.name} (counties, as for targets; empty: default)",
                                   value=value or "", on_value=on_value)
    elif field.kind == "lines":
        element = solara.SelectMultiple(f"{field.name} (open in the start year)",
                                        values=list(value or []), all_values=line_names(),
                                        on_value=on_value)
    else:
        solara.Text(f"{field.name}: kept as in the scenario file (edit the exported TOML "
                    "to change it)", style={"font-size": "0.85em", "color": "#666"})
        return
    element.meta(ref=ref)
    if field.doc:
        solara.Text(field.doc, style=HINT)


@solara.component
def Page() -> None:
    """The page ``countysim explore`` serves (scenario from ``$COUNTYSIM_EXPLORE_SCENARIO``)."""
    Explorer(scenario=os.environ.get(START_ENV, "baseline.toml"),
             scenarios_dir=os.environ.get(SCENARIOS_ENV) or None)
