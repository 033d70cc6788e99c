"""The explorer's Solara components driven without a browser, and one headless browser check."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from conftest import SCENARIOS

import sim
from sim.apps.cli import main
from sim.apps.explorer.session import Session

solara = pytest.importorskip("solara", reason="the explorer needs the 'explore' extra")
v = pytest.importorskip("ipyvuetify")
widgets = pytest.importorskip("ipywidgets")
from sim.apps.explorer.app import Explorer  # noqa: E402

MAP = ("solara-image", "countysim-map")


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path, monkeypatch):
    """The explorer saves relative paths in the working directory: keep the checkout clean."""
    monkeypatch.chdir(tmp_path)


def render(**kw):
    _, rc = solara.render(Explorer(**kw), handle_error=False)
    return rc


def wait(condition: Callable[[], object], what: str, timeout: float = 60) -> None:
    """Poll until ``condition()`` holds (runs and figures are made in worker threads)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def status(rc) -> str:
    return rc.find(meta_ref="status").widget.children[0]


def errors(rc) -> list[str]:
    return [a.children[0] for a in rc.find(v.Alert, type="error").widgets]


def map_image(rc) -> bytes | None:
    found = rc.find(widgets.Image, _dom_classes=MAP)
    return found.widget.value if len(found) == 1 else None


def type_into(rc, ref: str, text: str) -> None:
    """Type into an input; Solara inputs commit when they lose focus."""
    field = rc.find(v.TextField, meta_ref=ref).widget
    field.v_model = text
    field.fire_event("focusout")


def click(rc, ref: str) -> None:
    rc.find(v.Btn, meta_ref=ref).widget.click()


def session(name: str = "pilot_programme") -> Session:
    return Session(name, scenarios_dir=SCENARIOS, deterministic=True)


def test_explorer_builds_and_a_run_is_driven_through_its_buttons():
    s = session()
    rc = render(session=s)
    try:
        wait(lambda: map_image(rc) and "year 2020" in status(rc), "the start-year map")
        start_map = map_image(rc)
        click(rc, "step")
        wait(lambda: "year 2021" in status(rc), "Step")
        click(rc, "run")
        wait(lambda: "year 2025 (end)" in status(rc), "Run")
        wait(lambda: map_image(rc) not in (None, start_map), "the map of 2025")
        assert s.finished
        batch = sim.run(s.scenario, deterministic=True)
        pd.testing.assert_frame_equal(s.results().county_year, batch.county_year)
        click(rc, "reset")
        wait(lambda: "year 2020" in status(rc) and map_image(rc) == start_map,
             "Reset back to the start-year map")
        assert errors(rc) == []
    finally:
        rc.close()


def test_bad_input_shows_the_one_line_message_and_changes_nothing():
    s = session()
    rc = render(session=s)
    try:
        digest = s.scenario.digest()
        type_into(rc, "lever_targets", "Linshui Couty")
        click(rc, "add_lever")
        wait(lambda: errors(rc), "the unknown-county message")
        assert errors(rc)[0].startswith("lever 'modern_industry': targets: unknown county "
                                        "'Linshui Couty'; did you mean 邻水县 Linshui County")
        type_into(rc, "lever_targets", "pilots")
        type_into(rc, "field:tfp_boost", "0.2")
        click(rc, "add_lever")
        wait(lambda: errors(rc) == ["lever 'modern_industry': tfp_boost: Input should be less "
                                    "than or equal to 0.05 (got 0.2)"], "the range message")
        type_into(rc, "end_year", "2019")
        wait(lambda: errors(rc) == ["end_year: 2019 must be after start_year 2020"],
             "the years message")
        for message in errors(rc):
            assert "\n" not in message and "Traceback" not in message
        assert s.scenario.digest() == digest
        type_into(rc, "field:tfp_boost", "0.02")
        click(rc, "add_lever")
        wait(lambda: len(s.scenario.levers) == 19 and not errors(rc), "a valid lever")
        assert s.lever("modern_industry")["tfp_boost"] == 0.02
        wait(lambda: "19 lever(s)" in status(rc), "the status line")
    finally:
        rc.close()


