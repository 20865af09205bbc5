"""The layers of ARCHITECTURE.md hold: imports go down, never in a cycle, and the package never imports the UI."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "heatmap"
LAYERS = {
    0: {"errors", "paths", "i18n", "settings", "taxonomy", "filters", "measures"},
    1: {"coords", "assign", "cells", "geography", "names", "locate"},
    2: {"store", "records", "ingest", "classify", "loading", "aliases", "boundaries", "demo",
        "demo_build"},
    3: {"queries", "governance", "topics", "categories", "activation"},
    4: {"maps", "charts", "reports", "briefing"},
}  # fmt: skip
ENTRY = {"cli", "bench", "__main__", "__init__"}
LAYER_OF = {m: layer for layer, mods in LAYERS.items() for m in mods}


def _imports(path: Path) -> set[str]:
    """Top-level names imported from ``heatmap`` by a file, at module level or in functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "heatmap":
                found |= {alias.name for alias in node.names}
            elif node.module.startswith("heatmap."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("heatmap.")}
    return found


def _third_party(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
    return names


MODULES = {p.stem: [p] for p in PACKAGE.glob("*.py")} | {
    p.parent.name: sorted(p.parent.glob("*.py")) for p in PACKAGE.glob("*/__init__.py")
}  # a sub-package (briefing/) is one unit of its layer


def test_every_module_has_a_layer() -> None:
    assert set(MODULES) - ENTRY == set(LAYER_OF), "add new modules to ARCHITECTURE.md and LAYERS"


@pytest.mark.parametrize("module", sorted(set(MODULES) - ENTRY))
def test_imports_go_down(module: str) -> None:
    found = set().union(*(_imports(f) for f in MODULES[module])) - {module}
    up = {m for m in found if LAYER_OF.get(m, 99) > LAYER_OF[module]}
    assert not up, f"{module} (layer {LAYER_OF[module]}) imports higher layers: {sorted(up)}"


def test_no_import_cycle() -> None:
    graph = {m: set().union(*(_imports(f) for f in fs)) & set(MODULES) - {m} for m, fs in MODULES.items()}
    seen: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(graph[node]):
            if seen.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path, node, nxt]))
            if nxt not in seen:
                visit(nxt, [*path, node])
        seen[node] = 2

    for module in sorted(graph):
        if module not in seen:
            visit(module, [])


@pytest.mark.parametrize("module", sorted(MODULES))
def test_package_never_imports_the_ui(module: str) -> None:
    for path in MODULES[module]:
        assert not {"streamlit", "ui", "pages"} & _third_party(path), path


def test_ui_never_imports_pages() -> None:
    for path in (ROOT / "ui").glob("*.py"):
        assert "pages" not in _third_party(path), path


def test_cli_help_loads_no_heavy_library() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "heatmap", "--help"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0 and "python -m heatmap" in done.stdout
    loaded = {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines()}
    assert not {"pandas", "geopandas", "matplotlib", "duckdb", "shapely"} & loaded
