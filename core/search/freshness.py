"""Waiting until the search-projector has applied the document changes a caller published."""

from __future__ import annotations

from core.bus import Bus
from core.bus.progress import DOC_STREAM, SEARCH_PROJECTOR, wait_until_acked

PROJECTOR, PROJECTOR_STREAM = SEARCH_PROJECTOR, DOC_STREAM  # the names the benchmarks read


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
    every document announced up to then is searchable. Raise NotConsuming or StillPending (both
    Upstream) as `core.bus.progress.wait_until_acked` does.
    """
    return await wait_until_acked(
        bus, seq, stream=PROJECTOR_STREAM, consumer=consumer, timeout_s=timeout_s, stall_s=stall_s, poll_s=poll_s
    )
