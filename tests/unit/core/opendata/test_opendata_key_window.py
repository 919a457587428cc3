"""The developer keys' sliding window: when the next call fits, told in Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.opendata.keys import wait_s, window_of


def test_the_window_is_the_minute_and_the_share_of_it_passed() -> None:
    start, elapsed = window_of(datetime(2026, 1, 1, 8, 30, 45, 500_000, tzinfo=UTC))
    assert start == datetime(2026, 1, 1, 8, 30, tzinfo=UTC) and elapsed == pytest.approx(45.5 / 60)


def test_a_full_minute_waits_for_the_next_one_and_then_for_its_weight_to_fall() -> None:
    # 2 of 2 used at 0:15: next minute starts in 45 s; its weight must fall below 1 call (half of it): 30 s more
    assert wait_s(rate=2, prev=0, cur=2, elapsed=0.25) == pytest.approx(75.0)
    assert wait_s(rate=1, prev=0, cur=1, elapsed=0.5) == pytest.approx(90.0)


def test_the_previous_minute_weighs_less_as_this_one_passes() -> None:
    # 10 calls last minute, 5 this one, rate 10: 10 * (1 - s) + 5 + 1 <= 10 once s >= 0.6; at 0.25 that is 21 s on
    assert wait_s(rate=10, prev=10, cur=5, elapsed=0.25) == pytest.approx(21.0)
    assert wait_s(rate=10, prev=10, cur=5, elapsed=0.7) == 0.0
    assert wait_s(rate=10, prev=0, cur=5, elapsed=0.1) == 0.0
