"""schema/schema.graphql is the checked-in SDL; this fails when the code's schema drifts from it.

Regenerate with: .venv/bin/yiwang schema --write
"""

from __future__ import annotations

from pathlib import Path

from schema import build_schema

SDL = Path(__file__).resolve().parents[3] / "schema" / "schema.graphql"


def test_checked_in_sdl_matches_code() -> None:
    current = build_schema().as_str().strip() + "\n"
    assert SDL.read_text(encoding="utf-8") == current, "schema changed: run `yiwang schema --write` and commit"
