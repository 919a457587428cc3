"""People with roles and real tokens, a site of their own and a settable clock, for the engagement tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from core.identity import roles
from core.identity.accounts import create_user
from core.identity.tokens import issue_access_token
from core.settings import Settings
from core.sites import add_site_if_missing


@dataclass
class SetClock:
    """A clock a test moves; the API reads it for "now" (and verifies tokens against it)."""

    at: datetime

    def __call__(self) -> datetime:
        return self.at


@dataclass(frozen=True)
class Member:
    username: str
    user_id: uuid.UUID

    async def token(self, pool: asyncpg.Pool, settings: Settings, at: datetime | None = None) -> str:
        """An access token issued at `at` (now by default) by the API whose issuer `settings` names."""
        return await issue_access_token(
            pool=pool,
            settings=settings,
            user_id=self.user_id,
            client_id="engagement-tests",
            now=at or datetime.now(UTC),
        )


async def member(pool: asyncpg.Pool, name: str, *, level: int = 0, **role: Any) -> Member:
    username = f"eg-{uuid.uuid4().hex[:8]}"
    user_id = await create_user(pool=pool, username=username, name=name, password=None, real_name_level=level)
    if role:
        await roles.grant_role(pool=pool, user_id=user_id, granted_by="tests", **role)
    return Member(username=username, user_id=user_id)


async def make_sites(pool: asyncpg.Pool, *site_ids: str) -> None:
    for site in site_ids:
        await add_site_if_missing(pool, site_id=site, name=f"问政{site[-6:]}", level="市")


def code(body: dict[str, Any]) -> str:
    assert body.get("errors"), body
    return str(body["errors"][0]["extensions"]["code"])
