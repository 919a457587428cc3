"""The embedded services, migrations and the bus against real Postgres and NATS."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import asyncpg
import pytest

from core.bus import Bus, PageFetched
from core.db import applied_versions, connect_pool, load_migrations, migrate
from core.errors import Upstream
from core.settings import Settings
from ops.embedded import EmbeddedServices
from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.integration


def test_embedded_services_start_once_reuse_and_keep_data(tmp_path: Path) -> None:
    services = EmbeddedServices(tmp_path)
    first = services.start()
    try:
        assert first["postgres"].port not in (5432, 4222) and first["nats"].port not in (5432, 4222)
        again = services.start()
        assert again["postgres"].pid == first["postgres"].pid, "a running Postgres is reused, not restarted"
        assert again["nats"].pid == first["nats"].pid

        async def write() -> None:
            conn = await asyncpg.connect(first["postgres"].url)
            await conn.execute("create table kept (v text); insert into kept values ('still here')")
            await conn.close()

        asyncio.run(write())
        assert sorted(services.stop()) == ["nats", "postgres"]
        assert services.status() == {"postgres": None, "nats": None}

        restarted = services.start()

        async def read() -> str:
            conn = await asyncpg.connect(restarted["postgres"].url)
            try:
                return str(await conn.fetchval("select v from kept"))
            finally:
                await conn.close()

        assert asyncio.run(read()) == "still here"
    finally:
        services.stop()


async def test_migrations_are_recorded_and_idempotent(pg_pool: asyncpg.Pool) -> None:
    assert await migrate(pg_pool) == [], "a second run applies nothing"
    assert await applied_versions(pg_pool) == [m.version for m in load_migrations()]


async def test_unreachable_postgres_is_a_clear_error_naming_the_url() -> None:
    port = free_port()
    settings = Settings(database_url=f"postgresql://u:secret@127.0.0.1:{port}/x", connect_retries=2,
                        connect_retry_delay_s=0.01)  # fmt: skip
    with pytest.raises(Upstream) as err:
        await connect_pool(settings)
    assert f"127.0.0.1:{port}" in err.value.message
    assert "secret" not in err.value.message, "passwords are masked"


async def test_publish_is_idempotent_by_message_id(bus: Bus) -> None:
    event = PageFetched(site_id="dedupe", url="http://x.test/a", status=200, content_hash="h1", fetched_at="t")
    first = await bus.publish(event)
    second = await bus.publish(event)
    assert first == second, "JetStream drops the duplicate and acks with the original sequence"


def external_postgres() -> str | None:
    """YIWANG_EXTERNAL_PG, else a Postgres answering on this machine's standard port (CI machines run one)."""
    if os.environ.get("YIWANG_EXTERNAL_PG"):
        return os.environ["YIWANG_EXTERNAL_PG"]
    with socket.socket() as s:
        s.settimeout(0.5)
        if s.connect_ex(("127.0.0.1", 5432)) == 0:
            return "postgresql://postgres@127.0.0.1:5432/postgres"
    return None


async def test_migrations_run_on_an_external_postgres() -> None:
    url = external_postgres()
    if url is None:
        pytest.skip("no external Postgres: set YIWANG_EXTERNAL_PG to test one")
    from tests.services import create_database

    try:
        db = await create_database(url)
    except (OSError, asyncpg.PostgresError) as exc:
        pytest.skip(f"external Postgres at {url} refused us: {exc}")
    pool = await asyncpg.create_pool(db, min_size=1, max_size=2)
    try:
        assert await migrate(pool) == [m.name for m in load_migrations()]
        assert await migrate(pool) == []
    finally:
        await pool.close()


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("runuser"), reason="needs root to switch user")
def test_embedded_services_run_as_an_ordinary_user() -> None:
    # A home that `nobody` can reach: pytest's own temporary directories are private to root (0700), and
    # yiwang no longer opens its parents to everyone (docs/security.md), so the test makes one under /tmp.
    top = Path(tempfile.mkdtemp(prefix="yw-nobody-"))
    top.chmod(0o755)
    home = top / "nobody"
    home.mkdir()
    shutil.chown(home, "nobody")
    try:
        _run_embedded_services_as_nobody(home)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _run_embedded_services_as_nobody(home: Path) -> None:
    script = (
        "from pathlib import Path; from ops.embedded import EmbeddedServices; import asyncio, asyncpg\n"
        f"s = EmbeddedServices(Path({str(home / 'data')!r})); st = s.start()\n"
        "async def q():\n"
        "    c = await asyncpg.connect(st['postgres'].url); print(await c.fetchval('select 41 + 1')); await c.close()\n"
        "asyncio.run(q()); print(sorted(s.stop()))\n"
    )
    out = subprocess.run(["runuser", "-u", "nobody", "--", sys.executable, "-c", script], cwd=ROOT,
                         env={"HOME": str(home), "PATH": os.environ["PATH"]}, capture_output=True, text=True,
                         timeout=120, check=False)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["42", "['nats',", "'postgres']"]
