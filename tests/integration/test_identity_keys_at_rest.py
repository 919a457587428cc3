"""Identity secrets at rest: private signing keys and TOTP secrets sealed with IDENTITY_KEY_SECRET (existing plain
ones sealed at start), refused clearly with a wrong or missing secret; the portal's sessions keep their tokens
sealed too. Without a secret everything keeps working as before and production is warned."""

from __future__ import annotations

import dataclasses
import json
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pyotp
import pytest

from api.pages.sessions import BUCKET, PortalSession, SessionStore, _key
from core.bus import Bus
from core.db import migrate
from core.errors import Invalid
from core.identity import accounts, keys, login, sealing
from core.identity.accounts import create_user
from core.identity.tokens import issue_access_token, verify_access_token
from core.settings import Settings
from tests.integration.identity_flows import quick_argon2  # noqa: F401 - a fixture
from tests.services import create_database

pytestmark = pytest.mark.integration
SECRET = "key-encryption-secret-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
async def own_pool(service_urls: dict[str, str]) -> AsyncIterator[asyncpg.Pool]:
    """A database of its own: sealing changes every key of a database, which the other tests share."""
    pool = await asyncpg.create_pool(await create_database(service_urls["database"]), min_size=1, max_size=4)
    await migrate(pool)
    yield pool
    await pool.close()


async def _token(pool: asyncpg.Pool, settings: Settings, now: datetime) -> tuple[uuid.UUID, str]:
    user_id = await create_user(pool=pool, username=f"keys-{uuid.uuid4().hex[:8]}", name="密钥", password=None)
    return user_id, await issue_access_token(pool=pool, settings=settings, user_id=user_id, client_id="c", now=now)


async def test_keys_are_sealed_at_rest_with_the_secret(own_pool: asyncpg.Pool, settings: Settings) -> None:
    now = datetime.now(UTC)
    plain = settings
    user_id, before = await _token(own_pool, plain, now)  # keys made before the secret was set: stored plain
    assert all(not sealing.is_sealed(r[0]) for r in await own_pool.fetch("select private_jwk from identity_keys"))

    sealed = dataclasses.replace(plain, identity_key_secret=SECRET)
    assert await keys.prepare_at_rest(own_pool, sealed, now) == 2, "the start seals the two keys stored plain"
    await keys.rotate(pool=own_pool, settings=sealed, now=now)  # new keys are sealed as they are made
    rows = await own_pool.fetch("select private_jwk from identity_keys")
    assert len(rows) == 4 and all(sealing.is_sealed(r[0]) and '"d"' not in r[0] for r in rows)
    assert (await verify_access_token(pool=own_pool, settings=sealed, token=before, now=now)).user_id == user_id
    _, after = await _token(own_pool, sealed, now)
    assert (await verify_access_token(pool=own_pool, settings=sealed, token=after, now=now)).user_id is not None
    assert await keys.prepare_at_rest(own_pool, sealed, now) == 0, "a second start has nothing to seal"

    wrong = dataclasses.replace(plain, identity_key_secret="another-secret-of-enough-length")
    with pytest.raises(Invalid, match="IDENTITY_KEY_SECRET"):
        await keys.prepare_at_rest(own_pool, wrong, now)  # a wrong secret stops the start
    with pytest.raises(Invalid, match="set IDENTITY_KEY_SECRET"):
        await keys.ring(own_pool, plain).load(own_pool, now)  # and no secret cannot read sealed keys


