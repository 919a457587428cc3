"""Identity upkeep for real: the scheduler's pruning of what expired, and back-channel logout retried against a
real local site (aiohttp) that fails before it answers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import asyncpg
import pytest
from aiohttp import web
from joserfc import jwt
from joserfc.jwk import KeySet

from core.identity import backchannel, keys, login, logout, outbox_store, provider, session_store, upkeep
from core.identity.accounts import create_user
from core.identity.clients import authenticate_client, register_client
from core.identity.tokens import digest, issue_access_token, verify_access_token
from core.settings import Settings
from tests.conftest import free_port
from tests.integration.identity_flows import pkce_pair

pytestmark = pytest.mark.integration
CALLBACK = "https://upkeep-site.example/callback"


async def _user(pool: asyncpg.Pool) -> uuid.UUID:
    return await create_user(pool=pool, username=f"upkeep-{uuid.uuid4().hex[:8]}", name="维护", password=None)


async def _session(pool: asyncpg.Pool, settings: Settings, user_id: uuid.UUID, now: datetime) -> uuid.UUID:
    started = await login.start_session(pool=pool, settings=settings, user_id=user_id, amr=["pwd"], now=now)
    return started.session.id


async def test_pruning_forgets_what_expired_and_keeps_what_lives(pg_pool: asyncpg.Pool, settings: Settings) -> None:
    now = datetime.now(UTC)
    user_id = await _user(pg_pool)
    client = f"upkeep-prune-{uuid.uuid4().hex[:6]}"
    await register_client(pool=pg_pool, client_id=client, redirect_uris=[CALLBACK], public=True)
    past = now - timedelta(seconds=settings.session_ttl_s + 60)  # sessions started then have expired
    expired = await _session(pg_pool, settings, user_id, past)
    ended = await _session(pg_pool, settings, user_id, now)
    await session_store.end_session(pg_pool, ended, now - timedelta(seconds=1))
    live = await _session(pg_pool, settings, user_id, now)
    token = await issue_access_token(pool=pg_pool, settings=settings, user_id=user_id, client_id="c", now=now)
    common = {"client_id": client, "redirect_uri": CALLBACK, "scopes": ["openid"], "nonce": None}
    common["code_challenge"] = None
    await session_store.insert_code(
        pg_pool,
        code_hash="old-code-" + digest(str(live)),
        session_id=live,
        expires_at=now - timedelta(seconds=1),
        **common,
    )
    await session_store.insert_code(
        pg_pool,
        code_hash="new-code-" + digest(str(live)),
        session_id=live,
        expires_at=now + timedelta(seconds=60),
        **common,
    )
    for name, session_id, expires in (
        ("old", live, now - timedelta(seconds=1)),
        ("new", live, now + timedelta(days=1)),
        ("dies-with-session", expired, now + timedelta(days=1)),
    ):
        await session_store.insert_refresh(
            pg_pool,
            token_hash=f"{name}-{live}",
            family=uuid.uuid4(),
            code_hash=None,
            client_id=client,
            session_id=session_id,
            scopes=["openid"],
            expires_at=expires,
        )
    await session_store.revoke_access(pg_pool, f"old-jti-{live}", now - timedelta(seconds=1))
    await session_store.revoke_access(pg_pool, f"new-jti-{live}", now + timedelta(seconds=60))

    pruned = await upkeep.prune(pool=pg_pool, settings=settings, now=now)

    assert pruned["sessions"] >= 2 and pruned["codes"] >= 1 and pruned["refresh_tokens"] >= 1
    sessions = {r["id"] for r in await pg_pool.fetch("select id from identity_sessions where user_id = $1", user_id)}
    assert live in sessions and expired not in sessions and ended not in sessions
    codes = {r[0] for r in await pg_pool.fetch("select code_hash from identity_codes where session_id = $1", live)}
    assert codes == {"new-code-" + digest(str(live))}
    refresh = {
        r[0]
        for r in await pg_pool.fetch(
            "select token_hash from identity_refresh_tokens where token_hash like $1", f"%-{live}"
        )
    }
    assert refresh == {f"new-{live}"}, "expired tokens and those of a forgotten session go"
    revoked = {
        r[0] for r in await pg_pool.fetch("select jti from identity_revoked_tokens where jti like $1", f"%-jti-{live}")
    }
    assert revoked == {f"new-jti-{live}"}
    assert (await verify_access_token(pool=pg_pool, settings=settings, token=token, now=now)).user_id == user_id


@dataclass
class Site:
    """A relying party's back channel that answers `statuses` in turn (then 200), recording each token."""

    statuses: list[int]
    received: list[str] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append(str((await request.post())["logout_token"]))
        return web.Response(status=self.statuses.pop(0) if self.statuses else 200)


