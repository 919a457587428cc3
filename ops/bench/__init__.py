"""Benchmarks and measurements run by hand, never by the test suite."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable


async def timed(calls: list[Callable[[], Awaitable[object]]]) -> list[float]:
    """Milliseconds each call took, one after the other."""
    out = []
    for call in calls:
        start = time.perf_counter()
        await call()
        out.append((time.perf_counter() - start) * 1000)
    return out
