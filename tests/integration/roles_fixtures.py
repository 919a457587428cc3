"""People with roles and real access tokens, and an API that accepts them (tests of roles and the audit trail)."""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from core.identity import roles
from core.identity.accounts import create_user
from core.identity.tokens import issue_access_token
from core.settings import Settings
from core.sites import parse_sites, sync_sites
from tests.integration.conftest import serve_api

ISSUER = "http://roles.yiwang.test"  # the API and the tokens agree on it, whatever port the API gets
RUN = uuid.uuid4().hex[:6]
SITE_A, SITE_B = f"roles-a-{RUN}", f"roles-b-{RUN}"
DEPARTMENT = "市民政局"


@dataclass(frozen=True)
class Person:
    username: str
    user_id: uuid.UUID
    token: str


@dataclass(frozen=True)
class RolesWorld:
    url: str
    settings: Settings
    admin: Person
    editor: Person  # editor of SITE_A
    replier: Person  # replier for DEPARTMENT
    nobody: Person  # signed in, no role


async def person(pool: asyncpg.Pool, settings: Settings, name: str, **role: Any) -> Person:
    username = f"{name}-{uuid.uuid4().hex[:6]}"
    user_id = await create_user(pool=pool, username=username, name=name, password=None, settings=settings)
    if role:
        await roles.grant_role(pool=pool, user_id=user_id, granted_by="tests", **role)
    token = await issue_access_token(
        pool=pool, settings=settings, user_id=user_id, client_id="roles-tests", now=datetime.now(UTC)
    )
    return Person(username=username, user_id=user_id, token=token)


def sites_yaml() -> str:
    return "sites:\n" + "".join(
        f"  - {{id: {s}, name: 站点{s[-8:]}, level: 市, start_urls: ['http://{s}.yiwang.test/']}}\n"
        for s in (SITE_A, SITE_B)
    )


@contextlib.asynccontextmanager
async def open_world(settings: Settings, pg_pool: asyncpg.Pool) -> AsyncIterator[RolesWorld]:
    """Two sites, four people (admin, editor of SITE_A, replier for DEPARTMENT, no role) and an API for them."""
    await sync_sites(pg_pool, parse_sites(sites_yaml()))
    issuing = dataclasses.replace(settings, public_url=ISSUER)
    people = {
        "admin": await person(pg_pool, issuing, "r-admin", role="admin"),
        "editor": await person(pg_pool, issuing, "r-editor", role="editor", site_id=SITE_A),
        "replier": await person(pg_pool, issuing, "r-replier", role="replier", department=DEPARTMENT),
        "nobody": await person(pg_pool, issuing, "r-nobody"),
    }
    async with serve_api(settings, public_url=ISSUER) as url:
        yield RolesWorld(url=url, settings=issuing, **people)


def code_of(body: dict[str, Any]) -> str | None:
    errors = body.get("errors") or []
    return str(errors[0]["extensions"]["code"]) if errors else None


async def audit_rows(pool: asyncpg.Pool, **where: Any) -> list[asyncpg.Record]:
    """Rows of the trail matching `where` (column = value), newest first: what a test checks was recorded."""
    names = list(where)
    condition = " and ".join(f"{n} = ${i + 1}" for i, n in enumerate(names)) or "true"
    return list(await pool.fetch(f"select * from audit_trail where {condition} order by id desc", *where.values()))
