"""Identity upkeep, run by the scheduler's leader every tick (workers/scheduler.py): forget sessions, codes, refresh
tokens, revocations, login-failure counts and pending upstream sign-ins that can no longer be used, and retry the
back-channel logouts that are due. Each statement touches only rows past their time (indexed), so a tick with
nothing to do costs a few index probes."""

from __future__ import annotations

import logging
from datetime import datetime

import asyncpg

from core.errors import YiwangError
from core.identity import backchannel, outbox_store, session_store, throttle_store, upstream_store
from core.settings import Settings

log = logging.getLogger(__name__)


async def prune(*, pool: asyncpg.Pool, settings: Settings, now: datetime) -> dict[str, int]:
    """Delete what has expired; returns how many rows of each kind went."""
    pruned = await session_store.prune(pool, now)
    pruned["login_failures"] = await throttle_store.prune(pool, now, window_s=settings.login_failure_window_s)
    await upstream_store.prune_logins(pool, now)
    pruned["logout_outbox"] = await outbox_store.prune_settled(pool, now - backchannel.KEEP_SETTLED)
    if any(pruned.values()):
        log.info("identity pruned", extra={"pruned": pruned})
    return pruned


async def run(*, pool: asyncpg.Pool, settings: Settings, now: datetime) -> None:
    """One tick of upkeep: prune, then retry due back-channel logouts."""
    await prune(pool=pool, settings=settings, now=now)
    try:
        await backchannel.deliver_due(pool=pool, settings=settings, now=now)
    except YiwangError as exc:  # sealed keys and no IDENTITY_KEY_SECRET here: the scheduler's other work goes on
        log.error("back-channel logout retries cannot sign", extra={"error": exc.message})
