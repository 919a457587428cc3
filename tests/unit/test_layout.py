"""The formatter owns the layout: no formatter escapes in production code and no function over 60 lines."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("api", "core", "schema", "workers", "scrapers", "ops")
MAX_FUNCTION_LINES = 60
# Benchmarks are scripts read top to bottom; their long drivers stay whole.
LONG_FUNCTIONS_ALLOWED_UNDER = ("ops/bench/",)
# Tables of literal data where one aligned line reads better than the formatter's layout: path -> why.
FMT_SKIP_ALLOWED: dict[str, str] = {}
# Spelled in parts so that this file does not itself read as one (the before-stop check greps for it).
ESCAPES = ("fmt" + ": skip", "fmt" + ": off")


def production_files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def fmt_skips(path: Path) -> list[int]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [i for i, line in enumerate(lines, 1) if any(e in line for e in ESCAPES)]


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> list[tuple[str, int, int]]:
    """(name, first line, length) of every function longer than `limit` lines, decorators excluded."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > limit:
                found.append((node.name, node.lineno, length))
    return found


def test_no_fmt_skip_in_production_code() -> None:
    bad = []
    for path in production_files():
        rel = path.relative_to(ROOT).as_posix()
        if rel not in FMT_SKIP_ALLOWED and (lines := fmt_skips(path)):
            bad.append(f"{rel}: lines {lines}")
    assert not bad, "let the formatter own the layout (split what then reads too long):\n" + "\n".join(bad)


def test_no_function_over_60_lines() -> None:
    bad = []
    for path in production_files():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith(LONG_FUNCTIONS_ALLOWED_UNDER):
            continue
        bad += [f"{rel}:{line} {name} ({n} lines)" for name, line, n in long_functions(path.read_text("utf-8"))]
    assert not bad, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(bad)


def test_the_checks_see_a_violation(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    source = f"def short():\n    return 1\n\n\nasync def long():\n{body}\n"
    assert long_functions(source) == [("long", 5, MAX_FUNCTION_LINES + 1)]
    skipped = tmp_path / "m.py"
    skipped.write_text(f"x = [1,  2]  # {ESCAPES[0]}\ny = 1\n", encoding="utf-8")
    assert fmt_skips(skipped) == [1]
