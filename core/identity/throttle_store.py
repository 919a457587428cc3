"""SQL on failed sign-ins per account and per address (the login throttle, shared by every API replica)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.identity.session_store import Conn


async def failure_state(conn: Conn, keys: Sequence[str], now: datetime) -> datetime | None:
    """The latest lockout among `keys` still in force, if any."""
    return await conn.fetchval(
        "select max(locked_until) from identity_login_failures where key = any($1) and locked_until > $2",
        list(keys),
        now,
    )


async def record_failure(
    conn: Conn, *, key: str, now: datetime, window_s: int, limit: int, lockout_s: int
) -> datetime | None:
    """Count one failed sign-in for `key` (a new window once the old one passed); when this failure reaches
    `limit`, lock the key for `lockout_s` and start counting afresh. Returns the lockout it set, if any."""
    failures = await conn.fetchval(
        """insert into identity_login_failures as f (key, failures, window_start) values ($1, 1, $2)
           on conflict (key) do update set
               failures = case when f.window_start < $2 - make_interval(secs => $3) then 1 else f.failures + 1 end,
               window_start = case when f.window_start < $2 - make_interval(secs => $3) then $2
                   else f.window_start end
           returning failures""",
        key,
        now,
        float(window_s),
    )
    if failures < limit:
        return None
    return await conn.fetchval(
        """update identity_login_failures set locked_until = $2::timestamptz + make_interval(secs => $3), failures = 0,
               window_start = $2
           where key = $1 returning locked_until""",
        key,
        now,
        float(lockout_s),
    )


async def clear_failures(conn: Conn, key: str) -> None:
    await conn.execute("delete from identity_login_failures where key = $1", key)


async def prune(conn: Conn, now: datetime, *, window_s: int) -> int:
    """Forget counts whose window has passed and whose lockout, if any, is over."""
    done = await conn.execute(
        """delete from identity_login_failures
           where window_start < $1::timestamptz - make_interval(secs => $2)
             and (locked_until is null or locked_until < $1)""",
        now,
        float(window_s),
    )
    return int(done.split()[-1])
