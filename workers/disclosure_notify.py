"""The disclosure notification consumer: published and revised items reach their unit's subscribers."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from core.bus import Bus, Consumer, DisclosurePublished
from core.clock import Clock, system_clock
from core.disclosure.notices import OUTBOX_AGE, InboxNotifier, Notifier, deliver_pending, fan_out, resend_outbox


class DisclosureNotify(Consumer[DisclosurePublished]):
    """Fans each announcement out to the subscribers of the item's units (once per user and revision) and
    hands the notifications to the `Notifier`. A timer (every `tick_every_s`, events or not; without one, each
    batch) re-sends what a crashed writer left in the outbox and retries deliveries a channel refused."""

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
        resend_every_s: float = OUTBOX_AGE.total_seconds(),
    ) -> None:
        self.pool = pool
        self.bus = bus
        self.notifier: Notifier = notifier or InboxNotifier()
        self.clock = clock
        self.base_url = base_url  # where items' pages are, for re-sent announcements (search)
        self.tick_every_s = resend_every_s or None  # 0: only when an event arrives

    async def handle(self, batch: Sequence[DisclosurePublished]) -> None:
        now = self.clock()
        await fan_out(pool=self.pool, notifier=self.notifier, events=batch, now=now)
        if self.tick_every_s is None:  # no timer: what is owed waits for the next batch
            await self.tick()

    async def tick(self) -> None:
        """What is owed without a new event: the outbox's stale announcements, refused deliveries."""
        now = self.clock()
        await deliver_pending(pool=self.pool, notifier=self.notifier, now=now)
        await resend_outbox(pool=self.pool, bus=self.bus, now=now, base_url=self.base_url)
