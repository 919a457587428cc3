"""`yiwang up` with the demo: every demo site is a client and a demo citizen can sign in."""

from __future__ import annotations

import dataclasses
import stat
import uuid
from pathlib import Path

import asyncpg
import pytest

from core.identity import accounts
from core.identity.clients import get_client, register_client
from core.identity.roles import roles_of
from core.settings import Settings
from core.sites import load_sites_file, sync_sites
from core.sites.config import SiteConfig
from ops.demo.identity import (
    ADMIN_PASSWORD_FILE,
    DEMO_ADMIN,
    DEMO_CITIZEN,
    PASSWORD_FILE,
    demo_identity,
    prepare_demo_identity,
)
from tests.integration.identity_flows import quick_argon2  # noqa: F401 - fixture

pytestmark = pytest.mark.integration


def site(sid: str, port: int) -> SiteConfig:
    url = f"http://127.0.0.1:{port}/"
    return SiteConfig(id=sid, name=sid, level="市", start_urls=[url], allowed_hosts=["127.0.0.1"])


async def test_demo_sites_become_clients_and_the_demo_citizen_signs_in(
    pg_pool: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    own = dataclasses.replace(settings, data_dir=tmp_path)
    tag = uuid.uuid4().hex[:6]
    sites = [site(f"demo-a-{tag}", 18001), site(f"demo-b-{tag}", 18002)]
    await sync_sites(pg_pool, sites)  # as `yiwang up` stores them first: a client's site must be stored
    lines = await prepare_demo_identity(pg_pool, own, sites)
    assert len(lines) == 2 and DEMO_CITIZEN in lines[0] and str(tmp_path / PASSWORD_FILE) in lines[0]
    assert DEMO_ADMIN in lines[1] and str(tmp_path / ADMIN_PASSWORD_FILE) in lines[1]
    client = await get_client(pool=pg_pool, client_id=sites[0].id)
    assert client is not None and client.public and client.site_id == sites[0].id
    assert client.redirect_uris == ("http://127.0.0.1:18001/auth/callback",)
    password_file = tmp_path / PASSWORD_FILE
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    password = password_file.read_text().strip()
    assert password not in lines[0], "the banner names the file, not the password"
    user_id = await accounts.check_credentials(pool=pg_pool, username=DEMO_CITIZEN, password=password, totp=None)
    assert user_id is not None
    assert (await accounts.get_user(pool=pg_pool, user_id=user_id)).real_name_level == 3
    password_file.unlink()  # a restart after the file was lost: a new password the account follows
    await prepare_demo_identity(pg_pool, own, sites)
    again = password_file.read_text().strip()
    assert await accounts.check_credentials(pool=pg_pool, username=DEMO_CITIZEN, password=again, totp=None) == user_id


async def test_only_a_hash_of_a_client_secret_is_stored(pg_pool: asyncpg.Pool) -> None:
    client_id = f"conf-{uuid.uuid4().hex[:6]}"
    secret = await register_client(pool=pg_pool, client_id=client_id, redirect_uris=["https://x.example/cb"])
    assert secret is not None and len(secret) >= 40
    row = await pg_pool.fetchrow("select * from identity_clients where client_id = $1", client_id)
    assert secret not in str(dict(row)) and row["secret_hash"]


async def test_up_prepares_identity_only_for_the_demo(
    pg_pool: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    sid = f"demo-c-{uuid.uuid4().hex[:6]}"
    sites = tmp_path / "sites.yaml"
    sites.write_text(
        f"sites:\n  - {{id: {sid}, name: 演示, level: 市, start_urls: ['http://127.0.0.1:18003/']}}\n", "utf-8"
    )
    await sync_sites(pg_pool, load_sites_file(sites))  # as `yiwang up` does before
    own = dataclasses.replace(settings, data_dir=tmp_path)
    assert await demo_identity(own, sites, demo=False) == []
    lines = await demo_identity(own, sites, demo=True)
    assert lines and DEMO_CITIZEN in lines[0]


async def test_the_demo_admin_is_a_person_with_the_admin_role(
    pg_pool: asyncpg.Pool, settings: Settings, tmp_path: Path
) -> None:
    """The demo's web office signs in as a person (audited by name), not with a shared token."""
    own = dataclasses.replace(settings, data_dir=tmp_path)
    lines = await prepare_demo_identity(pg_pool, own, [])
    password = (tmp_path / ADMIN_PASSWORD_FILE).read_text().strip()
    assert password not in "\n".join(lines)
    user_id = await accounts.check_credentials(pool=pg_pool, username=DEMO_ADMIN, password=password, totp=None)
    assert user_id is not None
    assert [r.name for r in await roles_of(pg_pool, user_id)] == ["admin"]
    await prepare_demo_identity(pg_pool, own, [])  # a restart grants nothing twice
    assert [r.name for r in await roles_of(pg_pool, user_id)] == ["admin"]