@pytest.fixture
async def site() -> AsyncIterator[tuple[Site, str]]:
    rp = Site(statuses=[503])
    app = web.Application()
    app.router.add_post("/backchannel", rp.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield rp, f"http://127.0.0.1:{port}/backchannel"
    finally:
        await runner.cleanup()


async def _code(pool: asyncpg.Pool, settings: Settings, client_id: str, now: datetime) -> tuple[uuid.UUID, str, str]:
    """A person signed in at the provider and sent back to `client_id` with a code: (session id, code, verifier)."""
    session_id = await _session(pool, settings, await _user(pool), now)
    verifier, challenge = pkce_pair()
    params = {
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "openid",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    request = await provider.parse_authorization(pool=pool, settings=settings, pairs=list(params.items()))
    session = await session_store.session_by_id(pool, session_id)
    assert session is not None
    location = await provider.issue_code(pool=pool, settings=settings, request=request, session=session, now=now)
    return session_id, parse_qs(urlsplit(location).query)["code"][0], verifier


async def _signed_in_at(
    pool: asyncpg.Pool, settings: Settings, client_id: str, secret: str | None, now: datetime
) -> uuid.UUID:
    """A person signed in at the provider who went through the code flow at `client_id`: the session's id."""
    session_id, code, verifier = await _code(pool, settings, client_id, now)
    client = await authenticate_client(pool=pool, client_id=client_id, secret=secret)
    await provider.exchange_code(
        pool=pool, settings=settings, client=client, code=code, redirect_uri=CALLBACK, code_verifier=verifier, now=now
    )
    return session_id


async def _outbox(pool: asyncpg.Pool, session_id: uuid.UUID) -> asyncpg.Record:
    return await pool.fetchrow("select * from identity_logout_outbox where session_id = $1", session_id)


async def test_a_back_channel_logout_the_site_refused_is_retried_until_it_answers(
    pg_pool: asyncpg.Pool, settings: Settings, site: tuple[Site, str]
) -> None:
    rp, uri = site
    client_id = f"upkeep-{uuid.uuid4().hex[:6]}"
    secret = await register_client(
        pool=pg_pool, client_id=client_id, redirect_uris=[CALLBACK], backchannel_logout_uri=uri
    )
    now = datetime.now(UTC)
    session_id = await _signed_in_at(pg_pool, settings, client_id, secret, now)

    assert await logout.end_session(pool=pg_pool, settings=settings, session_id=session_id, now=now) == []
    owed = await _outbox(pg_pool, session_id)
    assert (owed["attempts"], owed["delivered_at"], owed["last_error"]) == (1, None, "HTTP 503")
    assert owed["next_attempt_at"] == now + backchannel.retry_after(1)
    assert await backchannel.deliver_due(pool=pg_pool, settings=settings, now=now + timedelta(seconds=1)) == 0
    assert len(rp.received) == 1, "not due yet: nothing sent"

    later = now + backchannel.retry_after(1)
    await upkeep.run(pool=pg_pool, settings=settings, now=later)  # the scheduler's tick

    done = await _outbox(pg_pool, session_id)
    assert (done["attempts"], done["delivered_at"]) == (2, later)
    assert len(rp.received) == 2
    key_set = KeySet.import_key_set(await keys.jwks(pg_pool, settings, later))
    token = jwt.decode(rp.received[-1], key_set)
    assert token.header["typ"] == "logout+jwt" and token.claims["sid"] == str(session_id)
    assert token.claims["aud"] == client_id and token.claims["iat"] == int(later.timestamp()), "signed afresh"
    assert "http://schemas.openid.net/event/backchannel-logout" in token.claims["events"]
    await backchannel.deliver_due(pool=pg_pool, settings=settings, now=later + timedelta(hours=1))
    assert len(rp.received) == 2, "a delivered logout is not sent again"


async def test_a_site_that_stays_down_is_given_up_after_the_last_attempt(
    pg_pool: asyncpg.Pool, settings: Settings
) -> None:
    down = f"http://127.0.0.1:{free_port()}/backchannel"  # nothing listens there
    client_id = f"upkeep-down-{uuid.uuid4().hex[:6]}"
    secret = await register_client(
        pool=pg_pool, client_id=client_id, redirect_uris=[CALLBACK], backchannel_logout_uri=down
    )
    now = datetime.now(UTC)
    session_id = await _signed_in_at(pg_pool, settings, client_id, secret, now)
    await logout.end_session(pool=pg_pool, settings=settings, session_id=session_id, now=now)
    at = now
    for attempt in range(1, backchannel.MAX_ATTEMPTS):
        owed = await _outbox(pg_pool, session_id)
        assert owed["attempts"] == attempt and owed["gave_up_at"] is None and owed["last_error"] == "ConnectError"
        at = owed["next_attempt_at"]
        await backchannel.deliver_due(pool=pg_pool, settings=settings, now=at)
    gone = await _outbox(pg_pool, session_id)
    assert (gone["attempts"], gone["gave_up_at"], gone["delivered_at"]) == (backchannel.MAX_ATTEMPTS, at, None)
    assert at - now > timedelta(hours=5), "the backoff spreads the attempts over hours"
    # (outbox_store alone: a whole prune that far ahead would take other tests' live sessions too)
    await outbox_store.prune_settled(pg_pool, at + timedelta(seconds=1))
    assert await _outbox(pg_pool, session_id) is None, "settled deliveries are forgotten after a while"


async def test_code_exchanges_on_a_full_pool_do_not_wait_for_each_other_when_keys_reload(
    settings: Settings, database_url: str
) -> None:
    """The key cache expires while every pooled connection serves an exchange: the reload must still get one
    (the token endpoint takes its keys before it holds a connection). The old code deadlocked here."""
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        client_id = f"upkeep-pool-{uuid.uuid4().hex[:6]}"
        secret = await register_client(pool=pool, client_id=client_id, redirect_uris=[CALLBACK])
        client = await authenticate_client(pool=pool, client_id=client_id, secret=secret)
        now = datetime.now(UTC)
        codes = [await _code(pool, settings, client_id, now) for _ in range(8)]
        keys.ring(pool, settings).loaded_at = -1e9  # the cache has expired: every exchange wants a reload

        async def exchange(code: str, verifier: str) -> dict[str, object]:
            return await provider.exchange_code(
                pool=pool,
                settings=settings,
                client=client,
                code=code,
                redirect_uri=CALLBACK,
                code_verifier=verifier,
                now=now,
            )

        bodies = await asyncio.wait_for(asyncio.gather(*(exchange(c, v) for _, c, v in codes)), timeout=30)
        assert all({"access_token", "id_token", "refresh_token"} <= set(b) for b in bodies)
    finally:
        await pool.close()
