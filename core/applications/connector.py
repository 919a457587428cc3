"""The connector interface: a service platform's progress reports, published as `ApplicationUpdated` events.

A connector is anything that yields updates (a poller of the platform's API, a webhook's queue, the demo); `forward`
publishes each one to JetStream, whose key (platform, application, seq) makes a repeated update a duplicate.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Protocol

from core.bus import ApplicationUpdated, Bus
from core.errors import Invalid

MAX_TEXT = 500
# Where the table holds less than MAX_TEXT (migration 0015's checks): an update refused here is told to the
# connector, one refused by the table would only reach the consumer's dead letters.
MAX_CHARS = {"platform": 64, "application_id": 128}


class ApplicationSource(Protocol):
    """What a connector to a service platform provides."""

    name: str

    def updates(self) -> AsyncIterator[ApplicationUpdated]:
        """Progress reports as they come (a finite batch or an endless feed)."""
        ...


def check_update(update: ApplicationUpdated) -> ApplicationUpdated:
    """Invalid for an update the user space cannot keep: ids missing or too long, a negative seq, no time."""
    for name in ("platform", "application_id", "username", "service", "stage"):
        value, most = getattr(update, name), MAX_CHARS.get(name, MAX_TEXT)
        if not isinstance(value, str) or not value.strip() or len(value) > most:
            raise Invalid(f"ApplicationUpdated.{name} must be text of 1-{most} characters")
    if not isinstance(update.seq, int) or update.seq < 0:
        raise Invalid(f"ApplicationUpdated.seq must be a whole number ≥ 0, not {update.seq!r}")
    try:
        datetime.fromisoformat(update.occurred_at)
    except (TypeError, ValueError):
        raise Invalid(f"ApplicationUpdated.occurred_at is not an ISO time: {update.occurred_at!r}") from None
    return update


async def forward(source: ApplicationSource, bus: Bus) -> int:
    """Publish every update the source yields; returns how many were published."""
    sent = 0
    async for update in source.updates():
        await bus.publish(check_update(update))
        sent += 1
    return sent
