"""The folders of sim/ are layers, and the imports go one way (issue 13).

Every ``import`` in the source, including the ones inside functions and under TYPE_CHECKING,
is read from the syntax tree; a module may import only the layers its row allows. Readers of the
log never import the world, the world never imports the CLI, the analysis or the exporters, and
the libraries (optimizer, labels, recommender) never import the simulation at all.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: layer -> the sim layers it must never import (a layer may always import itself and the
#: shared utilities sim.errors, sim.signals, sim.version).
FORBIDDEN: dict[str, set[str]] = {
    "sim.log": {"sim.world", "sim.scenario", "sim.analysis", "sim.export", "sim.experiments", "sim.cli", "sim.simulation"},
    "sim.analysis": {"sim.world", "sim.export", "sim.experiments", "sim.cli", "sim.simulation"},
    "sim.export": {"sim.world", "sim.experiments", "sim.cli", "sim.simulation"},
    "sim.scenario": {"sim.world", "sim.log", "sim.analysis", "sim.export", "sim.experiments", "sim.cli", "sim.simulation"},
    "sim.world": {"sim.analysis", "sim.export", "sim.experiments", "sim.cli", "sim.simulation"},
    "sim.simulation": {"sim.export", "sim.experiments", "sim.cli"},
    "sim.experiments": {"sim.cli"},
    "sim.cli": set(),  # the top: it may import every layer
    "optimizer": {"sim"},
    "labels": {"sim"},
    "recommender": {"sim"},
}

#: The one import the world's composition may make of the analysis: the summary written at the
#: end of a run.
ALLOWED = {("sim.simulation", "sim.analysis.summary")}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> set[str]:
    """The absolute names of what ``path`` imports, relative imports resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def layer_of(module: str) -> str | None:
    for layer in sorted(FORBIDDEN, key=len, reverse=True):
        if module == layer or module.startswith(layer + "."):
            return layer
    return None


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


SOURCES = sorted(p for top in ("sim", "optimizer", "labels", "recommender") for p in (ROOT / top).rglob("*.py"))


def test_every_module_of_sim_belongs_to_a_layer():
    shared = {"sim", "sim.errors", "sim.signals", "sim.version"}
    loose = [
        module_name(p)
        for p in SOURCES
        if within(module_name(p), "sim") and layer_of(module_name(p)) is None and module_name(p) not in shared
    ]
    assert loose == [], f"modules of sim/ outside every layer (give them a folder or a row in FORBIDDEN): {loose}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: module_name(p))
def test_imports_follow_the_layers(path: Path):
    name = module_name(path)
    layer = layer_of(name)
    if layer is None:
        return
    wrong = sorted(
        target
        for target in imported_modules(path)
        for banned in FORBIDDEN[layer]
        if within(target, banned)
        and (name, target) not in ALLOWED
        and not any(within(target, a) for n, a in ALLOWED if n == name)
    )
    assert wrong == [], f"{name} ({layer}) imports {wrong}"


def test_the_walk_sees_function_local_and_module_imports():
    """The walk finds imports inside functions as well as at the top (else the test above could
    pass by seeing nothing)."""
    assert "sim.world.orders" in imported_modules(ROOT / "sim" / "world" / "warehouse.py")
    assert "sim.analysis.summary" in imported_modules(ROOT / "sim" / "simulation.py")
    assert "labels.ledger" in imported_modules(ROOT / "sim" / "analysis" / "check.py")  # inside a function


def test_relative_imports_resolve(tmp_path):
    pkg = tmp_path / "sim" / "log"
    pkg.mkdir(parents=True)
    module = pkg / "probe.py"
    module.write_text("from . import events\nfrom ..world import orders\n")
    global ROOT
    saved, ROOT = ROOT, tmp_path
    try:
        found = imported_modules(module)
    finally:
        ROOT = saved
    assert {"sim.log.events", "sim.world.orders"} <= found
    assert layer_of("sim.log.probe") == "sim.log" and "sim.world" in FORBIDDEN["sim.log"]
