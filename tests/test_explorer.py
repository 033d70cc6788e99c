"""The explorer's session, figures and command (issue 8); the user interface is in
test_explorer_ui.py."""

from __future__ import annotations

import socket

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS

import sim
from sim.apps.cli import main
from sim.apps.explorer.forms import (
    lever_dict,
    lever_fields,
    lever_form,
    lever_from_form,
    parse_targets,
    targets_text,
)
from sim.apps.explorer.session import Session
from sim.base.errors import InputError
from sim.model.levers import LEVER_TYPES

TABLES = ("county_year", "region_year", "levers_year")


def open_session(name: str = "pilot_programme", **kw) -> Session:
    return Session(name, scenarios_dir=SCENARIOS, **kw)


def assert_same_results(a: sim.Results, b: sim.Results) -> None:
    """Every value the same (labels compared as text: a results folder read back keeps the
    labels but not the order of their categories)."""
    for table in TABLES:
        pd.testing.assert_frame_equal(_labels_as_text(getattr(a, table)),
                                      _labels_as_text(getattr(b, table)), check_exact=True)


def _labels_as_text(df: pd.DataFrame) -> pd.DataFrame:
    return df.astype({c: str for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)})


# -- set-up -----------------------------------------------------------------------------


def test_picker_offers_every_scenario_file_baseline_first():
    files = open_session().scenario_files()
    assert files[0] == "baseline.toml"
    assert sorted(files) == sorted(p.name for p in SCENARIOS.glob("*.toml"))


def test_unknown_scenario_is_one_line_naming_the_choices():
    with pytest.raises(InputError) as caught:
        open_session("pilot_programm")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("unknown scenario 'pilot_programm'; allowed: baseline, "
                              "border_integration, ")
    assert "pilot_programme, " in message


def test_folder_without_scenarios_is_one_line(tmp_path):
    with pytest.raises(InputError) as caught:
        Session(scenarios_dir=tmp_path / "none")
    assert str(caught.value) == (f"{tmp_path / 'none'}: no scenario files (*.toml) here; set "
                                 "COUNTYSIM_SCENARIOS or pass --scenarios to name the folder")


def test_scenario_by_path_and_name_without_suffix(tmp_path):
    s = open_session("land_quota_trading")
    assert s.base == "land_quota_trading.toml"
    assert s.scenario == sim.load_scenario(SCENARIOS / "land_quota_trading.toml")
    path = s.save(tmp_path / "copy.toml")
    other = open_session(str(path))
    assert other.scenario.digest() == s.scenario.digest()


def test_lever_fields_have_the_units_ranges_and_kinds_of_the_lever_classes():
    fields = {f.name: f for f in lever_fields("modern_industry")}
    assert fields["tfp_boost"].label == "tfp_boost (1/year, 0–0.05)"
    assert fields["tfp_boost"].doc.startswith("extra TFP growth")
    kinds = {f.name: f.kind for t in LEVER_TYPES for f in lever_fields(t)}
    assert kinds["open_lines"] == "lines" and kinds["links"] == "other"
    assert kinds["freeze_after"] == "year" and kinds["cross_border"] == "flag"
    assert kinds["sellers"] == kinds["donors"] == "targets"
    assert {f.default for f in lever_fields("policy_support") if f.name == "donors"} == {
        '{ province = "Sichuan" }'}
    with pytest.raises(InputError, match="unknown lever type 'teleport'; allowed: connectivity"):
        lever_fields("teleport")


@pytest.mark.parametrize("lever_type", list(LEVER_TYPES))
def test_shown_ranges_are_the_ones_validation_enforces(lever_type):
    s = open_session("baseline")
    numbers = [f for f in lever_fields(lever_type) if f.kind == "number"]
    assert numbers, lever_type
    for f in numbers:
        entry = lever_dict(lever_type, targets="pilots", start_year=2021,
                           values={f.name: f.high})
        if lever_type == "connectivity":
            entry.setdefault("open_lines", [{"line": "Chengdu–Dazhou–Wanzhou high-speed "
                                                     "railway"}])
        if lever_type == "land_layout":  # the reclamation cost is at most the price
            entry.setdefault("price_yuan_per_mu", {g.name: g for g in numbers}[
                "price_yuan_per_mu"].high)
        s.add_lever({**entry, "id": "at_high"})
        s.remove_lever("at_high")
        above = f.high * 1.5 + 1
        with pytest.raises(InputError) as caught:
            s.add_lever({**entry, "id": "above", f.name: above})
        assert str(caught.value).startswith(
            f"lever 'above': {f.name}: Input should be less than or equal to "), caught.value
        assert str(caught.value).endswith(f"(got {above!r})")


