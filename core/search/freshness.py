"""Waiting until the search-projector has applied the document changes a caller published."""

from __future__ import annotations

import asyncio
import time

from nats.js.errors import NotFoundError

from core.bus import Bus, consumer_lag
from core.errors import Upstream

PROJECTOR = "search-projector"
PROJECTOR_STREAM = "YW_DOC"


async def wait_until_projected(
    bus: Bus,
    seq: int,
    *,
    consumer: str = PROJECTOR,
    timeout_s: float = 600.0,
    stall_s: float = 20.0,
    poll_s: float = 0.2,
) -> float:
    """Return (seconds waited) once the projector has acked every YW_DOC message up to stream sequence `seq`.

    The projector acks a batch only after the engine has it, so an ack floor at or past `seq` means
    every document announced up to then is searchable. Raise Upstream when no projector is pulling
    for `stall_s` while nothing moves, or after `timeout_s` in any case.
    """
    started = time.monotonic()
    last_acked, last_move = -1, started
    while True:
        try:
            lag: dict[str, int] | None = await consumer_lag(bus, PROJECTOR_STREAM, consumer)
        except NotFoundError:
            lag = None
        now = time.monotonic()
        if lag is not None and lag["acked"] >= seq:
            return now - started
        if lag is not None and (lag["acked"] != last_acked or lag["waiting"] > 0):
            last_acked, last_move = lag["acked"], now
        if now - last_move >= stall_s:
            raise Upstream(
                f"the documents are stored but not yet searchable: no {consumer} is consuming "
                f"{PROJECTOR_STREAM} (waited {now - started:.0f} s). Start `yiwang consumers` or `yiwang up`; "
                "the documents become searchable as soon as it runs."
            )
        if now - started >= timeout_s:
            pending = f"{lag['pending'] + lag['ack_pending']} changes" if lag else "changes"
            raise Upstream(
                f"the documents are stored but the search-projector has not applied them after {timeout_s:.0f} s "
                f"({pending} still waiting): check the `yiwang consumers` logs"
            )
        await asyncio.sleep(poll_s)
