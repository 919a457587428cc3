"""People with real accounts and real access tokens for user-space tests (core.identity, as the provider makes them)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from core.bus import ApplicationUpdated
from core.identity import accounts
from core.identity.principal import Principal
from core.identity.roles import grant_role
from core.identity.tokens import issue_access_token, verify_access_token
from core.settings import Settings


@dataclass(frozen=True)
class Person:
    user_id: UUID
    username: str
    token: str
    principal: Principal


async def person(
    pool: asyncpg.Pool,
    settings: Settings,
    now: datetime,
    *,
    level: int = 2,
    name: str = "张三",
    replier_of: str | None = None,
) -> Person:
    """A new account at a real-name level (optionally a department's replier), signed in: a real token and the
    principal the provider verifies it as."""
    username = f"u{secrets.token_hex(5)}"
    user_id = await accounts.create_user(pool=pool, username=username, name=name, password=None, real_name_level=level)
    if replier_of:
        await grant_role(pool=pool, user_id=user_id, role="replier", department=replier_of)
    token = await issue_access_token(pool=pool, settings=settings, user_id=user_id, client_id="portal", now=now)
    principal = await verify_access_token(pool=pool, settings=settings, token=token, now=now)
    return Person(user_id, username, token, principal)


def progress(username: str, application_id: str, seq: int, stage: str, at: str, **kw: str) -> ApplicationUpdated:
    return ApplicationUpdated(
        platform="zwfw",
        application_id=application_id,
        username=username,
        service="住房公积金提取",
        stage=stage,
        seq=seq,
        occurred_at=at,
        status=kw.get("status", f"已{stage}"),
        department=kw.get("department", "市住房公积金中心"),
        note=kw.get("note", ""),
    )
