"""Waiting in tests: poll a condition until a deadline, never sleep for a guessed time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class NotMet(AssertionError):
    """A condition polled by `eventually` did not hold before its deadline."""


async def eventually(
    probe: Callable[[], Awaitable[T]],
    check: Callable[[T], object] = bool,
    *,
    timeout: float = 30.0,
    interval: float = 0.05,
    what: str = "condition",
) -> T:
    """Call `probe` until `check` holds for its value and return that value; fail with the last value seen.

    An exception from `probe` or `check` ends the wait at once: a probe asserts what must never happen.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if check(value):
            return value
        if time.monotonic() > deadline:
            raise NotMet(f"{what} not met within {timeout} s; last value: {value!r}")
        await asyncio.sleep(interval)


async def until_delivered(
    poke: Callable[[], Awaitable[object]], delivered: Callable[[], bool], *, timeout: float = 15.0
) -> None:
    """Poke (publish a harmless probe) until `delivered()`: a live NATS subscriber is in place.

    A core-NATS subscription only sees what is published after the server registered it, and nothing says
    when that is; the first probe that arrives does. Probes may arrive more than once.
    """

    async def look_then_poke() -> bool:
        if delivered():
            return True
        await poke()
        return False

    await eventually(look_then_poke, timeout=timeout, interval=0.1, what="a probe reaching the live subscriber")
