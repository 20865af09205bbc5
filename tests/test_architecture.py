"""The layers of ARCHITECTURE.md hold: imports go down, never in a cycle, and the package never imports the UI."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "heatmap"
BASE = {"errors", "paths", "i18n", "settings", "taxonomy", "filters", "measures", "formulas"}
LAYER_OF_PACKAGE = {"geo": 1, "intake": 2, "access": 2, "supervision": 2, "analysis": 3, "scale": 3, "output": 4}  # fmt: skip
ENTRY = {"cli", "__main__", "__init__"}


def _top_packages() -> dict[str, Path]:
    """Sub-packages at the top of ``heatmap`` that are not layers (``i18n``); ``config/`` is data."""
    found = {init.parent.name: init.parent for init in PACKAGE.glob("*/__init__.py")}
    return {name: folder for name, folder in found.items() if name not in LAYER_OF_PACKAGE}


def _units() -> dict[str, list[Path]]:
    """Every unit (``errors``, ``i18n``, ``geo.names``, ``output.briefing``) and its files."""
    units: dict[str, list[Path]] = {p.stem: [p] for p in PACKAGE.glob("*.py")}
    for name, folder in _top_packages().items():
        units[name] = sorted(folder.rglob("*.py"))
    for sub in LAYER_OF_PACKAGE:
        for p in (PACKAGE / sub).glob("*.py"):
            if p.stem != "__init__":
                units[f"{sub}.{p.stem}"] = [p]
        for init in (PACKAGE / sub).glob("*/__init__.py"):
            units[f"{sub}.{init.parent.name}"] = sorted(init.parent.glob("*.py"))
    return units


UNITS = _units()


def _layer(unit: str) -> int:
    if unit in BASE:
        return 0
    return LAYER_OF_PACKAGE.get(unit.split(".")[0], 99)


def _unit_of(dotted: str) -> str | None:
    """``heatmap.geo.names.x`` -> ``geo.names``; ``heatmap.errors`` -> ``errors``."""
    parts = dotted.split(".")[1:]
    for size in (2, 1):
        name = ".".join(parts[:size])
        if name in UNITS:
            return name
    return None


def _imports(path: Path) -> set[str]:
    """Units of ``heatmap`` imported by a file, at module level or in functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("heatmap"):
            for alias in node.names:
                unit = _unit_of(f"{node.module}.{alias.name}") or _unit_of(node.module)
                if unit:
                    found.add(unit)
        elif isinstance(node, ast.Import):
            found |= {u for a in node.names if (u := _unit_of(a.name))}
    return found


def _third_party(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
    return names


def test_every_top_level_module_is_base_or_entry() -> None:
    top = {p.stem for p in PACKAGE.glob("*.py")} | set(_top_packages())
    assert top == BASE | ENTRY, "put new modules in geo/, intake/, analysis/ or output/"


def test_a_base_sub_package_is_one_unit_of_layer_0() -> None:
    assert _unit_of("heatmap.i18n._frame") == "i18n" and _layer("i18n") == 0
    assert PACKAGE / "i18n" / "_frame.py" in UNITS["i18n"]


@pytest.mark.parametrize("unit", sorted(u for u in UNITS if u not in ENTRY))
def test_imports_go_down(unit: str) -> None:
    found = set().union(*(_imports(f) for f in UNITS[unit])) - {unit}
    up = {u for u in found if u not in ENTRY and _layer(u) > _layer(unit)}
    assert not up, f"{unit} (layer {_layer(unit)}) imports higher layers: {sorted(up)}"


def test_no_import_cycle() -> None:
    graph = {u: set().union(*(_imports(f) for f in fs)) - {u} for u, fs in UNITS.items()}
    seen: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        seen[node] = 1
        for nxt in sorted(graph[node]):
            if seen.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path, node, nxt]))
            if nxt not in seen:
                visit(nxt, [*path, node])
        seen[node] = 2

    for unit in sorted(graph):
        if unit not in seen:
            visit(unit, [])


@pytest.mark.parametrize("unit", sorted(UNITS))
def test_package_never_imports_the_ui(unit: str) -> None:
    for path in UNITS[unit]:
        assert not {"streamlit", "ui", "pages"} & _third_party(path), path


def test_ui_never_imports_pages() -> None:
    for path in (ROOT / "ui").glob("*.py"):
        assert "pages" not in _third_party(path), path


def test_tests_mirror_the_packages() -> None:
    for sub in LAYER_OF_PACKAGE:
        assert (ROOT / "tests" / sub).is_dir(), f"tests/{sub}/ mirrors src/heatmap/{sub}/"


def test_cli_help_loads_no_heavy_library() -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "heatmap", "--help"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0 and "python -m heatmap" in done.stdout
    loaded = {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines()}
    assert not {"pandas", "geopandas", "matplotlib", "duckdb", "shapely", "dask", "distributed"} & loaded


def test_only_the_scale_package_imports_dask() -> None:
    """dask is an optional extra (``pip install .[scale]``): the core install must not need it."""
    for unit, files in UNITS.items():
        for path in files:
            if not unit.startswith("scale"):
                assert not {"dask", "distributed"} & _third_party(path), path
    scale = [p for unit, files in UNITS.items() if unit.startswith("scale.") for p in files]
    assert scale, "heatmap/scale/ holds the Dask job"
    for path in scale:  # only inside functions: importing a module needs no dask
        tree = ast.parse(path.read_text("utf-8"))
        top = {n.names[0].name.split(".")[0] for n in tree.body if isinstance(n, ast.Import)}
        top |= {n.module.split(".")[0] for n in tree.body if isinstance(n, ast.ImportFrom) and n.module}
        assert not {"dask", "distributed"} & top, path
