"""A live listener's subject pattern matches subjects as NATS does; a live feed needs a bus and a queue."""

from __future__ import annotations

import pytest

from core.bus import Bus, DocumentChanged
from core.bus.fanout import pattern_matches
from core.errors import Invalid, Upstream
from core.settings import Settings


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        ("yw.doc.changed.v1.a", "yw.doc.changed.v1.a", True),
        ("yw.doc.changed.v1.a", "yw.doc.changed.v1.b", False),
        ("yw.doc.changed.v1.*", "yw.doc.changed.v1.b", True),
        ("yw.doc.changed.v1.*", "yw.doc.changed.v1.b.c", False),
        ("yw.doc.changed.v1.>", "yw.doc.changed.v1.b.c", True),
        ("yw.doc.changed.v1.>", "yw.doc.changed.v1", False),
        ("yw.x.*.*", "yw.x.a", False),
    ],
)
def test_patterns_match_like_nats(pattern: str, subject: str, expected: bool) -> None:
    assert pattern_matches(tuple(pattern.split(".")), tuple(subject.split("."))) is expected


async def test_a_bus_not_connected_refuses_a_live_feed() -> None:
    with pytest.raises(Upstream, match="not connected"):
        await anext(Bus(Settings.from_env({})).live(DocumentChanged, "yw.doc.changed.v1.a"))


def test_a_live_queue_of_no_events_is_refused() -> None:
    with pytest.raises(Invalid, match="LIVE_QUEUE_EVENTS must be at least 1, not 0"):
        Settings.from_env({"LIVE_QUEUE_EVENTS": "0"})
