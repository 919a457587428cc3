"""The composition root over real Postgres and NATS: what opens is closed, last first, even when a part fails."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from nats.aio.client import Client as NATS

import core.services
from core.bus import Bus
from core.errors import Upstream
from core.services import open_services
from core.settings import Settings
from tests.conftest import free_port
from tests.integration.conftest import serve_api
from tests.integration.graphql import gql_data
from tests.integration.search_fixtures import make_site

pytestmark = pytest.mark.integration


@dataclasses.dataclass
class Opened:
    """The real pool and bus open_services made, kept to look at after it has returned."""

    pools: list[asyncpg.Pool] = dataclasses.field(default_factory=list)
    nats: list[NATS] = dataclasses.field(default_factory=list)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> Opened:
    seen = Opened()
    real_connect: Callable[..., Any] = core.services.connect_pool

    async def connect_pool(*args: Any, **kwargs: Any) -> asyncpg.Pool:
        pool = await real_connect(*args, **kwargs)
        seen.pools.append(pool)
        return pool

    class SeenBus(Bus):
        async def connect(self) -> Bus:
            await super().connect()
            assert self.nc is not None
            seen.nats.append(self.nc)
            return self

    monkeypatch.setattr(core.services, "connect_pool", connect_pool)
    monkeypatch.setattr(core.services, "Bus", SeenBus)
    return seen


def closed(seen: Opened) -> bool:
    [pool], [nats] = seen.pools, seen.nats
    return pool.is_closing() and nats.is_closed


async def test_a_search_engine_that_fails_to_open_releases_the_pool_and_the_bus(
    settings: Settings, opened: Opened
) -> None:
    # Nothing listens on this port: the Meilisearch engine's open fails as when the server is down.
    down = dataclasses.replace(settings, search_engine="meilisearch", meilisearch_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(Upstream, match="Meilisearch"):
        async with open_services(down, name="test-failing-engine", engine="required", search=True):
            pytest.fail("services were handed out without their search engine")
    assert closed(opened), "the pool and the bus opened before the engine are closed again"


async def test_everything_the_api_opens_is_closed_on_exit(settings: Settings, opened: Opened, tmp_path: Path) -> None:
    own = dataclasses.replace(settings, data_dir=tmp_path, broker_url="stub://")
    async with open_services(own, name="test-api", broker=True, engine="required", search=True, qa=True) as s:
        assert s.broker is not None and s.search is not None and s.qa is not None
        assert s.search.engine is s.engine, "one reader serves both search and the Q&A fallback"
        assert (await s.qa.ask("你好")).kind == "greeting"
        assert not closed(opened)
    assert closed(opened)


async def test_an_optional_engine_that_fails_leaves_the_rest_working(settings: Settings, opened: Opened) -> None:
    down = dataclasses.replace(settings, search_engine="meilisearch", meilisearch_url=f"http://127.0.0.1:{free_port()}")
    async with open_services(down, name="test-ask", pool_size=2, engine="optional", qa=True) as s:
        assert s.engine is None and s.qa is not None
        assert (await s.qa.ask("你好")).kind == "greeting", "the Q&A service works without the engine"
    assert closed(opened)


async def test_resolvers_take_now_from_the_clock_the_app_was_given(settings: Settings, pg_pool: asyncpg.Pool) -> None:
    site = await make_site(pg_pool)
    monday = date(2031, 3, 10)

    def clock() -> datetime:
        return datetime(2031, 3, 12, 4, 0, tzinfo=UTC)

    async with serve_api(settings, clock=clock) as url:
        data = await gql_data(url, "query($s: ID!) { updateTrend(site: $s, weeks: 2) { week } }", {"s": site})
    assert [w["week"] for w in data["updateTrend"]] == ["2031-03-03", monday.isoformat()]
