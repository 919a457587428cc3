"""The composition root: what a process holds open, built once here and closed in reverse order."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, TypeVar

import asyncpg
import dramatiq

from core.bus import Bus
from core.clock import Clock, system_clock
from core.db import close_pool, connect_pool
from core.jobs import build_broker
from core.search import SearchEngine, engine_for
from core.settings import Settings

if TYPE_CHECKING:
    from core.qa.service import QaService
    from core.search.service import SearchService

log = logging.getLogger(__name__)
T = TypeVar("T")
# "required": a process that cannot search must not start (the API); "optional": go on without the engine
# when it cannot be opened (the CLI's `ask`, whose fallback is the hotline).
Reader = Literal["required", "optional"]


@dataclass(frozen=True, kw_only=True)
class Services:
    """What one process opened: settings, pool, bus and clock always; the rest when the process asked."""

    settings: Settings
    pool: asyncpg.Pool
    bus: Bus
    clock: Clock = system_clock
    broker: dramatiq.Broker | None = None
    engine: SearchEngine | None = None  # a reader; the consumers process's projector holds the one writer
    search: SearchService | None = None
    qa: QaService | None = None


def need(part: T | None, what: str) -> T:
    """`part`, which this process must have opened; a missing one is a wiring mistake, not a user's."""
    if part is None:
        raise RuntimeError(f"this process did not open {what}: ask open_services for it")
    return part


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    name: str,
    pool_size: int = 5,
    broker: bool = False,
    engine: Reader | None = None,
    search: bool = False,
    qa: bool = False,
    clock: Clock = system_clock,
) -> AsyncIterator[Services]:
    """Open the pool and the bus, then what is asked for: a job broker, a search-engine reader, the search
    service over it (needs `engine="required"`), the Q&A service (its fallback searches the engine, if any).
    Both services are warmed before it yields. Whatever opened is closed, last first, even when a later part
    fails to open."""
    if search and engine != "required":
        raise ValueError('the search service needs engine="required"')
    async with contextlib.AsyncExitStack() as stack:
        pool = await connect_pool(settings, max_size=pool_size)
        stack.push_async_callback(close_pool, pool)
        bus = await Bus(settings, name=name).connect()
        stack.push_async_callback(bus.close)
        jobs = _open_broker(stack, settings) if broker else None
        reader = await _open_reader(stack, settings, required=engine == "required") if engine else None
        searching = None
        if search:  # checked above: a required reader opened or raised
            searching = await _search_service(
                stack, settings, need(reader, "an engine"), pool=pool, bus=bus, clock=clock
            )
        answering = _qa_service(pool, reader, settings, clock) if qa else None
        await _warm(searching, answering)
        yield Services(
            settings=settings,
            pool=pool,
            bus=bus,
            clock=clock,
            broker=jobs,
            engine=reader,
            search=searching,
            qa=answering,
        )


@contextlib.asynccontextmanager
async def open_search(settings: Settings) -> AsyncIterator[SearchService]:
    """A SearchService over a reader of the index alone, without Postgres or NATS (bundled synonyms, no
    pins, nothing logged): the CLI's `search`, which works while the platform is down."""
    async with contextlib.AsyncExitStack() as stack:
        engine = need(await _open_reader(stack, settings, required=True), "a search engine")
        yield await _search_service(stack, settings, engine, pool=None, bus=None)


def _open_broker(stack: contextlib.AsyncExitStack, settings: Settings) -> dramatiq.Broker:
    broker = build_broker(settings)  # here, never at import: the settings are known only now
    stack.callback(broker.close)
    return broker


async def _open_reader(stack: contextlib.AsyncExitStack, settings: Settings, *, required: bool) -> SearchEngine | None:
    engine = engine_for(settings)
    try:
        await engine.open()
    except Exception:
        if required:
            raise
        log.warning("search engine not available; going on without it", exc_info=True)
        return None
    stack.push_async_callback(engine.close)
    return engine


async def _search_service(
    stack: contextlib.AsyncExitStack,
    settings: Settings,
    engine: SearchEngine,
    *,
    pool: asyncpg.Pool | None,
    bus: Bus | None,
    clock: Clock = system_clock,
) -> SearchService:
    # Imported here: the search stack takes most of a second to import, and job processes never search.
    from core.search.service import SearchService

    service = SearchService.configured(engine, settings, pool=pool, bus=bus, clock=clock)
    stack.push_async_callback(service.close)  # flushes popular-query counts while the pool is still open
    return service


async def _warm(search: SearchService | None, qa: QaService | None) -> None:
    """Load now what the first search and the first ask would load (caches, dictionaries, the knowledge base):
    the first citizen after a start waits no longer than the next ones. A failure only costs that wait."""
    parts = [part.warm() for part in (search, qa) if part is not None]
    for failed in await asyncio.gather(*parts, return_exceptions=True):
        if isinstance(failed, Exception):
            log.warning("warming up failed; the first request loads what it needs", exc_info=failed)


def _qa_service(pool: asyncpg.Pool, engine: SearchEngine | None, settings: Settings, clock: Clock) -> QaService:
    from core.lookups import DemoConnector, PersonalLookups
    from core.lookups.service import login_url
    from core.qa.service import QaService, engine_fallback

    personal = None
    if settings.personal_records == "demo":  # PERSONAL_RECORDS: 我的公积金余额 … answered from a connector
        personal = PersonalLookups(
            pool,
            DemoConnector(),
            login_url=login_url(settings.issuer),
            timeout_s=settings.personal_records_timeout_s,
            clock=clock,
        )
    from core.qa.answerer import KnowledgeBase

    kb = KnowledgeBase(home_place=settings.home_place)
    return QaService(pool, kb=kb, search=engine_fallback(engine) if engine is not None else None, personal=personal)
