"""Real Postgres and NATS for tests: the embedded ones in a temp dir, or DATABASE_URL / NATS_URL when set."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from core.bus import Bus
from core.db import migrate
from core.settings import Settings
from ops.embedded import EmbeddedServices


@pytest.fixture(scope="session")
def service_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Base URLs of a Postgres server and a NATS server for this test session."""
    db_url, nats_url = os.environ.get("DATABASE_URL"), os.environ.get("NATS_URL")
    embedded = None
    if not (db_url and nats_url):
        embedded = EmbeddedServices(tmp_path_factory.mktemp("services"))
        started = embedded.start(postgres=not db_url, nats=not nats_url)
        db_url = db_url or started["postgres"].url
        nats_url = nats_url or started["nats"].url
    yield {"database": db_url, "nats": nats_url}
    if embedded is not None:
        embedded.stop()


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def create_database(base_url: str) -> str:
    """A fresh, empty database on the server of `base_url`; returns its URL."""
    name = f"yw_test_{secrets.token_hex(4)}"
    conn = await asyncpg.connect(base_url)
    try:
        await conn.execute(f'create database "{name}"')
    finally:
        await conn.close()
    return with_database(base_url, name)


@pytest.fixture(scope="session")
async def database_url(service_urls: dict[str, str]) -> AsyncIterator[str]:
    """A migrated database of its own for this test session; on a server we did not start (DATABASE_URL), it is
    dropped at the end, so runs against a shared Postgres leave nothing behind."""
    url = await create_database(service_urls["database"])
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    try:
        await migrate(pool)
    finally:
        await pool.close()
    yield url
    if os.environ.get("DATABASE_URL"):
        conn = await asyncpg.connect(service_urls["database"])
        try:
            await conn.execute(f'drop database if exists "{urlsplit(url).path.lstrip("/")}" with (force)')
        finally:
            await conn.close()


@pytest.fixture(scope="session")
def settings(database_url: str, service_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url,
        nats_url=service_urls["nats"],
        data_dir=Path(tmp_path_factory.mktemp("data")),
        connect_retries=3,
        connect_retry_delay_s=0.2,
        log_format="text",
        personal_records="demo",  # the demo records connector, as `yiwang up` runs it (docs/qa-connectors.md)
    )


@pytest.fixture(scope="session")
async def pg_pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=10)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def bus(settings: Settings) -> AsyncIterator[Bus]:
    b = await Bus(settings, name="tests").connect()
    await b.ensure_streams()
    yield b
    await b.close()
