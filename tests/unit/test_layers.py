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
FEATURES = {"monitoring", "qa", "policy", "opendata", "identity", "disclosure", "hall"}


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
