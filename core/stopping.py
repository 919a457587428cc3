"""Work that a stop request cuts short: a stopping process must not wait for a Postgres that hangs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def unless_stopped(work: Awaitable[T], stop: asyncio.Event, *, grace: float = 0.0) -> asyncio.Future[T]:
    """Run `work` until it ends, or until `stop` is set and `grace` seconds more have passed. Returns its future:
    done (its result or exception to read) or, when the stop came first, cancelled and perhaps not yet finished —
    the caller awaits that or not (a statement on a hung Postgres holds even its cancellation); an outcome nobody
    reads is not reported."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done() and grace > 0:
            await asyncio.wait({task}, timeout=grace)
    finally:
        stopping.cancel()
        if not task.done():
            task.cancel()
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
    return task


def finished(future: asyncio.Future[T]) -> bool:
    """Whether the work ran to its end (a result or its own exception), not cut short by the stop."""
    return future.done() and not future.cancelled()