@pytest.mark.parametrize("text, value", [
    ("pilots", "pilots"),
    ("邻水县, Kaijiang；510522", ["邻水县", "Kaijiang", 510522]),
    ('{ prefectures = ["Suining"], exclude = ["船山区"] }',
     {"prefectures": ["Suining"], "exclude": ["船山区"]}),
    ('{ province = "Sichuan", border = true, border_h = 1.0 }',
     {"province": "Sichuan", "border": True, "border_h": 1.0}),
    ("  ", None),
])
def test_targets_text_reads_the_scenario_file_forms(text, value):
    assert parse_targets(text) == value
    assert parse_targets(targets_text(value)) == value


def test_malformed_targets_table_is_one_line():
    with pytest.raises(InputError) as caught:
        parse_targets('{ prefectures = ["Suining" }')
    assert str(caught.value).startswith("targets: not a TOML table or list (")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("name", sorted(p.stem for p in SCENARIOS.glob("*.toml")))
def test_editor_round_trip_leaves_every_shipped_lever_unchanged(name):
    """Open each lever of each scenario in the editor and save it back unchanged."""
    s = open_session(name)
    digest = s.scenario.digest()
    for entry in s.levers:
        assert s.update_lever(entry["id"], lever_from_form(lever_form(entry), entry)) == (
            entry["id"])
    assert s.scenario.digest() == digest


# -- edits: all or nothing, one line -----------------------------------------------------

MODERN = {"type": "modern_industry", "targets": "pilots", "start_year": 2021}

BAD_EDITS = {
    "unknown_county": (
        lambda s: s.add_lever({**MODERN, "id": "x", "targets": ["Linshui Couty"]}),
        "lever 'x': targets: unknown county 'Linshui Couty'; did you mean 邻水县 Linshui "
        "County"),
    "intensity_above_range": (
        lambda s: s.add_lever({**MODERN, "id": "x", "tfp_boost": 0.2}),
        "lever 'x': tfp_boost: Input should be less than or equal to 0.05 (got 0.2)"),
    "intensity_below_range": (
        lambda s: s.add_lever({**MODERN, "type": "land_layout", "id": "x",
                               "quota_growth": -0.1}),
        "lever 'x': quota_growth: Input should be greater than or equal to 0 (got -0.1)"),
    "lever_outside_run": (
        lambda s: s.add_lever({**MODERN, "id": "x", "start_year": 2030}),
        "lever 'x': start_year: 2030 is outside the run (2020–2025)"),
    "years_reversed": (
        lambda s: s.set_years(2024, 2022), "end_year: 2022 must be after start_year 2024"),
    "years_cut_off_levers": (
        lambda s: s.set_years(end_year=2020),
        "end_year: 2020 must be after start_year 2020"),
    "levers_outside_new_years": (
        lambda s: s.set_years(start_year=2022),
        "lever 'youxian_innovation_leading': start_year: 2021 is outside the run (2022–2025)"),
    "negative_seed": (
        lambda s: s.set_seed(-1), "seed: Input should be greater than or equal to 0 (got -1)"),
    "bad_name": (lambda s: s.set_name("my reform"), "name: 'my reform' is not allowed; use "
                                                        "letters, digits"),
    "unknown_region": (lambda s: s.set_region("yunnan"), "region: Input should be 'ccec' or "
                                                         "'sichuan_chongqing'"),
    "unknown_lever_id": (lambda s: s.remove_lever("nope"), "no lever 'nope' in the set-up; "
                                                           "levers: youxian_innovation_leading"),
    "duplicate_id": (
        lambda s: s.add_lever({**MODERN, "id": "provincial_support"}),
        "lever 'provincial_support': id: duplicate lever id 'provincial_support'"),
    "unknown_type": (
        lambda s: s.add_lever(lever_dict("teleport", targets="pilots", start_year=2021)),
        "unknown lever type 'teleport'; allowed: connectivity, modern_industry"),
}


@pytest.mark.parametrize("case", list(BAD_EDITS))
def test_bad_edit_is_one_line_and_changes_nothing(case):
    edit, expected = BAD_EDITS[case]
    s = open_session(deterministic=True)
    s.step()
    digest = s.scenario.digest()
    with pytest.raises(InputError) as caught:
        edit(s)
    message = str(caught.value)
    assert message.startswith(expected), message
    assert "\n" not in message
    assert s.scenario.digest() == digest
    assert s.year == 2021, "a rejected edit must not discard the run"


