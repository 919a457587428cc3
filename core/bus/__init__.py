"""The event bus: NATS JetStream carries facts (events), read by durable consumers."""

from core.bus.client import Bus
from core.bus.consumer import Consumer, ConsumerRunner, consumer_lag
from core.bus.events import (
    STREAMS,
    AlertRaised,
    DocumentChanged,
    Event,
    HotQueriesUpdated,
    PageFetched,
    ResultClicked,
    SearchLogged,
    subject_for_site,
)

__all__ = [
    "STREAMS",
    "AlertRaised",
    "Bus",
    "Consumer",
    "ConsumerRunner",
    "DocumentChanged",
    "Event",
    "HotQueriesUpdated",
    "PageFetched",
    "ResultClicked",
    "SearchLogged",
    "consumer_lag",
    "subject_for_site",
]
