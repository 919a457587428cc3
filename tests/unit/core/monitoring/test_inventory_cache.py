"""The inventoryComparison cache: one read per level, page and period, shared by callers at once, failures not kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from core.monitoring import inventory
from core.monitoring.inventory import InventoryCache

NOW = datetime(2031, 5, 1, 3, tzinfo=UTC)


class Reads:
    """Stands in for `compare_sites` (which needs Postgres): counts reads, can fail once, answers late."""

    def __init__(self, *, fail_first: bool = False) -> None:
        self.levels: list[str | None] = []
        self.pages: list[tuple[int, int]] = []
        self.fail_first = fail_first

    async def __call__(
        self, pool: Any, now: datetime, *, level: str | None = None, offset: int = 0, limit: int = 50
    ) -> list[Any]:
        self.levels.append(level)
        self.pages.append((offset, limit))
        await asyncio.sleep(0.01)  # not a wait: the read takes a moment, so callers overlap
        if self.fail_first and len(self.levels) == 1:
            raise ConnectionError("postgres went away")
        return [f"inventory of {level}"]


async def test_callers_at_once_share_one_read_per_level(monkeypatch: pytest.MonkeyPatch) -> None:
    reads = Reads()
    monkeypatch.setattr(inventory, "compare_sites", reads)
    cache = InventoryCache(ttl_s=60)
    answers = await asyncio.gather(*(cache.compare(None, NOW) for _ in range(30)))
    assert answers == [["inventory of None"]] * 30 and reads.levels == [None]
    await cache.compare(None, NOW, level="区县")
    await cache.compare(None, NOW)
    assert reads.levels == [None, "区县"]
    await cache.compare(None, NOW, offset=50, limit=50)
    await cache.compare(None, NOW, offset=50, limit=50)
    assert reads.pages == [(0, 50), (0, 50), (50, 50)], "one read per page"


async def test_a_failed_read_is_not_kept_and_ttl_zero_is_no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    reads = Reads(fail_first=True)
    monkeypatch.setattr(inventory, "compare_sites", reads)
    cache = InventoryCache(ttl_s=60)
    with pytest.raises(ConnectionError):
        await cache.compare(None, NOW)
    assert await cache.compare(None, NOW) == ["inventory of None"]
    off = InventoryCache(ttl_s=0)
    await off.compare(None, NOW)
    await off.compare(None, NOW)
    assert len(reads.levels) == 4
