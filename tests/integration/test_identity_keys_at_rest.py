"""Private signing keys at rest: sealed with IDENTITY_KEY_SECRET (existing plain keys sealed at start), refused
clearly with a wrong or missing secret; without a secret the provider keeps working and warns in production."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from core.db import migrate
from core.errors import Invalid
from core.identity import keys, sealing
from core.identity.accounts import create_user
from core.identity.tokens import issue_access_token, verify_access_token
from core.settings import Settings
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