def test_edits_change_the_setup_and_discard_the_run():
    s = open_session(deterministic=True)
    s.step()
    s.set_years(end_year=2023)
    assert s.model is None and s.year is None
    assert (s.scenario.start_year, s.scenario.end_year) == (2020, 2023)
    new = s.add_lever(lever_dict("innovation", targets="邻水县, 510522", start_year=2022,
                                 values={"rd_tfp_boost": 0.01}))
    assert new == "innovation"
    assert s.lever("innovation") == {"id": "innovation", "type": "innovation",
                                     "targets": {"counties": ["邻水县", 510522]},
                                     "start_year": 2022, "rd_tfp_boost": 0.01}
    s.update_lever("innovation", {**s.lever("innovation"), "rd_tfp_boost": 0.02})
    assert s.scenario.levers[-1].rd_tfp_boost == 0.02
    s.remove_lever("innovation")
    assert "innovation" not in [lever.id for lever in s.scenario.levers]
    base = open_session("baseline")
    base.add_lever(dict(MODERN))
    assert base.scenario.name == "explore", "a reform is not named baseline"


def test_an_edit_that_changes_nothing_keeps_the_run():
    s = open_session(deterministic=True)
    s.step()
    model = s.model
    s.set_seed(s.scenario.seed)
    s.set_years(end_year=s.scenario.end_year)
    s.update_lever("provincial_support", s.lever("provincial_support"))
    assert s.model is model and s.year == 2021
    assert s.scenario.source == str(SCENARIOS / "pilot_programme.toml")
    s.set_seed(s.scenario.seed + 1)
    assert s.model is None


# -- running ----------------------------------------------------------------------------


def test_steps_and_run_give_exactly_the_batch_results():
    s = open_session(deterministic=True)
    assert s.start() == 2020 and s.step() == 2021 and s.step() == 2022
    partial = s.results()
    assert sorted(partial.region_year["year"]) == [2020, 2021, 2022]
    s.run()
    assert s.finished and s.year == 2025
    assert s.step() == 2025, "stepping past the end does nothing"
    batch = sim.run(s.scenario, deterministic=True)
    assert_same_results(s.results(), batch)
    first = batch.county_year[batch.county_year["year"] <= 2022].reset_index(drop=True)
    pd.testing.assert_frame_equal(partial.county_year, first)
    assert s.reset() == 2020 and not s.finished


def test_reference_is_the_setup_without_levers_and_is_cached():
    s = open_session(deterministic=True)
    s.set_years(end_year=2023)
    reference = s.reference()
    assert reference is s.reference()
    assert reference.manifest["scenario"] == "baseline"
    assert reference.manifest["scenario_definition"]["levers"] == []
    assert reference.manifest["end_year"] == 2023
    snap = s.snapshot()
    assert sorted(snap.comparison.scenarios) == ["baseline", "pilot_programme"]
    s.set_deterministic(False)
    assert s.reference().manifest["deterministic"] is False
    assert s.reference().manifest["seed"] == s.scenario.seed
    plain = open_session("baseline", deterministic=True)
    assert plain.reference_name == "no_levers"
    assert_same_results_values(plain.reference(), plain.run())


def assert_same_results_values(a: sim.Results, b: sim.Results) -> None:
    keep = [c for c in a.county_year.columns if c not in ("run_id", "scenario")]
    pd.testing.assert_frame_equal(a.county_year[keep], b.county_year[keep])


# -- export -----------------------------------------------------------------------------


@pytest.mark.parametrize("deterministic", [False, True], ids=["stochastic", "deterministic"])
def test_export_passes_check_and_reproduces_the_interactive_run(tmp_path, capsys,
                                                                deterministic):
    s = open_session(seed=7, deterministic=deterministic)
    s.set_name("my_reform")
    s.set_years(end_year=2024)
    s.add_lever(lever_dict("land_layout", targets="船山区, 邻水县", start_year=2021,
                           values={"trade_km2_per_year": 2.0,
                                   "buyers": '{ province = "Chongqing" }'}))
    s.update_lever("provincial_support", {**s.lever("provincial_support"),
                                          "transfer_share": 0.03})
    s.remove_lever("unconfirmed_governance")
    s.step()
    s.run()
    interactive = s.results()

    path = s.save(tmp_path)
    assert path == tmp_path / "my_reform.toml"
    text = path.read_text(encoding="utf-8")
    assert s.run_command() in text and ("--deterministic" in text) == deterministic
    assert main(["check", str(path)]) == 0
    assert "ok  " in capsys.readouterr().out
    out = tmp_path / "rerun"
    assert main(["run", str(path), "--out", str(out), "--quiet",
                 *(["--deterministic"] if deterministic else [])]) == 0
    rerun = sim.load_results(out)
    assert_same_results(rerun, interactive)
    assert rerun.manifest["seed"] == 7
    assert rerun.manifest["scenario_digest"] == interactive.manifest["scenario_digest"]
    if not deterministic:
        other = sim.run(sim.load_scenario(path), seed=8)
        assert not other.county_year["population"].equals(interactive.county_year["population"])


