"""A consumer asked to stop gives back the batch it had prefetched, so that it is redelivered at once — not
after the ack wait (the CI run of 2026-12-04 found 2 of 10 pages still missing 15 s after such a stop)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Sequence

import pytest

from core.bus import Bus, Consumer, ConsumerRunner, DocumentChanged

pytestmark = pytest.mark.integration
ACK_WAIT_S = 30.0


class Slow(Consumer[DocumentChanged]):
    """Takes the first batch it is given and never finishes it, until the runner's stop cuts it short."""

    event_types = (DocumentChanged,)
    stream = "YW_DOC"

    def __init__(self, site: str, *, hold: bool) -> None:
        self.name = f"prefetch-{site}"
        self.subject = f"{DocumentChanged.SUBJECT}.{site}"
        self.hold = hold
        self.busy = asyncio.Event()
        self.applied: set[str] = set()

    async def handle(self, batch: Sequence[DocumentChanged]) -> None:
        self.busy.set()
        if self.hold:
            await asyncio.Event().wait()  # never set: the stop's grace cancels it
        self.applied |= {e.document_id for e in batch}


def change(site: str, n: int) -> DocumentChanged:
    # The document id names the site: an event's key is its Nats-Msg-Id, and another test's `d0` published in
    # the stream's duplicate window would make this one a duplicate that JetStream drops (CI, 2026-12-04).
    return DocumentChanged(
        document_id=f"{site}-d{n}",
        url=f"http://{site}/{n}",
        site_id=site,
        change="created",
        version=1,
        content_hash=str(n),
    )


async def test_a_stop_gives_back_the_prefetched_batch_as_well_as_the_one_in_hand(bus: Bus) -> None:
    site = f"prefetch-{secrets.token_hex(3)}"
    for n in range(6):
        await bus.publish(change(site, n))
    holding = Slow(site, hold=True)
    runner = ConsumerRunner(bus, holding, batch=2, ack_wait_s=ACK_WAIT_S)
    runner.stop_grace_s = 0.2
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(holding.busy.wait(), timeout=10)
    await asyncio.sleep(0.5)  # not a wait: the next batch's fetch, made while the first is handled, arrives
    runner.stop()
    await asyncio.wait_for(task, timeout=10)

    started = time.monotonic()
    applying = Slow(site, hold=False)
    again = ConsumerRunner(bus, applying, batch=2, ack_wait_s=ACK_WAIT_S)
    rerun = asyncio.create_task(again.run())
    try:
        while len(applying.applied) < 6 and time.monotonic() - started < 10:  # noqa: ASYNC110 - a bounded poll
            await asyncio.sleep(0.1)
    finally:
        again.stop()
        await rerun
    assert applying.applied == {f"{site}-d{n}" for n in range(6)}, "a batch was left to the ack wait"
    assert time.monotonic() - started < ACK_WAIT_S / 2
