"""The shared search-engine contract, run for real against tantivy in a temporary directory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from core.search import SearchEngine
from core.search.tantivy_engine import TantivyEngine
from tests.unit.core.search.search_contract import CASES, EngineFactory


@pytest.fixture
async def make_engine(tmp_path: Path) -> AsyncIterator[EngineFactory]:
    opened: list[SearchEngine] = []

    async def make() -> SearchEngine:
        engine = TantivyEngine(tmp_path, "documents", writer_heap_bytes=15_000_000)
        await engine.open()
        opened.append(engine)
        return engine

    yield make
    for engine in opened:
        await engine.close()


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
async def test_contract(case: Callable[[EngineFactory], Awaitable[None]], make_engine: EngineFactory) -> None:
    await case(make_engine)