async def test_without_a_secret_keys_stay_plain_and_production_is_warned(
    pg_pool: asyncpg.Pool, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    now = datetime.now(UTC)
    caplog.set_level(logging.WARNING, logger="core.identity.keys")
    assert await keys.prepare_at_rest(pg_pool, settings, now) == 0  # http://127.0.0.1: development, no warning
    assert not [r for r in caplog.records if "IDENTITY_KEY_SECRET" in r.getMessage()]
    production = dataclasses.replace(settings, public_url="https://id.example.gov.cn")
    assert await keys.prepare_at_rest(pg_pool, production, now) == 0
    warned = [r for r in caplog.records if "IDENTITY_KEY_SECRET is not set" in r.getMessage()]
    assert len(warned) == 1 and warned[0].levelno == logging.WARNING
    assert all(not sealing.is_sealed(r[0]) for r in await pg_pool.fetch("select private_jwk from identity_keys"))
    user_id, token = await _token(pg_pool, settings, now)
    assert (await verify_access_token(pool=pg_pool, settings=settings, token=token, now=now)).user_id == user_id


async def _signs_in(pool: asyncpg.Pool, settings: Settings, username: str, code: str) -> bool:
    outcome = await login.sign_in(
        pool=pool,
        settings=settings,
        username=username,
        password=PASSWORD,
        totp=code,
        address=f"198.51.100.{uuid.uuid4().int % 250}",
        now=datetime.now(UTC),
    )
    return isinstance(outcome, uuid.UUID)


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


PASSWORD = "totp at rest correct horse"


async def test_totp_secrets_are_sealed_at_rest_with_the_secret(own_pool: asyncpg.Pool, settings: Settings) -> None:
    sealed = dataclasses.replace(settings, identity_key_secret=SECRET)
    old, new = f"old-{uuid.uuid4().hex[:6]}", f"new-{uuid.uuid4().hex[:6]}"
    old_secret, new_secret = pyotp.random_base32(), pyotp.random_base32()
    await create_user(pool=own_pool, username=old, name="旧", password=PASSWORD, totp_secret=old_secret)  # plain
    await create_user(
        pool=own_pool, username=new, name="新", password=PASSWORD, totp_secret=new_secret, settings=sealed
    )
    stored = {r[0]: r[1] for r in await own_pool.fetch("select username, totp_secret from identity_users")}
    assert stored[old] == old_secret, "made before the secret was set"
    assert sealing.is_sealed(stored[new]) and new_secret not in stored[new]

    await keys.prepare_at_rest(own_pool, sealed, datetime.now(UTC))  # the start seals the plain one
    stored_old = await own_pool.fetchval("select totp_secret from identity_users where username = $1", old)
    assert sealing.is_sealed(stored_old) and old_secret not in stored_old
    for username, secret in ((old, old_secret), (new, new_secret)):
        code = pyotp.TOTP(secret).now()
        assert await _signs_in(own_pool, sealed, username, code), "verification is unchanged"
        assert not await _signs_in(own_pool, sealed, username, _wrong(code))
        with pytest.raises(Invalid, match="set IDENTITY_KEY_SECRET"):
            await _signs_in(own_pool, settings, username, code)  # a process without the secret cannot check it
    with pytest.raises(Invalid, match="does not open"):
        await accounts.seal_totp_at_rest(pool=own_pool, secret="another-secret-of-enough-length")


async def test_without_a_secret_totp_secrets_stay_plain_and_work(pg_pool: asyncpg.Pool, settings: Settings) -> None:
    username = f"plain-{uuid.uuid4().hex[:6]}"
    user_id = await create_user(pool=pg_pool, username=username, name="明文", password=PASSWORD)
    secret = await accounts.enable_totp(pool=pg_pool, user_id=user_id, settings=settings)
    assert await pg_pool.fetchval("select totp_secret from identity_users where id = $1", user_id) == secret
    assert await _signs_in(pg_pool, settings, username, pyotp.TOTP(secret).now())


async def _raw(bus: Bus, cookie: str) -> str:
    entry = await (await bus.js.key_value(BUCKET)).get(_key(cookie))
    assert entry.value is not None
    return entry.value.decode()


async def test_the_portal_keeps_its_tokens_sealed(bus: Bus, settings: Settings) -> None:
    tokens = {name: f"{name}-{uuid.uuid4().hex}" for name in ("access_token", "refresh_token", "id_token")}
    session = PortalSession(**tokens, expires_at=1e12, name="王市民", sid="sid-" + uuid.uuid4().hex)
    with_secret = SessionStore(bus.js, ttl_s=settings.session_ttl_s, secret=SECRET)
    cookie = await with_secret.save(session)
    raw = await _raw(bus, cookie)
    assert all(value not in raw for value in tokens.values()) and "王市民" in json_text(raw)
    loaded = await with_secret.load(cookie)
    assert loaded is not None and loaded.signed_in and loaded.refresh_token == tokens["refresh_token"]
    other = SessionStore(bus.js, ttl_s=settings.session_ttl_s, secret="another-secret-of-enough-length")
    assert await other.load(cookie) is None, "a session that does not open is signed out"
    assert await SessionStore(bus.js, ttl_s=settings.session_ttl_s).load(cookie) is None

    plain = SessionStore(bus.js, ttl_s=settings.session_ttl_s)  # without IDENTITY_KEY_SECRET: as before
    before = await plain.save(session)
    assert tokens["access_token"] in await _raw(bus, before)
    reread = await with_secret.load(before)  # a session saved before the secret was set still works
    assert reread is not None and reread.access_token == tokens["access_token"]


def json_text(raw: str) -> str:
    return str(json.loads(raw))
