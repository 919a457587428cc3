"""The shared search-engine contract against a live Meilisearch; skipped unless MEILISEARCH_URL is set."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from core.search import SearchEngine
from core.search.meili_engine import MeiliEngine
from core.settings import Settings
from tests.unit.core.search import search_contract

pytestmark = pytest.mark.integration

CASES: list[Callable[..., Awaitable[None]]] = search_contract.CASES


@pytest.fixture
async def make_engine() -> AsyncIterator[Callable[[], Awaitable[SearchEngine]]]:
    settings = Settings.from_env()
    if not settings.meilisearch_url:
        pytest.skip("MEILISEARCH_URL is not set: no Meilisearch server to run the contract against")
    index_name = f"yiwang_test_{uuid.uuid4().hex[:12]}"
    opened: list[MeiliEngine] = []

    async def make() -> SearchEngine:
        engine = MeiliEngine(settings.meilisearch_url or "", settings.meilisearch_key, index_name)
        await engine.open()
        opened.append(engine)
        return engine

    yield make
    if opened:
        await opened[0].drop()
    for engine in opened:
        await engine.close()


@pytest.mark.parametrize("case", CASES, ids=[c.__name__ for c in CASES])
async def test_contract(
    case: Callable[..., Awaitable[None]], make_engine: Callable[[], Awaitable[SearchEngine]]
) -> None:
    await case(make_engine)
