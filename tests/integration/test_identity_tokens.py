"""Accounts and access tokens against the real Postgres: what the user space and roles build on."""

from __future__ import annotations

import base64
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from core.errors import Conflict, Invalid, NotFound, Unauthenticated
from core.identity import accounts, keys
from core.identity.auth import authenticate_bearer
from core.identity.roles import grant_role
from core.identity.tokens import issue_access_token, verify_access_token
from core.settings import Settings
from tests.integration.identity_flows import quick_argon2  # noqa: F401 - fixture

pytestmark = pytest.mark.integration
NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def name(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


async def test_a_person_signs_up_and_the_password_is_stored_hashed(pg_pool: asyncpg.Pool) -> None:
    username = name("zhang")
    user_id = await accounts.create_user(
        pool=pg_pool, username=username, name="张三", password="correct horse battery", real_name_level=3
    )
    user = await accounts.get_user(pool=pg_pool, user_id=user_id)
    assert (user.username, user.name, user.kind, user.real_name_level) == (username, "张三", "person", 3)
    assert (await accounts.find_user(pool=pg_pool, username=username)) == user
    assert await accounts.find_user(pool=pg_pool, username=name("nobody")) is None
    stored = await pg_pool.fetchval("select password_hash from identity_users where id = $1", user_id)
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    ok = await accounts.check_credentials(pool=pg_pool, username=username, password="correct horse battery", totp=None)
    assert ok == user_id
    assert (
        await accounts.check_credentials(pool=pg_pool, username=username, password="wrong password", totp=None) is None
    )
    with pytest.raises(Conflict):
        await accounts.create_user(pool=pg_pool, username=username, name="李四", password="another password")
    with pytest.raises(NotFound):
        await accounts.get_user(pool=pg_pool, user_id=uuid.uuid4())


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"username": "a"}, "username"),
        ({"password": "short"}, "password"),
        ({"real_name_level": 4}, "real-name level"),
        ({"kind": "robot"}, "kind"),
        ({"kind": "legal"}, "credit code"),
        ({"credit_code": "91410100MA44XXXX0A"}, "only a legal person"),
        ({"kind": "legal", "credit_code": "not-a-code"}, "credit code"),
        ({"id_number": "410102199001011235"}, "check character"),
        ({"name": " "}, "name"),
    ],
)
async def test_bad_account_input_is_refused_clearly(pg_pool: asyncpg.Pool, fields: dict, says: str) -> None:
    values: dict = {"username": name("bad"), "name": "王五", "password": "a good long password"} | fields
    with pytest.raises(Invalid, match=says):
        await accounts.create_user(pool=pg_pool, **values)


