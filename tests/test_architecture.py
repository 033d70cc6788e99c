"""The package's layers: each imports only the layers below it, and no module cycles.

docs/architecture.md draws the layers. Imports inside ``if TYPE_CHECKING:`` blocks
(annotations only) are not counted; imports inside functions are, so a lazy import
cannot hide an upward dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest
from conftest import ROOT

SIM = ROOT / "sim"
#: Bottom to top. ``sim`` itself (the public API) and ``sim._compat`` sit above all.
LAYERS = ("base", "model", "outputs", "analysis", "figures", "studies", "apps")
#: Inside the model layer, bottom to top (modules of a level may import each other).
MODEL_LEVELS = (
    ("parameters", "census", "economy", "region", "geography", "ensemble"),
    ("network",),
    ("selection",),
    ("core",),
    ("levers",),
    ("resolve",),
    ("scenario",),
    ("settings",),
    ("schema", "indicators", "runid"),
    ("recorder",),
    ("rows",),
    ("collector",),
    ("shell",),
    ("geospace",),
    ("reference",),
)
MAX_LINES = 500


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def runtime_imports(path: Path) -> set[str]:
    """Modules of ``sim`` imported by a file, outside ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for n in ast.walk(node)}
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "sim"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            if base.split(".")[0] != "sim":
                continue
            for alias in node.names:  # `from sim.figures import style` imports a module
                candidate = f"{base}.{alias.name}"
                found.add(candidate if _exists(candidate) else base)
    return found


def _exists(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def layer_of(name: str) -> int | None:
    parts = name.split(".")
    if len(parts) < 2 or parts[1] not in LAYERS:
        return None
    return LAYERS.index(parts[1])


def model_level(name: str) -> int | None:
    parts = name.split(".")
    if parts[:2] != ["sim", "model"] or len(parts) < 3:
        return None
    for level, names in enumerate(MODEL_LEVELS):
        if parts[2] in names:
            return level
    raise AssertionError(f"{name}: add it to MODEL_LEVELS in tests/test_architecture.py")


FILES = sorted(SIM.rglob("*.py"))
GRAPH = {module_name(f): runtime_imports(f) for f in FILES}


def test_every_module_is_in_a_layer():
    stray = [m for m in GRAPH if m not in ("sim", "sim.__main__", "sim._compat")
             and layer_of(m) is None]
    assert not stray, f"modules outside the layers {LAYERS}: {stray}"


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_a_layer_imports_only_layers_below_it(module):
    mine = layer_of(module)
    if mine is None:
        return
    upward = [dep for dep in GRAPH[module]
              if (layer_of(dep) if layer_of(dep) is not None else len(LAYERS)) > mine]
    assert not upward, f"{module} (layer {LAYERS[mine]}) imports a layer above it: {upward}"
    level = model_level(module)
    if level is not None:
        up = [dep for dep in GRAPH[module] if (model_level(dep) or 0) > level
              and layer_of(dep) == LAYERS.index("model")]
        assert not up, f"{module} imports a higher level of the model layer: {up}"


def test_no_import_cycles():
    graph = nx.DiGraph()
    for module, deps in GRAPH.items():
        # A package's __init__ importing its own submodules is not a cycle of concern,
        # but a submodule importing its package's __init__ back (a re-export) would be.
        graph.add_edges_from((module, d) for d in deps if d != module)
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_modules_are_short_or_say_why():
    long = []
    for f in FILES:
        lines = f.read_text(encoding="utf-8").splitlines()
        doc = ast.get_docstring(ast.parse("\n".join(lines))) or ""
        if len(lines) > MAX_LINES and "Longer than" not in doc:
            long.append(f"{f.relative_to(ROOT)} ({len(lines)} lines)")
    assert not long, ("split these modules, or give the reason in the docstring "
                      f"('Longer than {MAX_LINES} lines because …'): {long}")


def test_the_architecture_page_names_every_package():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = sorted({".".join(m.split(".")[:3]) for m in GRAPH if layer_of(m) is not None
                       and (SIM.joinpath(*m.split(".")[1:3]) / "__init__.py").is_file()})
    missing = [p for p in packages if f"`{p.replace('.', '/')}/`" not in page
               and f"`{p}`" not in page]
    assert not missing, f"docs/architecture.md does not describe: {missing}"


def test_one_version_everywhere():
    import tomllib

    import sim

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    citation = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert project["project"]["version"] == sim.__version__
    assert f"version: {sim.__version__}" in citation
    assert f"## {sim.__version__}" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


def test_old_import_paths_work_for_one_release_with_a_warning():
    import importlib
    import warnings

    from sim import _compat

    for old, new in _compat.MOVED.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            module = importlib.import_module(old)
        assert module is importlib.import_module(new)
        assert module.__name__ == new and module.__spec__.name == new
        assert any(issubclass(w.category, DeprecationWarning) and new in str(w.message)
                   for w in caught), old
    from sim.core.step import advance  # a submodule of a moved package

    from sim.model.core.step import advance as same
    assert advance is same

