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
    PageImported,
    ResultClicked,
    SearchLogged,
    subject_for_site,
)
from core.bus.feature_events import (
    ApplicationProgressed,
    ApplicationUpdated,
    DatasetChanged,
    DisclosurePublished,
    HallChanged,
    LetterReplied,
    LetterSubmitted,
    disclosure_subject,
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
    "DatasetChanged",
    "DisclosurePublished",
    "DocumentChanged",
    "Event",
    "HallChanged",
    "HotQueriesUpdated",
    "LetterReplied",
    "LetterSubmitted",
    "PageFetched",
    "PageImported",
    "ResultClicked",
    "SearchLogged",
    "consumer_lag",
    "disclosure_subject",
    "subject_for_site",
    "user_key",
]
