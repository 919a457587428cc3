"""A consumer declares the event types it reads; the base builds its NATS filter and decodes by subject."""

from __future__ import annotations

from collections.abc import Sequence

from core.bus import Consumer, DocumentChanged


class OneSite(Consumer[DocumentChanged]):
    name = "one-site"
    event_types = (DocumentChanged,)
    stream = "YW_DOC"
    subject = f"{DocumentChanged.SUBJECT}.demo"

    async def handle(self, batch: Sequence[DocumentChanged]) -> None:
        pass


def test_a_narrowed_subject_is_the_filter_and_still_decodes() -> None:
    consumer = OneSite()
    config = consumer.config(max_deliver=3, ack_wait_s=5, batch=10)
    assert (config.filter_subject, config.filter_subjects, config.max_ack_pending) == (
        "yw.doc.changed.v1.demo",
        None,
        80,
    )
    event = DocumentChanged(
        document_id="d", url="http://a/", site_id="demo", change="created", version=1, content_hash="h"
    )
    assert consumer.decode(event.subject, event.encode()) == event
