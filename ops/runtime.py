"""Settings for a process: from the environment, with embedded services filling in what is not set."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import dataclass

from core.db import connect_pool, migrate
from core.errors import Conflict, Upstream
from core.jobs import ensure_broker_schema
from core.logs import setup_logging
from core.settings import Settings, get_settings
from ops.embedded import EmbeddedServices

log = logging.getLogger(__name__)


@dataclass
class Resolved:
    """Settings with every URL set, and which embedded services this call started."""

    settings: Settings
    started: list[str]

    def child_env(self) -> dict[str, str]:
        """Environment for child processes: theirs plus the resolved URLs, so they start nothing."""
        env = dict(os.environ)
        env["DATABASE_URL"] = self.settings.database_url or ""
        env["NATS_URL"] = self.settings.nats_url or ""
        env["DATA_DIR"] = str(self.settings.data_dir.resolve())
        # `yiwang up --port N` lives in these settings only: the web process must listen where up looks
        env["HOST"], env["PORT"] = self.settings.host, str(self.settings.port)
        if self.settings.broker_url:
            env["BROKER_URL"] = self.settings.broker_url
        return env


def resolve(settings: Settings | None = None, *, start: bool = False, nats: bool = True) -> Resolved:
    """Fill DATABASE_URL / NATS_URL from the embedded services of DATA_DIR. Only `start=True` (`yiwang up`)
    starts them; otherwise services that are not running are an error that says how to start them. `nats=False`:
    a command that uses Postgres alone (migrate, users, roles, clients, keys) does not ask for NATS."""
    settings = settings or get_settings()
    need_pg, need_nats = not settings.database_url, nats and not settings.nats_url
    if not (need_pg or need_nats):
        return Resolved(settings, [])
    services = EmbeddedServices(settings.data_dir, nats_monitor=settings.nats_monitor)
    before = {name for name, state in services.status().items() if state}
    if start:
        try:
            states = services.start(postgres=need_pg, nats=need_nats)
        except BaseException:  # one started, the next failed or Ctrl-C: leave nothing of this start running
            for name in {n for n, state in services.status().items() if state} - before:
                services.stop(only=name)
            raise
    else:
        states = {n: s for n, s in services.status().items() if s is not None}
        _require(
            settings, [n for n, needed in (("postgres", need_pg), ("nats", need_nats)) if needed and n not in states]
        )
    urls = {}
    if need_pg and "postgres" in states:
        urls["database_url"] = states["postgres"].url
    if need_nats and "nats" in states:
        urls["nats_url"] = states["nats"].url
    started = [n for n in states if n not in before]
    if started:
        log.info("embedded services started", extra={"services": started, "data_dir": str(settings.data_dir)})
    return Resolved(settings.with_urls(**urls), started)


def _require(settings: Settings, missing: list[str]) -> None:
    if missing:
        raise Upstream(
            f"no services running in DATA_DIR {settings.data_dir.resolve()} ({' and '.join(missing)} not running): "
            "run `yiwang up` or `yiwang services start`, or set DATABASE_URL / NATS_URL",
            missing=missing,
        )


def cli_log_level(settings: Settings, verbose: int) -> str:
    """A command's log level: WARNING (its output is what it prints), INFO with -v, DEBUG with -vv;
    LOG_LEVEL=ERROR quiets it further."""
    if verbose:
        return "DEBUG" if verbose > 1 else "INFO"
    return "ERROR" if settings.log_level.upper() == "ERROR" else "WARNING"


def setup(process: str) -> Resolved:
    """Common start of the Procfile's processes: logs as LOG_LEVEL / LOG_FORMAT say, URLs of running services."""
    settings = get_settings()
    setup_logging(settings.log_level, settings.log_format, process)
    return resolve(settings)


async def prepare_database(settings: Settings) -> list[str]:
    """Migrate and create the broker tables: what every start does before serving."""
    pool = await connect_pool(settings, max_size=2)
    try:
        applied = await migrate(pool)
        await ensure_broker_schema(pool, settings)
        return applied
    finally:
        await pool.close()


def prepare(settings: Settings) -> list[str]:
    return asyncio.run(prepare_database(settings))


def check_port_free(host: str, port: int) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            raise Conflict(f"port {port} on {host} is already in use: stop what holds it or set PORT") from None
