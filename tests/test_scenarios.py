"""Scenario files: the library validates; every kind of bad input gets its exact message."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from conftest import SCENARIOS

import sim
from sim.base.errors import InputError

HEADER = 'extends = "baseline.toml"\nname = "x"\n'
GOV = '[[levers]]\nid = "a"\ntype = "governance"\ntargets = "pilots"\nstart_year = 2021\n'

CONNECTIVITY = '[[levers]]\nid = "a"\ntype = "connectivity"\nstart_year = 2021\n'
LINE = "Chengdu–Dazhou–Wanzhou high-speed railway"

LEVER_TYPES = ("connectivity, modern_industry, innovation, land_layout, ecology, "
               "public_services, urban_rural, governance, policy_support")

BAD = {
    "unknown_lever": (
        HEADER + GOV.replace("governance", "teleport"),
        f"levers[0].type: unknown lever type 'teleport'; allowed: {LEVER_TYPES}"),
    "missing_type": (
        HEADER + '[[levers]]\nid = "a"\ntargets = "pilots"\nstart_year = 2021\n',
        f"levers[0]: missing 'type'; allowed types: {LEVER_TYPES}"),
    "unknown_field": (
        HEADER + GOV + "governance_bost = 0.1\n",
        "levers[0].governance_bost: unknown field; allowed here: id, type, description, "
        "targets, start_year, end_year, ramp_years, governance_boost, investment_attraction"),
    "unknown_top_field": (
        HEADER + "seeed = 3\n",
        "seeed: unknown field; allowed here: schema_version, name, description, region, "
        "start_year, end_year, seed, replicates, parameters, levers"),
    "unknown_county": (
        HEADER + GOV.replace('"pilots"', '["Linshui Couty"]'),
        "levers[0].targets: unknown county 'Linshui Couty'; did you mean 邻水县 Linshui County"),
    "county_outside_region": (
        HEADER + GOV.replace('"pilots"', '["康定市"]'),
        "levers[0].targets: county '康定市' (康定市 Kangding City) is not in region 'ccec'"),
    "unknown_prefecture": (
        HEADER + GOV.replace('"pilots"', '{ prefectures = ["Suning"] }'),
        "levers[0].targets: unknown prefecture 'Suning'; did you mean Suining (遂宁市)?"),
    "unknown_province": (
        HEADER + GOV.replace('"pilots"', '{ province = "Yunnan" }'),
        "levers[0].targets: unknown province 'Yunnan'; allowed: Sichuan, Chongqing"),
    "start_after_end": (
        HEADER + "start_year = 2025\nend_year = 2022\n",
        "end_year: 2022 must be after start_year 2025"),
    "lever_start_after_end": (
        HEADER + GOV.replace("start_year = 2021", "start_year = 2023\nend_year = 2021"),
        "levers[0].end_year: 2021 is before start_year 2023"),
    "year_after_2035": (
        HEADER + "end_year = 2040\n",
        "end_year: Input should be less than or equal to 2035 (got 2040)"),
    "year_before_2010": (
        HEADER + "start_year = 2005\n",
        "start_year: Input should be greater than or equal to 2010 (got 2005)"),
    "lever_outside_run": (
        HEADER + GOV.replace("2021", "2030"),
        "levers[0].start_year: 2030 is outside the run (2020–2025)"),
    "negative_intensity": (
        HEADER + GOV + "governance_boost = -0.1\n",
        "levers[0].governance_boost: Input should be greater than or equal to 0 (got -0.1)"),
    "intensity_out_of_range": (
        HEADER + GOV.replace("governance", "ecology") + "protected_share = 1.5\n",
        "levers[0].protected_share: Input should be less than or equal to 1 (got 1.5)"),
    "targets_select_nothing": (
        HEADER + GOV.replace('"pilots"', '{ pilots = true, province = "Chongqing" }'),
        "levers[0].targets: targets (pilots; in Chongqing) select no county of region 'ccec'"),
    "duplicate_ids": (
        HEADER + GOV + GOV.replace("governance", "ecology"),
        "levers[1].id: duplicate lever id 'a'; each lever needs its own id"),
    "unknown_parameter": (
        HEADER + "[parameters]\nmigraton_rate = 0.1\n",
        "parameters.migraton_rate: unknown parameter; did you mean 'migration_rate'?"),
    "parameter_out_of_range": (
        HEADER + "[parameters]\nmigration_rate = 1.5\n",
        "parameters.migration_rate: parameter 'migration_rate' = 1.5 is outside its allowed "
        "range [0, 1] (1/year)"),
    "unknown_line": (
        HEADER + '[[levers]]\nid = "a"\ntype = "connectivity"\nstart_year = 2021\n'
        'open_lines = [{ line = "Chengdu–Dazhou–Wanzhou HSR" }]\n',
        "levers[0].open_lines[0].line: unknown rail line 'Chengdu–Dazhou–Wanzhou HSR'; "
        "did you mean 'Chengdu–Dazhou–Wanzhou high-speed railway'?"),
    "bad_target_keyword": (
        HEADER + GOV.replace('"pilots"', '"pilot"'),
        "levers[0].targets: 'pilot' is not a target keyword; allowed: all, pilots, ccec, "
        "border"),
    "missing_parent": (
        'extends = "nothere.toml"\nname = "x"\n',
        "extends: parent scenario 'nothere.toml' not found"),
    "unknown_field_of_a_link": (
        HEADER + CONNECTIVITY + 'links = [{ between = ["邻水县", "开江县"], speed = 200 }]\n',
        "levers[0].links[0].speed: unknown field; allowed here: between, mode, speed_kmh, "
        "year"),
    "unknown_field_of_a_line_shift": (
        HEADER + CONNECTIVITY + f'shift_lines = [{{ line = "{LINE}", years = -2, yeras = 1 }}]\n',
        "levers[0].shift_lines[0].yeras: unknown field; allowed here: line, years"),
    "unknown_field_of_donors": (
        HEADER + GOV.replace("governance", "policy_support") + "donors = { provnce = "
        '"Sichuan" }\n',
        "levers[0].donors.provnce: unknown field; allowed here: all, pilots, ccec, border, "
        "border_h, counties, prefectures, province, exclude, outside_region"),
    "ramp_on_connectivity": (
        HEADER + CONNECTIVITY + f'open_lines = [{{ line = "{LINE}" }}]\nramp_years = 3\n',
        "levers[0].ramp_years: connectivity changes are discrete and do not ramp (got 3); "
        "leave ramp_years out"),
    "reclamation_cost_above_price": (
        HEADER + GOV.replace("governance", "land_layout") + "trade_km2_per_year = 1.0\n"
        "price_yuan_per_mu = 50000\n",
        "levers[0].reclamation_cost_yuan_per_mu: 100000 is above price_yuan_per_mu 50000; "
        "the reclamation cost is the part of the price spent in the seller county"),
    "donors_all_among_targets": (
        HEADER + GOV.replace("governance", "policy_support").replace(
            '"pilots"', '{ province = "Sichuan" }'),
        "levers[0].donors: every donor (in Sichuan) is also a target, so the lever would "
        "move nothing; choose donors outside the targets"),
    "links_serve_no_county_of_the_region": (
        HEADER + CONNECTIVITY + 'links = [{ between = ["康定市", "泸定县"] }]\n',
        "levers[0].targets: not given, and the lever's links and lines serve no county of "
        "region 'ccec'"),
    "parent_parameters_not_a_table": (
        'extends = "bad_parameters.toml"\nname = "x"\n[parameters]\nsaving_rate = 0.3\n',
        "parameters: Input should be a valid dictionary (got 5)"),
    "parent_levers_not_tables": (
        'extends = "bad_levers.toml"\nname = "x"\n' + GOV,
        "levers[0]: Input should be a valid dictionary or object to extract fields from "
        "(got 'x')"),
}


@pytest.fixture()
def folder(tmp_path):
    (tmp_path / "baseline.toml").write_text((SCENARIOS / "baseline.toml").read_text())
    # Parents with malformed [parameters] or levers: their children get one line too.
    (tmp_path / "bad_parameters.toml").write_text('name = "p"\nparameters = 5\n')
    (tmp_path / "bad_levers.toml").write_text('name = "p"\nlevers = ["x"]\n')
    return tmp_path


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_scenario_gives_exact_message(case, folder):
    text, expected = BAD[case]
    path = folder / f"{case}.toml"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        sim.load_scenario(path)
    message = str(err.value)
    assert message.startswith(f"{path}: "), message
    assert expected in message
    assert "\n" not in message


def test_extends_cycle(folder):
    (folder / "a.toml").write_text('extends = "b.toml"\nname = "a"\n')
    (folder / "b.toml").write_text('extends = "a.toml"\nname = "b"\n')
    with pytest.raises(InputError, match=r"a\.toml: extends: cycle a\.toml -> b\.toml -> a\.toml"):
        sim.load_scenario(folder / "a.toml")


def test_check_command_reports_each_bad_file_on_one_line(folder):
    good = folder / "good.toml"
    good.write_text(HEADER)
    bad = folder / "bad.toml"
    bad.write_text(BAD["negative_intensity"][0])
    proc = subprocess.run([sys.executable, "-m", "sim", "check", str(good), str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stdout.startswith(f"ok  {good}")
    assert proc.stderr.strip().splitlines() == [
        f"countysim: error: {bad}: {BAD['negative_intensity'][1]}"]


def test_every_shipped_scenario_passes_check():
    files = sorted(str(p) for p in SCENARIOS.glob("*.toml"))
    assert len(files) >= 16
    proc = subprocess.run([sys.executable, "-m", "sim", "check", *files],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("ok  ") == len(files)


def test_extends_inherits_and_overrides(folder):
    (folder / "child.toml").write_text(textwrap.dedent("""\
        extends = "parent.toml"
        name = "child"
        end_year = 2030
        [parameters]
        saving_rate = 0.35
        [[levers]]
        id = "gov"
        type = "governance"
        targets = "pilots"
        start_year = 2022
        governance_boost = 0.2
        [[levers]]
        id = "eco"
        type = "ecology"
        targets = "pilots"
        start_year = 2021
    """))
    (folder / "parent.toml").write_text(textwrap.dedent("""\
        extends = "baseline.toml"
        name = "parent"
        [parameters]
        migration_rate = 0.04
        [[levers]]
        id = "gov"
        type = "governance"
        targets = "pilots"
        start_year = 2021
        [[levers]]
        id = "ind"
        type = "modern_industry"
        targets = "pilots"
        start_year = 2021
    """))
    s = sim.load_scenario(folder / "child.toml")
    assert (s.name, s.end_year, s.seed) == ("child", 2030, 20200703)
    assert s.parameters == {"migration_rate": 0.04, "saving_rate": 0.35}
    assert [lever.id for lever in s.levers] == ["ind", "gov", "eco"]
    gov = s.levers[1]
    assert (gov.start_year, gov.governance_boost) == (2022, 0.2)


def test_scenarios_are_frozen(baseline):
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises its ValidationError
        baseline.end_year = 2030
    assert baseline.with_changes(end_year=2030).end_year == 2030
    assert baseline.end_year == 2025


@pytest.mark.parametrize("ref", ["邻水县", "邻水", "Linshui County", "linshui", 511623, "511623"])
def test_county_references_in_any_spelling(ref):
    from sim.model.selection import county_code

    assert county_code(ref) == 511623


def test_ambiguous_county_name_asks_for_the_code():
    from sim.model.selection import county_code

    with pytest.raises(InputError) as err:
        county_code("市中区")
    assert str(err.value) == (
        "county name '市中区' is ambiguous: 511002 (市中区 Shizhong District, Neijiang), "
        "511102 (市中区 Shizhong District, Leshan); use the code")


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_exported_toml_loads_back_to_the_same_scenario(path, tmp_path):
    scenario = sim.load_scenario(path)
    out = tmp_path / "exported.toml"
    out.write_text(scenario.to_toml(), encoding="utf-8")
    again = sim.load_scenario(out)
    assert again.digest() == scenario.digest()
    assert "extends" not in out.read_text()


def test_parameter_names_are_checked_by_one_function():
    from sim.model.parameters import check_parameter_name, default_parameters

    with pytest.raises(InputError) as err:
        default_parameters().replace(migraton_rate=0.1)
    assert str(err.value) == "unknown parameter 'migraton_rate'; did you mean 'migration_rate'?"
    with pytest.raises(InputError) as err:
        check_parameter_name("zzz", "sweep.zzz", source="f.toml")
    assert str(err.value) == ("f.toml: sweep.zzz: unknown parameter; see docs/parameters.md "
                              "for the list")
    check_parameter_name("migration_rate")
