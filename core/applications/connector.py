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


class ApplicationSource(Protocol):
    """What a connector to a service platform provides."""

    name: str

    def updates(self) -> AsyncIterator[ApplicationUpdated]:
        """Progress reports as they come (a finite batch or an endless feed)."""
        ...


def check_update(update: ApplicationUpdated) -> ApplicationUpdated:
    """Invalid for an update the user space cannot keep: ids missing or too long, a negative seq, no time."""
    for name in ("platform", "application_id", "username", "service", "stage"):
        value = getattr(update, name)
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
            raise Invalid(f"ApplicationUpdated.{name} must be text of 1-{MAX_TEXT} characters")
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
