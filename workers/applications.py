"""The applications consumer: progress from the service platform becomes the user space's applications."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import asyncpg

from core.applications import apply_updates
from core.bus import ApplicationProgressed, ApplicationUpdated, Bus, Consumer

log = logging.getLogger(__name__)


class ApplicationsConsumer(Consumer[ApplicationUpdated]):
    """Stores each report once, keeping the newest by the platform's seq; nudges `myUpdates` after commit."""

    name = "applications"
    event_types = (ApplicationUpdated,)
    stream = "YW_USER"

    def __init__(self, pool: asyncpg.Pool, bus: Bus) -> None:
        self.pool = pool
        self.bus = bus

    async def handle(self, batch: Sequence[ApplicationUpdated]) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            newest = await apply_updates(conn, batch)
        for u in newest:
            nudge = ApplicationProgressed(
                username=u.username, platform=u.platform, application_id=u.application_id, seq=u.seq
            )
            try:
                await self.bus.notify(nudge)
            except Exception as exc:  # a lost nudge only delays a live view; the progress is committed
                log.warning("application progress not pushed", extra={"error": repr(exc)})
