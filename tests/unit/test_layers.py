"""Imports point down only: api -> schema -> core; workers -> core, scrapers; scrapers -> core."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "core": {"api", "schema", "workers", "scrapers", "ops"},
    "schema": {"api", "workers", "scrapers", "ops"},
    "scrapers": {"api", "schema", "workers", "ops"},
    "workers": {"api", "schema", "ops"},
    "api": {"workers", "scrapers", "ops"},
}
# Inside core, capabilities never import features.
CAPABILITIES = {"textzh", "search"}
FEATURES = {"monitoring", "qa", "policy", "opendata", "identity", "disclosure", "hall", "engagement"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules() -> list[tuple[str, Path]]:
    return [(pkg, p) for pkg in FORBIDDEN for p in sorted((ROOT / pkg).rglob("*.py"))]


@pytest.mark.parametrize(("package", "path"), modules(), ids=lambda v: str(v).replace(str(ROOT) + "/", ""))
def test_no_upward_imports(package: str, path: Path) -> None:
    bad = sorted(m for m in imports_of(path) if m.split(".")[0] in FORBIDDEN[package])
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}: {package} must not import {FORBIDDEN[package]}"
    rel = path.relative_to(ROOT).parts
    if package == "core" and len(rel) > 2 and rel[1] in CAPABILITIES:
        feats = sorted(m for m in imports_of(path) if m.startswith("core.") and m.split(".")[1] in FEATURES)
        assert not feats, f"capability module {path.relative_to(ROOT)} imports features {feats}"


def test_the_contract_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "m.py"
    bad.write_text("from api.app import create_app\nimport workers.actors\n")
    assert imports_of(bad) == {"api.app", "workers.actors"}


# Inside core: no circle between packages (function-level imports count), no feature reads another's store.
# core.services is the composition root: it may import every package, and nothing imports it.
COMPOSITION_ROOT = "services"


def core_imports(path: Path) -> set[str]:
    """Every core module a file imports, anywhere in it; `from core.x import store` yields core.x.store too."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {m for m in found if m.startswith("core.")}


def unit_of(path: Path) -> str:
    """core/x/... and core/x.py are both unit x of the package graph."""
    return path.relative_to(ROOT / "core").parts[0].removesuffix(".py")


def core_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted((ROOT / "core").rglob("*.py")):
        unit = unit_of(path)
        if unit in (COMPOSITION_ROOT, "__init__"):
            continue
        targets = {m.split(".")[1] for m in core_imports(path)} - {unit}
        graph.setdefault(unit, set()).update(targets)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of the graph as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_core_packages_import_no_circle() -> None:
    graph = core_graph()
    assert not any(COMPOSITION_ROOT in targets for targets in graph.values()), "only processes import core.services"
    cycle = find_cycle(graph)
    assert cycle is None, "core packages import each other in a circle: " + " -> ".join(f"core.{u}" for u in cycle)


def test_the_cycle_check_sees_a_circle(tmp_path: Path) -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"search": {"documents"}, "documents": {"bus"}, "bus": set()}) is None
    late = tmp_path / "m.py"
    late.write_text("def f():\n    from core.search.freshness import PROJECTOR\n    return PROJECTOR\n")
    assert core_imports(late) == {"core.search.freshness", "core.search.freshness.PROJECTOR"}


def test_features_never_import_each_others_store() -> None:
    bad = []
    for path in sorted((ROOT / "core").rglob("*.py")):
        unit = unit_of(path)
        stores = {m for m in core_imports(path) if m.count(".") == 2 and m.endswith(".store")}
        bad += [f"{path.relative_to(ROOT)} imports {m}" for m in sorted(stores) if m.split(".")[1] != unit]
    assert not bad, "a feature reads another's store; call its service instead: " + "; ".join(bad)
