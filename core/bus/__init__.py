"""The event bus: NATS JetStream carries facts (events), read by durable consumers."""

from core.bus.client import Bus
from core.bus.consumer import Consumer, ConsumerRunner, consumer_lag
from core.bus.events import (
    STREAMS,
    AlertRaised,
    ApplicationProgressed,
    ApplicationUpdated,
    DocumentChanged,
    Event,
    HotQueriesUpdated,
    LetterReplied,
    LetterSubmitted,
    PageFetched,
    ResultClicked,
    SearchLogged,
    subject_for_site,
    user_key,
)

__all__ = [
    "STREAMS",
    "AlertRaised",
    "ApplicationProgressed",
    "ApplicationUpdated",
    "Bus",
    "Consumer",
    "ConsumerRunner",
    "DocumentChanged",
    "Event",
    "HotQueriesUpdated",
    "LetterReplied",
    "LetterSubmitted",
    "PageFetched",
    "ResultClicked",
    "SearchLogged",
    "consumer_lag",
    "subject_for_site",
    "user_key",
]
