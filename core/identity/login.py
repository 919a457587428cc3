"""Signing in at the provider: throttled password (and TOTP) checks, and browser sessions in Postgres.

Every way of signing in — the local password form, and later an upstream provider's callback (federation) —
ends in `start_session`, which always makes a new session with a new cookie secret (no fixation)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import asyncpg

from core.clock import beijing_time
from core.identity import accounts, session_store, throttle_store
from core.identity.models import Session
from core.identity.tokens import digest, new_secret
from core.settings import Settings


@dataclass(frozen=True, kw_only=True)
class Refused:
    """Why a sign-in was refused: a message for the person, and whether a lockout is in force."""

    message: str
    locked_until: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Started:
    session: Session
    cookie: str  # the secret the browser holds; only its hash is stored


def throttle_keys(username: str, address: str) -> tuple[str, str]:
    return f"user:{username.strip().lower()}", f"addr:{address}"


def _locked(until: datetime) -> Refused:
    # Beijing time, whatever zone the server is set to: people signing in read the clock on their wall
    shown = beijing_time(until)
    return Refused(message=f"登录失败次数过多，已暂时锁定，请于北京时间 {shown} 后再试。", locked_until=until)


async def sign_in(
    *,
    pool: asyncpg.Pool,
    settings: Settings,
    username: str,
    password: str,
    totp: str | None,
    address: str,
    now: datetime,
) -> UUID | Refused:
    """The account when the credentials are right and neither the account nor the address is locked out;
    else why not. A failure counts against both; a success clears the account's count."""
    account_key, address_key = throttle_keys(username, address)
    locked = await throttle_store.failure_state(pool, (account_key, address_key), now)
    if locked is not None:
        return _locked(locked)
    user_id = await accounts.check_credentials(
        pool=pool, username=username.strip(), password=password, totp=totp, settings=settings
    )
    if user_id is not None:
        await throttle_store.clear_failures(pool, account_key)
        return user_id
    window, lockout = settings.login_failure_window_s, settings.login_lockout_s
    limits = ((account_key, settings.login_max_failures_account), (address_key, settings.login_max_failures_address))
    lock = None
    for key, limit in limits:
        set_now = await throttle_store.record_failure(
            pool, key=key, now=now, window_s=window, limit=limit, lockout_s=lockout
        )
        lock = lock or set_now
    if lock is not None:
        return _locked(lock)
    return Refused(message="用户名、密码或动态验证码不正确。")


async def start_session(
    *, pool: asyncpg.Pool, settings: Settings, user_id: UUID, amr: Sequence[str], now: datetime
) -> Started:
    """A new session (new id, new cookie secret) for a person who just signed in."""
    cookie = new_secret()
    expires_at = now + timedelta(seconds=settings.session_ttl_s)
    session_id = await session_store.insert_session(
        pool, cookie_hash=digest(cookie), user_id=user_id, auth_time=now, amr=amr, expires_at=expires_at
    )
    session = Session(
        id=session_id, user_id=user_id, auth_time=now, amr=tuple(amr), expires_at=expires_at, ended_at=None
    )
    return Started(session=session, cookie=cookie)


async def current_session(*, pool: asyncpg.Pool, cookie: str | None, now: datetime) -> Session | None:
    """The live session of a browser's cookie, if any."""
    if not cookie:
        return None
    return await session_store.session_by_cookie(pool, digest(cookie), now)