def test_save_refuses_overwriting_and_bad_paths(tmp_path):
    s = open_session("baseline")
    first = s.save(tmp_path / "a.toml")
    cases = {
        str(first): f"export: {first} exists; allow overwriting to replace it",
        str(tmp_path / "a.txt"): f"export: {tmp_path / 'a.txt'} is not a .toml file",
        str(tmp_path / "no" / "a.toml"): f"export: folder {tmp_path / 'no'} does not exist",
        "": "export: give a file path ending in .toml",
    }
    for path, message in cases.items():
        with pytest.raises(InputError) as caught:
            s.save(path)
        assert str(caught.value) == message
    s.set_seed(3)
    assert s.save(first, overwrite=True) == first
    assert sim.load_scenario(first).seed == 3


# -- figures ----------------------------------------------------------------------------


def test_map_shows_the_chosen_year_of_the_run_and_differences():
    pytest.importorskip("matplotlib")
    from sim.apps.explorer import views

    s = open_session(deterministic=True)
    s.run()
    snap = s.snapshot()
    cy = snap.results.county_year
    for year in (2022, 2025):
        fig = views.county_map_figure(snap, "population", year=year)
        counties = next(c for c in fig.axes[0].collections if c.get_gid() == "counties")
        expected = cy[cy["year"] == year].set_index("code")["population"].sort_index() * 1e-6
        np.testing.assert_allclose(np.ma.getdata(counties.get_array()), expected.to_numpy())
        assert str(year) in fig.axes[0].get_title()
    fig = views.county_map_figure(snap, "gdp_bn_yuan", difference=True)
    counties = next(c for c in fig.axes[0].collections if c.get_gid() == "counties")
    ref = snap.reference.county_year
    last = (cy[cy["year"] == 2025].set_index("code")["gdp_bn_yuan"]
            - ref[ref["year"] == 2025].set_index("code")["gdp_bn_yuan"]).sort_index()
    np.testing.assert_allclose(np.ma.getdata(counties.get_array()), last.to_numpy())
    assert views.png(fig)[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(InputError, match="unknown map variable 'theil'; allowed: population"):
        views.county_map_figure(snap, "theil")


def test_indicators_show_run_and_reference_and_network_png():
    from sim.apps.explorer import views

    s = open_session(deterministic=True)
    s.step()
    snap = s.snapshot()
    fig = views.indicators_figure(snap, ["gdp_bn_yuan", "theil"])
    lines = {line.get_gid(): line for line in fig.axes[0].lines if line.get_gid()}
    assert set(lines) == {"scenario:pilot_programme", "scenario:baseline"}
    assert list(lines["scenario:pilot_programme"].get_xdata()) == [2020, 2021]
    assert list(lines["scenario:baseline"].get_xdata()) == list(range(2020, 2026))
    with pytest.raises(InputError, match="choose at least one indicator"):
        views.indicators_figure(snap, [])
    with pytest.raises(InputError, match="unknown indicator 'population_x'"):
        views.indicators_figure(snap, ["population_x"])
    image = views.network_png(snap.scenario, 2021)
    assert image[:8] == b"\x89PNG\r\n\x1a\n" and image is views.network_png(snap.scenario, 2021)


# -- command line -----------------------------------------------------------------------


def one_line_error(capsys, code: int, *fragments: str) -> None:
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in err, err


def test_explore_command_unknown_scenario(capsys):
    one_line_error(capsys, main(["explore", "nope", "--scenarios", str(SCENARIOS)]),
                   "countysim: error: unknown scenario 'nope'; allowed: baseline")


def test_explore_command_port_in_use(capsys):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["explore", "--host", "127.0.0.1", "--port", str(port)])
    one_line_error(capsys, code, f"cannot listen on 127.0.0.1:{port}", "--port")


def test_explore_without_solara_says_how_to_install(capsys, monkeypatch):
    import importlib.util

    from sim.apps import explorer

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(explorer.importlib.util, "find_spec",
                        lambda name, *a: None if name == "solara" else find_spec(name, *a))
    one_line_error(capsys, main(["explore"]), "needs Solara",
                   "pip install 'countysim[explore]'")
    with pytest.raises(InputError, match="needs Solara"):
        sim.explore()
