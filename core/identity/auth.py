"""Turning a bearer token into a Principal: the one entry the API (schema/context.py) calls.

The OpenID Connect provider (core/identity, issue 13) implements `authenticate_bearer`; everything that needs to
know who calls (the user space, roles on admin mutations, the audit trail) goes through `Context.principal()`.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import asyncpg

from core.identity.principal import Principal, Role
from core.identity.tokens import verify_access_token
from core.settings import Settings

BREAK_GLASS = Principal(
    user_id=None, username="break-glass", name="ADMIN_TOKEN", roles=(Role(name="admin"),), break_glass=True
)


def is_break_glass(settings: Settings, token: str) -> bool:
    """The bearer token is this server's ADMIN_TOKEN (off unless set): the bootstrap before any admin exists."""
    expected = settings.admin_token
    return bool(expected) and hmac.compare_digest(token.encode(), str(expected).encode())


async def authenticate_bearer(*, pool: asyncpg.Pool, settings: Settings, token: str, now: datetime) -> Principal:
    """The principal behind an access token this provider issued; raises `core.errors.Unauthenticated` for a
    token that is malformed, tampered, expired, revoked, signed by an unknown key, or whose session ended."""
    if is_break_glass(settings, token):
        return BREAK_GLASS
    return await verify_access_token(pool=pool, settings=settings, token=token, now=now)
