"""Waiting on a consumer's ack floor: done when it passes the sequence, an error when nobody consumes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from core.bus import progress
from core.bus.progress import NotConsuming, StillPending, wait_until_acked


def lags(monkeypatch: pytest.MonkeyPatch, values: Iterator[dict[str, int] | None]) -> list[tuple[str, str]]:
    asked: list[tuple[str, str]] = []

    async def fake_lag(bus: Any, stream: str, consumer: str) -> dict[str, int]:
        asked.append((stream, consumer))
        value = next(values)
        if value is None:
            raise progress.NotFoundError()
        return value

    monkeypatch.setattr(progress, "consumer_lag", fake_lag)
    return asked


def lag(acked: int, waiting: int = 0, pending: int = 0) -> dict[str, int]:
    return {"acked": acked, "waiting": waiting, "pending": pending, "ack_pending": 0}


async def test_returns_once_the_ack_floor_reaches_the_sequence(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = lags(monkeypatch, iter([None, lag(3, waiting=1), lag(7)]))
    waited = await wait_until_acked(None, 7, stream="YW_DOC", consumer="p", poll_s=0)  # type: ignore[arg-type]
    assert waited >= 0 and asked == [("YW_DOC", "p")] * 3


async def test_nobody_consuming_is_an_upstream_error(monkeypatch: pytest.MonkeyPatch) -> None:
    lags(monkeypatch, iter([None] * 1000))
    with pytest.raises(NotConsuming, match="no p is consuming YW_DOC"):
        await wait_until_acked(None, 1, stream="YW_DOC", consumer="p", stall_s=0.01, poll_s=0.001)  # type: ignore[arg-type]


async def test_a_slow_consumer_times_out_with_what_is_pending(monkeypatch: pytest.MonkeyPatch) -> None:
    lags(monkeypatch, (lag(n, waiting=1, pending=5) for n in range(1000)))
    with pytest.raises(StillPending) as err:
        await wait_until_acked(None, 10_000, stream="S", consumer="p", timeout_s=0.01, poll_s=0.001)  # type: ignore[arg-type]
    assert err.value.details["pending"] == 5