async def test_a_legal_person_with_an_agent_and_an_id_number_kept_only_as_a_keyed_hash(
    pg_pool: asyncpg.Pool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    id_number = "11010519491231002X"  # the GB 11643 example, valid check character
    agent = await accounts.create_user(
        pool=pg_pool, username=name("agent"), name="赵六", password=None, id_number=id_number, real_name_level=3
    )
    company = await accounts.create_user(
        pool=pg_pool,
        username=name("corp"),
        name="郑州某某有限公司",
        password="company password 1",
        kind="legal",
        credit_code="91410100MA44ABCD1X",
    )
    await accounts.add_agent(pool=pg_pool, legal_id=company, agent_id=agent)
    assert await accounts.agents_of(pool=pg_pool, legal_id=company) == [agent]
    row = await pg_pool.fetchrow("select * from identity_users where id = $1", agent)
    assert id_number not in json.dumps({k: str(v) for k, v in dict(row).items()})
    assert row["id_number_hash"] != accounts.hashlib.sha256(id_number.encode()).hexdigest(), "keyed, not plain"
    with pytest.raises(Conflict):  # the same person cannot hold two accounts
        await accounts.create_user(pool=pg_pool, username=name("dup"), name="赵六", password=None, id_number=id_number)
    with pytest.raises(Invalid) as bad:
        await accounts.create_user(
            pool=pg_pool, username=name("bad"), name="x", password=None, id_number=id_number[:-1] + "1"
        )
    assert id_number[:-1] not in bad.value.message, "an error message does not repeat the number"
    assert id_number[:-1] not in caplog.text and "1101051949" not in caplog.text, "nor does any log line"


async def user(pg_pool: asyncpg.Pool) -> uuid.UUID:
    return await accounts.create_user(pool=pg_pool, username=name("u"), name="市民", password=None, real_name_level=2)


async def test_an_issued_access_token_names_the_person_and_their_roles(
    pg_pool: asyncpg.Pool, settings: Settings
) -> None:
    user_id = await user(pg_pool)
    await grant_role(pool=pg_pool, user_id=user_id, role="admin")
    token = await issue_access_token(pool=pg_pool, settings=settings, user_id=user_id, client_id="demo", now=NOW)
    principal = await authenticate_bearer(pool=pg_pool, settings=settings, token=token, now=NOW)
    assert principal.user_id == user_id and principal.name == "市民" and principal.real_name_level == 2
    assert principal.client_id == "demo" and principal.scopes == {"openid", "profile"}
    assert principal.has_role("admin") and principal.session_id is not None and not principal.break_glass
    with pytest.raises(Unauthenticated, match="expired"):
        await verify_access_token(pool=pg_pool, settings=settings, token=token, now=NOW + timedelta(hours=1))


def _part(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


async def test_tampered_unsigned_and_foreign_tokens_are_refused(pg_pool: asyncpg.Pool, settings: Settings) -> None:
    token = await issue_access_token(
        pool=pg_pool, settings=settings, user_id=await user(pg_pool), client_id="c", now=NOW
    )
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged = _part(claims | {"sub": str(await user(pg_pool))})
    alg_none = _part({"alg": "none", "typ": "at+jwt"})
    bad = [
        f"{header}.{forged}.{signature}",  # another person's id under the old signature
        f"{alg_none}.{payload}.",  # alg: none
        f"{_part({'alg': 'HS256', 'typ': 'at+jwt', 'kid': json.loads(base64.urlsafe_b64decode(header + '=='))['kid']})}"
        f".{payload}.{signature}",  # algorithm confusion
        "not a token",
        "",
    ]
    for value in bad:
        with pytest.raises(Unauthenticated):
            await verify_access_token(pool=pg_pool, settings=settings, token=value, now=NOW)
    other_issuer = Settings(public_url="https://elsewhere.example")
    with pytest.raises(Unauthenticated):
        await verify_access_token(pool=pg_pool, settings=other_issuer, token=token, now=NOW)


async def test_a_retired_key_verifies_until_its_tokens_expire_then_never(
    pg_pool: asyncpg.Pool, settings: Settings
) -> None:
    now = datetime.now(UTC)  # real time: other tests' tokens stay valid through this rotation until they expire
    token = await issue_access_token(
        pool=pg_pool, settings=settings, user_id=await user(pg_pool), client_id="c", now=now
    )
    old_kids = {k["kid"] for k in (await keys.jwks(pg_pool, settings, now))["keys"]}
    new_kids = await keys.rotate(pool=pg_pool, settings=settings, now=now)
    served = {k["kid"] for k in (await keys.jwks(pg_pool, settings, now))["keys"]}
    assert old_kids <= served and set(new_kids) <= served, "old and new keys are both served after a rotation"
    soon = now + timedelta(seconds=settings.access_token_ttl_s - 5)
    assert (await verify_access_token(pool=pg_pool, settings=settings, token=token, now=soon)).user_id is not None
    later = now + timedelta(seconds=settings.access_token_ttl_s + keys.RETIRED_SLACK_S + 1)
    served_later = {k["kid"] for k in (await keys.jwks(pg_pool, settings, later))["keys"]}
    assert not old_kids & served_later, "retired keys leave JWKS"
    with pytest.raises(Unauthenticated):
        await verify_access_token(pool=pg_pool, settings=settings, token=token, now=later)
