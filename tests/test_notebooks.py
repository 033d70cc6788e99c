"""The notebooks run top to bottom (small replicate counts) and are stored without outputs."""

from __future__ import annotations

import importlib.util
import os
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import sim

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
NAMES = ["01_quickstart", "02_compare_levers", "03_custom_scenario", "04_sensitivity",
         "05_explore", "06_mesa"]


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_committed_without_outputs(name):
    book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    code = [c for c in book.cells if c.cell_type == "code"]
    assert code, name
    assert all(not c.outputs and c.execution_count is None for c in code), (
        f"{name}: strip outputs before committing")


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_top_to_bottom(name, tmp_path, monkeypatch):
    if name == "02_compare_levers" and not hasattr(sim, "run_batch"):
        pytest.skip("needs sim.run_batch / sim.load_batch (the batch results store)")
    if name in ("05_explore", "06_mesa") and importlib.util.find_spec("solara") is None:
        pytest.skip("needs the 'explore' extra (solara)")
    monkeypatch.setenv("COUNTYSIM_RESULTS", str(tmp_path))
    monkeypatch.setenv("COUNTYSIM_NB_REPLICATES", "3")
    monkeypatch.setenv("COUNTYSIM_NB_SAMPLES", "8")  # Sobol base sample of notebook 04
    book = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = NotebookClient(book, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    started = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - started
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    assert seconds < 60, f"{name} took {seconds:.0f} s"
    images = sum(1 for c in book.cells if c.cell_type == "code" for o in c.outputs
                 if "image/png" in o.get("data", {}))
    assert images >= 1, f"{name} drew no figure"
    assert any(tmp_path.iterdir()), "the notebook writes its results under COUNTYSIM_RESULTS"
    assert os.environ["COUNTYSIM_RESULTS"] == str(tmp_path)
