"""The disclosure notification consumer: published and revised items reach their unit's subscribers."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from core.bus import Bus, Consumer
from core.bus.events import DisclosurePublished
from core.clock import Clock, system_clock
from core.disclosure.notices import InboxNotifier, Notifier, deliver_pending, fan_out, resend_outbox


class DisclosureNotify(Consumer[DisclosurePublished]):
    """Fans each announcement out to the subscribers of the item's units (once per user and revision) and
    hands the notifications to the `Notifier`; each batch also re-sends what a crashed writer left in the outbox
    and retries deliveries a channel refused."""

    name = "disclosure-notify"
    event_types = (DisclosurePublished,)
    stream = "YW_DISCLOSURE"

    def __init__(
        self,
        pool: asyncpg.Pool,
        bus: Bus,
        *,
        notifier: Notifier | None = None,
        base_url: str | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.pool = pool
        self.bus = bus
        self.notifier: Notifier = notifier or InboxNotifier()
        self.clock = clock
        self.base_url = base_url  # where items' pages are, for re-sent announcements (search)

    async def handle(self, batch: Sequence[DisclosurePublished]) -> None:
        now = self.clock()
        await fan_out(pool=self.pool, notifier=self.notifier, events=batch, now=now)
        await deliver_pending(pool=self.pool, notifier=self.notifier, now=now)
        await resend_outbox(pool=self.pool, bus=self.bus, now=now, base_url=self.base_url)
