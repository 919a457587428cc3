"""Back-channel logout delivered durably (OIDC Back-Channel Logout 1.0 §2.5): each logout token owed to a site is
a row of the outbox, written in the transaction that ends the session and sent at once; a site that is down or
answers an error is tried again with exponential backoff (FIRST_RETRY_S doubling up to MAX_BACKOFF_S) by the
scheduler's tick (`deliver_due`), until it answers 2xx or MAX_ATTEMPTS have failed. Every attempt carries a
freshly signed token (a logout token lives two minutes)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import asyncpg
import httpx

from core.identity import outbox_store
from core.identity.clients import get_client
from core.identity.outbox_store import Delivery
from core.identity.tokens import logout_token_claims, sign
from core.settings import Settings

log = logging.getLogger(__name__)
BACKCHANNEL_TIMEOUT_S = 5.0
LEASE_S = 60.0  # longer than an attempt can take: a sweeper never takes a delivery being sent
FIRST_RETRY_S = 10.0
MAX_BACKOFF_S = 3600.0
MAX_ATTEMPTS = 14  # over about 5.4 hours (10 s doubling to 1 h): most sessions at the site have expired by then
BATCH = 100
KEEP_SETTLED = timedelta(days=7)  # delivered or abandoned rows stay this long, for whoever asks why


def retry_after(failed_attempts: int) -> timedelta:
    """How long to wait after the n-th failed attempt."""
    return timedelta(seconds=min(FIRST_RETRY_S * 2 ** (failed_attempts - 1), MAX_BACKOFF_S))


def lease(now: datetime) -> datetime:
    return now + timedelta(seconds=LEASE_S)


async def deliver(
    *, pool: asyncpg.Pool, settings: Settings, deliveries: Sequence[Delivery], now: datetime
) -> list[str]:
    """Send each delivery once and record the outcome; returns the client ids that acknowledged (2xx)."""
    if not deliveries:
        return []
    async with httpx.AsyncClient(timeout=BACKCHANNEL_TIMEOUT_S, follow_redirects=False) as http:
        errors = await asyncio.gather(*(_send(http, pool, settings, d, now) for d in deliveries))
    for delivery, error in zip(deliveries, errors, strict=True):
        await _settle(pool, delivery, error, now)
    return [d.client_id for d, error in zip(deliveries, errors, strict=True) if error is None]


async def deliver_due(*, pool: asyncpg.Pool, settings: Settings, now: datetime, limit: int = BATCH) -> int:
    """Retry the deliveries that are due (the scheduler calls this every tick); returns how many got through."""
    claimed = await outbox_store.claim_due(pool, now=now, lease_until=lease(now), limit=limit)
    return len(await deliver(pool=pool, settings=settings, deliveries=claimed, now=now))


async def _send(
    http: httpx.AsyncClient, pool: asyncpg.Pool, settings: Settings, d: Delivery, now: datetime
) -> str | None:
    """One attempt: None when the site acknowledged, else what went wrong (no response body is kept)."""
    client = await get_client(pool=pool, client_id=d.client_id)
    alg = client.id_token_alg if client else "RS256"
    claims = logout_token_claims(
        settings=settings, client_id=d.client_id, user_id=d.user_id, session_id=d.session_id, now=now
    )
    token = await sign(pool=pool, settings=settings, alg=alg, claims=claims, now=now, typ="logout+jwt")
    try:
        answer = await http.post(d.uri, data={"logout_token": token})
    except httpx.HTTPError as exc:
        return type(exc).__name__
    return None if answer.is_success else f"HTTP {answer.status_code}"


async def _settle(pool: asyncpg.Pool, d: Delivery, error: str | None, now: datetime) -> None:
    made = d.attempts + 1
    fields: dict[str, object] = {"client_id": d.client_id, "attempt": made}
    if error is None:
        await outbox_store.settle(pool, d.id, delivered_at=now, next_attempt_at=now, gave_up_at=None, error=None)
        if made > 1:
            log.info("back-channel logout delivered after retries", extra=fields)
        return
    if made >= MAX_ATTEMPTS:
        await outbox_store.settle(pool, d.id, delivered_at=None, next_attempt_at=now, gave_up_at=now, error=error)
        log.warning("back-channel logout given up", extra=fields | {"error": error})
        return
    retry = now + retry_after(made)
    await outbox_store.settle(pool, d.id, delivered_at=None, next_attempt_at=retry, gave_up_at=None, error=error)
    log.warning(
        "back-channel logout failed; will retry", extra=fields | {"error": error, "retry_at": retry.isoformat()}
    )
