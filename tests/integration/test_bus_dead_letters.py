"""A poison event is retried up to max-deliver then dead-lettered with its reason; good events still go through."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from core.bus import Bus, Consumer, ConsumerRunner, DocumentChanged

pytestmark = pytest.mark.integration
SITE = "dlq-test"


class Picky(Consumer[DocumentChanged]):
    """Applies every change except those of one poisoned document, which always fail."""

    name = "dlq-test-consumer"
    event_types = (DocumentChanged,)
    stream = "YW_DOC"
    subject = f"{DocumentChanged.SUBJECT}.{SITE}"

    def __init__(self) -> None:
        self.applied: list[str] = []
        self.attempts = 0

    async def handle(self, batch: Sequence[DocumentChanged]) -> None:
        if any(e.document_id == "poison" for e in batch):
            self.attempts += 1
            raise RuntimeError("cannot apply the poisoned document")
        self.applied += [e.document_id for e in batch]


def change(doc: str) -> DocumentChanged:
    return DocumentChanged(document_id=doc, url=f"http://x/{doc}", site_id=SITE, change="created", version=1,
                           content_hash=doc)  # fmt: skip


async def test_poison_and_malformed_events_are_dead_lettered(bus: Bus) -> None:
    dlq = await bus.js.subscribe("yw.dlq.dlq-test-consumer", ordered_consumer=True)
    for doc in ("a", "poison", "b"):
        await bus.publish(change(doc))
    await bus.js.publish(f"{DocumentChanged.SUBJECT}.{SITE}", b"{not json", headers={"Nats-Msg-Id": "garbage-1"})
    consumer = Picky()
    runner = ConsumerRunner(bus, consumer, batch=10, max_deliver=3, ack_wait_s=2)
    task = asyncio.create_task(runner.run())
    reasons = {}
    try:
        for _ in range(2):
            msg = await dlq.next_msg(timeout=30)
            reasons[msg.data] = msg.headers or {}
    finally:
        runner.stop()
        await task
    assert sorted(consumer.applied) == ["a", "b"], "good events in the same batch are applied once each"
    assert consumer.attempts >= 3, "the poisoned event was retried up to max-deliver"
    poisoned = next(h for d, h in reasons.items() if b'"poison"' in d)
    assert "cannot apply the poisoned document" in poisoned["Yw-Reason"]
    assert poisoned["Yw-Original-Subject"] == f"{DocumentChanged.SUBJECT}.{SITE}"
    assert reasons[b"{not json"]["Yw-Reason"].startswith("malformed:")
    assert runner.stats.dead_lettered == 2