def test_unknown_start_scenario_shows_its_error_and_starts_from_the_baseline():
    rc = render(scenario="pilot_programm", scenarios_dir=str(SCENARIOS), deterministic=True)
    try:
        assert errors(rc)[0].startswith("unknown scenario 'pilot_programm'; allowed: baseline")
        assert status(rc).startswith("baseline: ccec, 2020–2025")
        assert "deterministic" in status(rc)
    finally:
        rc.close()


def test_fallback_to_the_baseline_keeps_seed_and_mode():
    from sim.apps.explorer.app import open_session

    s, error = open_session("pilot_programm", str(SCENARIOS), seed=11, deterministic=True)
    assert error.startswith("unknown scenario 'pilot_programm'")
    assert (s.base, s.scenario.seed, s.deterministic) == ("baseline.toml", 11, True)
    s, error = open_session("pilot_programm", str(SCENARIOS), seed=-1)
    assert error.startswith("unknown scenario") and s.base == "baseline.toml"


def test_picker_lever_editing_and_export_through_the_ui(tmp_path):
    s = session("baseline")
    rc = render(session=s)
    try:
        rc.find(v.Select, meta_ref="scenario").widget.v_model = "land_quota_trading.toml"
        wait(lambda: s.base == "land_quota_trading.toml", "the picked scenario")
        click(rc, "edit:cross_border_quota")
        wait(lambda: len(rc.find(v.TextField, meta_ref="field:trade_km2_per_year")) == 1
             and rc.find(v.TextField, meta_ref="field:trade_km2_per_year").widget.v_model
             == "3.0", "the lever in the editor")
        type_into(rc, "field:trade_km2_per_year", "5")
        click(rc, "update_lever")
        wait(lambda: s.lever("cross_border_quota").get("trade_km2_per_year") == 5.0,
             "the updated lever")
        click(rc, "remove:chongqing_land_tickets")
        wait(lambda: [lever.id for lever in s.scenario.levers] == ["cross_border_quota"],
             "the removed lever")

        path = tmp_path / "mine.toml"
        type_into(rc, "export_path", str(path))
        click(rc, "save")
        wait(path.is_file, "the exported file")
        assert main(["check", str(path)]) == 0
        assert sim.load_scenario(path).digest() == s.scenario.digest()
        click(rc, "save")
        wait(lambda: errors(rc) == [f"export: {path} exists; allow overwriting to replace "
                                    "it"], "the overwrite message")
    finally:
        rc.close()


# -- the browser check ------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]


@pytest.mark.skipif(not Path(CHROMIUM).exists(),
                    reason=f"browser check needs Debian's Chromium at {CHROMIUM} "
                           "(apt-get install chromium)")
def test_browser_loads_the_page_runs_and_sees_the_map_update(tmp_path):
    """``countysim explore`` in a headless Chromium: load, click Run, the map changes.

    Set COUNTYSIM_EXPLORE_SCREENSHOT to an absolute path (the tests run in a temporary
    folder), e.g. $PWD/docs/img/explore.png, to save the page.
    """
    playwright = pytest.importorskip("playwright.sync_api")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "sim", "explore", "pilot_programme", "--host", "127.0.0.1",
         "--port", "0", "--scenarios", str(SCENARIOS)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        start_new_session=True, cwd=tmp_path)
    try:
        first = server.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+/", first)
        assert found, first
        url = found.group(0)
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1400})
            deadline = time.monotonic() + 30
            while True:  # the server needs a moment to listen
                try:
                    page.goto(url, timeout=20_000)
                    break
                except playwright.Error:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.5)
            page.wait_for_selector("img.countysim-map", timeout=45_000)
            page.wait_for_function("() => document.body.innerText.includes('year 2020')",
                                   timeout=45_000)
            before = page.get_attribute("img.countysim-map", "src")
            page.get_by_role("button", name="Run").click()
            page.wait_for_function(
                "(before) => { const img = document.querySelector('img.countysim-map');"
                " return img && img.src !== before && img.complete && img.naturalWidth > 0"
                " && document.body.innerText.includes('year 2025 (end)'); }",
                arg=before, timeout=45_000)
            assert "Traceback" not in page.inner_text("body")
            shot = os.environ.get("COUNTYSIM_EXPLORE_SCREENSHOT")
            if shot:
                page.wait_for_timeout(1500)
                page.screenshot(path=shot)
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            log, _ = server.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            log, _ = server.communicate()
    assert "Could not load URL" not in log, "the page must not need a CDN:\n" + log
    assert "Traceback" not in log, log
