"""Real third-party clients against the provider served by uvicorn on a free port."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import pytest

from core.identity import accounts
from core.identity.clients import register_client
from core.settings import Settings
from tests.integration.identity_flows import Served, identity_server, quick_argon2  # noqa: F401 - fixtures

PASSWORD = "interop password 中文 1"


@dataclass(frozen=True)
class Provider:
    url: str
    settings: Settings
    client_id: str
    client_secret: str
    redirect_uri: str
    post_logout_redirect_uri: str
    username: str
    user_id: uuid.UUID


@pytest.fixture(scope="session")
async def provider(identity_server: Served, pg_pool: asyncpg.Pool) -> AsyncIterator[Provider]:  # noqa: F811
    """One served provider with a confidential client (a site's back end) and a citizen."""
    tag = uuid.uuid4().hex[:6]
    client_id = f"interop-{tag}"
    redirect, after = "https://interop.example/callback", "https://interop.example/signed-out"
    secret = await register_client(
        pool=pg_pool, client_id=client_id, redirect_uris=[redirect], post_logout_redirect_uris=[after]
    )
    assert secret is not None
    username = f"interop{tag}"
    user_id = await accounts.create_user(pool=pg_pool, username=username, name="互通测试", password=PASSWORD)
    yield Provider(identity_server.url, identity_server.settings, client_id, secret, redirect, after, username, user_id)
