"""How far a durable consumer has got: waiting until it has acked a stream up to a sequence number."""

from __future__ import annotations

import asyncio
import time

from nats.js.errors import NotFoundError

from core.bus.client import Bus
from core.bus.consumer import consumer_lag
from core.errors import Upstream

# The consumer whose acks mean "searchable", and the stream it reads: named once, here, for the projector
# itself (workers/projector.py), the importer (core.documents) and core.search.freshness.
SEARCH_PROJECTOR = "search-projector"
DOC_STREAM = "YW_DOC"


class NotConsuming(Upstream):
    """Nothing pulled from the stream and nothing was acked for the stall time."""


class StillPending(Upstream):
    """The consumer moves but has not acked up to the sequence within the time allowed."""


async def wait_until_acked(
    bus: Bus,
    seq: int,
    *,
    stream: str,
    consumer: str,
    timeout_s: float = 600.0,
    stall_s: float = 20.0,
    poll_s: float = 0.2,
) -> float:
    """Return (seconds waited) once `consumer` has acked every message of `stream` up to sequence `seq`.

    Raise NotConsuming when no one pulls for `stall_s` while nothing moves, StillPending after
    `timeout_s` in any case (its `pending` says how many messages are still waiting).
    """
    started = time.monotonic()
    last_acked, last_move = -1, started
    while True:
        try:
            lag: dict[str, int] | None = await consumer_lag(bus, stream, consumer)
        except NotFoundError:
            lag = None
        now = time.monotonic()
        if lag is not None and lag["acked"] >= seq:
            return now - started
        if lag is not None and (lag["acked"] != last_acked or lag["waiting"] > 0):
            last_acked, last_move = lag["acked"], now
        if now - last_move >= stall_s:
            raise NotConsuming(f"no {consumer} is consuming {stream}", waited_s=now - started)
        if now - started >= timeout_s:
            pending = lag["pending"] + lag["ack_pending"] if lag else None
            raise StillPending(
                f"{consumer} has not acked {stream} up to {seq}", waited_s=now - started, pending=pending
            )
        await asyncio.sleep(poll_s)


async def wait_until_applied(bus: Bus, *, stream: str, consumer: str, timeout_s: float, poll_s: float = 0.5) -> bool:
    """Wait, at most `timeout_s`, until `consumer` has applied what `stream` held at the call; return whether it did.

    Applied: its ack floor reached the stream's last sequence of that moment, or none of its own messages is pending
    or unacked (a filtered consumer's floor need not move past the other subjects' messages that follow its own).
    False when time runs out, or when no such consumer exists: a caller goes on with what is stored.
    """
    started = time.monotonic()
    try:
        last = int((await bus.js.stream_info(stream)).state.last_seq)
    except NotFoundError:
        return False
    while True:
        try:
            lag = await consumer_lag(bus, stream, consumer)
        except NotFoundError:
            return False
        if lag["acked"] >= last or lag["pending"] == lag["ack_pending"] == 0:
            return True
        if time.monotonic() - started >= timeout_s:
            return False
        await asyncio.sleep(poll_s)
