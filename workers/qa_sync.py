"""The 12345 hotline knowledge-base sync as a job: takes the queued run's id (core/qa/sync.py)."""

from __future__ import annotations

from core.qa.sync import run_queued
from core.settings import Settings
from workers.runtime import opened


async def sync_hotline(settings: Settings, run_id: int) -> None:
    """Sync HOTLINE_SOURCE into the Q&A pairs as the queued run `run_id`; a redelivered, finished run is skipped."""
    async with opened(settings, f"hotline-sync-{run_id}", pool_size=3) as rt:
        await run_queued(pool=rt.pool, settings=settings, run_id=int(run_id), now=rt.clock())
