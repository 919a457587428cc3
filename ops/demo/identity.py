"""The demo's identity: every demo site registered as a client of the provider, a demo citizen (real-name
level 3) and a demo web-office admin (role admin), whose passwords are kept in DATA_DIR/demo-citizen-password and
DATA_DIR/demo-admin-password (0600), made on the first start. The admin replaces a shared admin token in the demo:
the break-glass ADMIN_TOKEN stays off unless set."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from core.db import connect_pool
from core.identity import accounts
from core.identity.clients import get_client, register_client
from core.identity.roles import grant_role
from core.settings import Settings
from core.sites import load_sites_file
from core.sites.config import SiteConfig
from ops.embedded_auth import write_private

DEMO_CITIZEN = "demo-citizen"
DEMO_CITIZEN_NAME = "演示市民"
PASSWORD_FILE = "demo-citizen-password"
DEMO_ADMIN = "demo-admin"
DEMO_ADMIN_NAME = "演示网站管理员"
ADMIN_PASSWORD_FILE = "demo-admin-password"
CALLBACK_PATH = "/auth/callback"


def demo_password(settings: Settings, file: str = PASSWORD_FILE) -> str:
    path = settings.data_dir / file
    try:
        password = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        password = ""
    if len(password) < accounts.MIN_PASSWORD:
        password = secrets.token_urlsafe(12)
        write_private(path, password + "\n")
    return password


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def register_demo_clients(pool: asyncpg.Pool, sites: Sequence[SiteConfig]) -> list[str]:
    """Each demo site as a public client (PKCE): redirect URI `<origin>/auth/callback`, back to `<origin>/`
    after logout. Returns the ids registered now (none on a restart)."""
    made = []
    for site in sites:
        if not site.start_urls or await get_client(pool=pool, client_id=site.id) is not None:
            continue
        base = origin(site.start_urls[0])
        await register_client(
            pool=pool,
            client_id=site.id,
            redirect_uris=[base + CALLBACK_PATH],
            public=True,
            site_id=site.id,
            post_logout_redirect_uris=[base + "/"],
        )
        made.append(site.id)
    return made


async def _demo_account(pool: asyncpg.Pool, settings: Settings, username: str, name: str, file: str) -> None:
    """The account exists at level 3 with the password kept in `file` (a new file resets the password)."""
    password = demo_password(settings, file)
    user = await accounts.find_user(pool=pool, username=username)
    if user is None:
        await accounts.create_user(
            pool=pool, username=username, name=name, password=password, real_name_level=3, settings=settings
        )
    elif await accounts.check_credentials(pool=pool, username=username, password=password, totp=None) is None:
        await accounts.set_password(pool=pool, user_id=user.id, password=password)


async def prepare_demo_identity(pool: asyncpg.Pool, settings: Settings, sites: Sequence[SiteConfig]) -> list[str]:
    """Register the demo clients, the demo citizen and the demo admin; the banner lines saying how to sign in."""
    await register_demo_clients(pool, sites)
    await _demo_account(pool, settings, DEMO_CITIZEN, DEMO_CITIZEN_NAME, PASSWORD_FILE)
    await _demo_account(pool, settings, DEMO_ADMIN, DEMO_ADMIN_NAME, ADMIN_PASSWORD_FILE)
    admin = await accounts.find_user(pool=pool, username=DEMO_ADMIN)
    assert admin is not None
    await grant_role(pool=pool, user_id=admin.id, role="admin", granted_by="yiwang up (demo)")
    where = settings.data_dir / PASSWORD_FILE
    return [
        f"  sign in  {settings.issuer}/.well-known/openid-configuration  as {DEMO_CITIZEN} (password in {where})",
        f"  admin    {DEMO_ADMIN} (role admin; password in {settings.data_dir / ADMIN_PASSWORD_FILE}); a bearer"
        f" token for the terminal: yiwang users token {DEMO_ADMIN} --issuer {settings.issuer}",
    ]


async def demo_identity(settings: Settings, sites_file: Path, *, demo: bool) -> list[str]:
    """`yiwang up` with the demo: clients and citizen ready; the banner's sign-in line (nothing without the demo)."""
    if not demo:
        return []
    pool = await connect_pool(settings, max_size=2)
    try:
        return await prepare_demo_identity(pool, settings, load_sites_file(sites_file))
    finally:
        await pool.close()
