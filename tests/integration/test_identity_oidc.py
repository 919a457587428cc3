"""The OpenID Connect provider over HTTP (uvicorn on a free port), each security test performing the attack."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import asyncpg
import httpx
import pyotp
import pytest
from aiohttp import web
from joserfc import jwt
from joserfc.jwk import KeySet

from core.clock import beijing_time
from core.errors import Unauthenticated
from core.identity import accounts, keys, login
from core.identity.clients import register_client
from core.identity.tokens import verify_access_token
from core.settings import Settings
from tests.conftest import free_port
from tests.integration.conftest import serve_api
from tests.integration.identity_flows import (  # noqa: F401 - identity_server and quick_argon2 are fixtures
    Browser,
    Served,
    identity_server,
    parse_form,
    pkce_pair,
    query_of,
    quick_argon2,
)
from tests.polling import eventually

pytestmark = pytest.mark.integration
PASSWORD = "长安街 7 号 correct horse"
SITE_A = "https://site-a.example/callback"
SPA_B = "https://site-b.example/auth"


@dataclass
class Idp:
    url: str
    pool: asyncpg.Pool
    settings: Settings  # with the served issuer
    username: str
    user_id: uuid.UUID
    secret: str  # site-a's client secret
    site_a: str
    spa_b: str
    logouts: list[tuple[str, str]]  # (path, logout_token) received on the back channel


async def _receiver(logouts: list[tuple[str, str]]) -> tuple[web.AppRunner, int]:
    async def backchannel(request: web.Request) -> web.Response:
        form = await request.post()
        logouts.append((request.path, str(form["logout_token"])))
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/{site}/backchannel", backchannel)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, port


@pytest.fixture(scope="module")
async def idp(identity_server: Served, pg_pool: asyncpg.Pool) -> AsyncIterator[Idp]:  # noqa: F811
    logouts: list[tuple[str, str]] = []
    runner, port = await _receiver(logouts)
    tag = uuid.uuid4().hex[:6]
    site_a, spa_b = f"site-a-{tag}", f"spa-b-{tag}"
    secret = await register_client(
        pool=pg_pool,
        client_id=site_a,
        redirect_uris=[SITE_A],
        post_logout_redirect_uris=["https://site-a.example/bye"],
        backchannel_logout_uri=f"http://127.0.0.1:{port}/a/backchannel",
    )
    assert secret is not None
    await register_client(
        pool=pg_pool,
        client_id=spa_b,
        redirect_uris=[SPA_B],
        public=True,
        post_logout_redirect_uris=["https://site-b.example/bye"],
        backchannel_logout_uri=f"http://127.0.0.1:{port}/b/backchannel",
        id_token_alg="ES256",
    )
    username = f"citizen{tag}"
    user_id = await accounts.create_user(
        pool=pg_pool, username=username, name="李市民", password=PASSWORD, real_name_level=3
    )
    served = identity_server
    yield Idp(served.url, pg_pool, served.settings, username, user_id, secret, site_a, spa_b, logouts)
    await runner.cleanup()


@pytest.fixture
async def browser(idp: Idp) -> AsyncIterator[Browser]:
    b = Browser(idp.url)
    yield b
    await b.close()


def code_params(idp: Idp, *, client: str | None = None, redirect: str = SITE_A, **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client or idp.site_a,
        "redirect_uri": redirect,
        "scope": "openid profile",
        "state": "s-" + uuid.uuid4().hex,
        "nonce": "n-" + uuid.uuid4().hex,
    } | extra


async def exchange(
    idp: Idp, code: str, *, verifier: str | None = None, redirect: str = SITE_A, public: str | None = None
) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
    if verifier is not None:
        data["code_verifier"] = verifier
    async with httpx.AsyncClient(base_url=idp.url) as http:
        if public:
            return await http.post("/oidc/token", data=data | {"client_id": public})
        return await http.post("/oidc/token", data=data, auth=(idp.site_a, idp.secret))


async def refresh(idp: Idp, token: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=idp.url) as http:
        data = {"grant_type": "refresh_token", "refresh_token": token}
        return await http.post("/oidc/token", data=data, auth=(idp.site_a, idp.secret))


async def jwks(idp: Idp) -> KeySet:
    async with httpx.AsyncClient(base_url=idp.url) as http:
        return KeySet.import_key_set((await http.get("/oidc/jwks")).json())


async def signed_in(idp: Idp, browser: Browser, **extra: str) -> tuple[dict[str, str], dict[str, str]]:
    """A full code flow at site-a with PKCE: (authorization request params, token response)."""
    verifier, challenge = pkce_pair()
    params = code_params(idp, code_challenge=challenge, code_challenge_method="S256", **extra)
    back = await browser.sign_in(idp.username, PASSWORD, **params)
    assert back.status_code == 303 and back.headers["location"].startswith(SITE_A + "?"), back.text
    tokens = await exchange(idp, query_of(back.headers["location"])["code"], verifier=verifier)
    assert tokens.status_code == 200, tokens.text
    return params, tokens.json()


async def test_discovery_and_jwks_describe_the_provider(idp: Idp) -> None:
    async with httpx.AsyncClient(base_url=idp.url) as http:
        doc = (await http.get("/.well-known/openid-configuration")).json()
        keys = (await http.get(urlsplit(doc["jwks_uri"]).path)).json()["keys"]
    assert doc["issuer"] == idp.url and doc["token_endpoint"] == f"{idp.url}/oidc/token"
    assert (
        doc["code_challenge_methods_supported"] == ["S256"] and "RS256" in doc["id_token_signing_alg_values_supported"]
    )
    assert doc["backchannel_logout_supported"] and doc["end_session_endpoint"] == f"{idp.url}/oidc/logout"
    assert {k["alg"] for k in keys} >= {"RS256", "ES256"} and all("d" not in k for k in keys), "public keys only"


async def test_code_flow_with_pkce_signs_the_citizen_in(idp: Idp, browser: Browser) -> None:
    page = await browser.authorize(**code_params(idp, code_challenge=pkce_pair()[1], code_challenge_method="S256"))
    assert 'lang="zh-CN"' in page.text and '<label for="username">' in page.text and "<script" not in page.text
    assert page.headers["x-frame-options"] == "DENY"
    params, tokens = await signed_in(idp, browser)
    set_cookie = (await browser.sign_in(idp.username, PASSWORD, **params, prompt="login")).headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie and "Secure" not in set_cookie  # http here
    id_token = jwt.decode(tokens["id_token"], await jwks(idp), algorithms=["RS256"])
    claims = id_token.claims
    assert claims["iss"] == idp.url and claims["aud"] == idp.site_a and claims["nonce"] == params["nonce"]
    assert claims["name"] == "李市民" and claims["real_name_level"] == 3 and claims["sub"] == str(idp.user_id)
    now = datetime.now(UTC)
    principal = await verify_access_token(pool=idp.pool, settings=idp.settings, token=tokens["access_token"], now=now)
    assert principal.user_id == idp.user_id and principal.client_id == idp.site_a
    async with httpx.AsyncClient(base_url=idp.url) as http:
        me = await http.get("/oidc/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert me.json()["preferred_username"] == idp.username
        nobody = await http.get("/oidc/userinfo", headers={"Authorization": f"Bearer {tokens['id_token']}"})
        assert nobody.status_code == 401 and "invalid_token" in nobody.headers["www-authenticate"], (
            "an ID token is no access token"
        )


async def test_prompt_is_a_list_login_anywhere_in_it_asks_again(idp: Idp, browser: Browser) -> None:
    """`prompt=login consent` once issued a code from the old sign-in, and `none login` was not refused."""
    await signed_in(idp, browser)
    for prompt in ("login consent", "consent login"):
        page = await browser.authorize(**code_params(idp, prompt=prompt))
        assert page.status_code == 200 and 'name="password"' in page.text, prompt
    page = await browser.authorize(**code_params(idp, prompt="consent"))  # not login: signed in, straight back
    assert page.status_code == 302 and "code" in query_of(page.headers["location"])
    refused = await browser.authorize(**code_params(idp, prompt="none login"))
    answer = query_of(refused.headers["location"])
    assert refused.status_code == 302 and answer["error"] == "invalid_request" and "code" not in answer


async def test_max_age_asks_a_sign_in_older_than_it_to_sign_in_again(idp: Idp, browser: Browser) -> None:
    """max_age (OIDC Core §3.1.2.1) was ignored: a bank-grade site asking for a sign-in of the last minute got one of
    hours ago. Older than max_age: the form again (or login_required with prompt=none); younger: a code."""
    await signed_in(idp, browser)
    await asyncio.sleep(1.1)
    page = await browser.authorize(**code_params(idp, max_age="0"))
    assert page.status_code == 200 and 'name="password"' in page.text
    assert 'name="max_age"' in page.text, "the form carries it back"
    none = await browser.authorize(**code_params(idp, max_age="0", prompt="none"))
    assert none.status_code == 302 and query_of(none.headers["location"])["error"] == "login_required"
    fresh = await browser.authorize(**code_params(idp, max_age="3600"))
    assert fresh.status_code == 302 and "code" in query_of(fresh.headers["location"])
    bad = await browser.authorize(**code_params(idp, max_age="soon"))
    assert query_of(bad.headers["location"])["error"] == "invalid_request"


async def test_single_sign_on_state_passes_through_and_nonce_is_bound(idp: Idp, browser: Browser) -> None:
    await signed_in(idp, browser)
    verifier, challenge = pkce_pair()
    state = "中文 & = ?#state"
    params = code_params(idp, client=idp.spa_b, redirect=SPA_B, code_challenge=challenge, code_challenge_method="S256")
    back = await browser.authorize(**params | {"state": state})  # signed in already: no form
    assert back.status_code == 302
    answer = query_of(back.headers["location"])
    assert answer["state"] == state and answer["iss"] == idp.url
    tokens = (await exchange(idp, answer["code"], verifier=verifier, redirect=SPA_B, public=idp.spa_b)).json()
    claims = jwt.decode(tokens["id_token"], await jwks(idp), algorithms=["ES256"]).claims
    assert claims["nonce"] == params["nonce"] and claims["aud"] == idp.spa_b


@pytest.mark.parametrize(
    "redirect",
    [
        SITE_A + "/evil",  # a longer path under the registered one
        SITE_A + "?next=https://evil.example",
        "https://site-a.example/callbac",  # a prefix of it
        "https://evil.example/callback",
        "https://site-a.example.evil.example/callback",
        SITE_A.upper(),
    ],
)
async def test_a_redirect_uri_must_match_exactly_and_is_never_followed_otherwise(
    idp: Idp, browser: Browser, redirect: str
) -> None:
    answer = await browser.authorize(**code_params(idp, redirect=redirect))
    assert answer.status_code == 400 and "location" not in answer.headers
    assert "redirect_uri" in answer.text and 'role="alert"' in answer.text


async def test_unknown_clients_get_no_redirect(idp: Idp, browser: Browser) -> None:
    answer = await browser.authorize(**code_params(idp, client="no-such-client"))
    assert answer.status_code == 400 and "location" not in answer.headers


async def test_pkce_is_required_for_public_clients_and_plain_is_refused(idp: Idp, browser: Browser) -> None:
    public = code_params(idp, client=idp.spa_b, redirect=SPA_B)
    missing = await browser.authorize(**public)
    assert missing.status_code == 302 and query_of(missing.headers["location"])["error"] == "invalid_request"
    verifier, _ = pkce_pair()
    plain = await browser.authorize(**public | {"code_challenge": verifier, "code_challenge_method": "plain"})
    assert "S256" in query_of(plain.headers["location"])["error_description"]
    implied_plain = await browser.authorize(**public | {"code_challenge": verifier})
    assert query_of(implied_plain.headers["location"])["error"] == "invalid_request"


async def test_pkce_downgrade_and_wrong_verifiers_are_refused_at_the_token_endpoint(idp: Idp, browser: Browser) -> None:
    verifier, challenge = pkce_pair()
    back = await browser.sign_in(
        idp.username, PASSWORD, **code_params(idp, code_challenge=challenge, code_challenge_method="S256")
    )
    code = query_of(back.headers["location"])["code"]
    without = await exchange(idp, code)  # the attacker strips the verifier
    assert without.status_code == 400 and without.json()["error"] == "invalid_grant"
    rightful = await exchange(idp, code, verifier=verifier)  # the one try is spent; nothing was issued to revoke
    assert rightful.json()["error"] == "invalid_grant"
    assert "presented once (a code has one try)" in rightful.json()["error_description"]
    back = await browser.authorize(**code_params(idp, code_challenge=challenge, code_challenge_method="S256"))
    wrong = await exchange(idp, query_of(back.headers["location"])["code"], verifier=pkce_pair()[0])
    assert wrong.json()["error"] == "invalid_grant"
    back = await browser.authorize(**code_params(idp))  # no challenge sent (a confidential client may)
    injected = await exchange(idp, query_of(back.headers["location"])["code"], verifier=verifier)
    assert injected.json()["error"] == "invalid_grant", "a verifier without a challenge is a downgrade"


async def test_the_login_form_refuses_a_post_without_its_csrf_token(idp: Idp, browser: Browser) -> None:
    page = await browser.authorize(**code_params(idp))
    form = parse_form(page.text).fields
    forged = form | {"csrf_token": "x" * 43, "username": idp.username, "password": PASSWORD}
    answer = await browser.http.post("/oidc/login", data=forged)
    assert (
        answer.status_code == 403
        and "location" not in answer.headers
        and "yw_session" not in answer.headers.get("set-cookie", "")
    )
    async with httpx.AsyncClient(base_url=idp.url) as attacker_page:  # another site's form: no cookie of ours
        answer = await attacker_page.post("/oidc/login", data=form | {"username": idp.username, "password": PASSWORD})
    assert answer.status_code == 403 and "location" not in answer.headers


async def test_a_new_session_id_at_login_defeats_fixation(idp: Idp, browser: Browser) -> None:
    planted = "attacker-chosen-session-value-0123456789"
    browser.http.cookies.set("yw_session", planted, domain="127.0.0.1", path="/oidc")
    back = await browser.sign_in(idp.username, PASSWORD, **code_params(idp))
    issued = back.cookies.get("yw_session")
    assert back.status_code == 303 and issued and issued != planted
    async with httpx.AsyncClient(base_url=idp.url, cookies={"yw_session": planted}) as attacker:
        page = await attacker.get("/oidc/authorize", params=code_params(idp))
    assert page.status_code == 200 and 'name="password"' in page.text, "the planted value signs nobody in"


async def test_brute_force_locks_the_account_with_a_clear_message(
    idp: Idp, pg_pool: asyncpg.Pool, browser: Browser
) -> None:
    name = f"victim{uuid.uuid4().hex[:6]}"
    await accounts.create_user(pool=pg_pool, username=name, name="受害人", password=PASSWORD)
    statuses = []
    for _ in range(idp.settings.login_max_failures_account):
        page = await browser.authorize(**code_params(idp))
        answer = await browser.submit_login(page, name, "guess " + uuid.uuid4().hex)
        statuses.append(answer.status_code)
    assert statuses[:-1] == [401] * (len(statuses) - 1) and statuses[-1] == 429
    page = await browser.authorize(**code_params(idp))
    answer = await browser.submit_login(page, name, PASSWORD)  # even the right password, while locked
    assert answer.status_code == 429 and "已暂时锁定" in answer.text and 'role="alert"' in answer.text
    fine = await browser.sign_in(idp.username, PASSWORD, **code_params(idp), prompt="login")
    assert fine.status_code == 303, "another account from the same address still signs in"


async def test_brute_force_from_one_address_locks_that_address(pg_pool: asyncpg.Pool, settings: Settings) -> None:
    strict = dataclasses.replace(settings, login_max_failures_address=3)
    address, now = f"198.51.100.{uuid.uuid4().int % 250}", datetime.now(UTC)
    name = f"real{uuid.uuid4().hex[:6]}"
    await accounts.create_user(pool=pg_pool, username=name, name="真人", password=PASSWORD)
    for i in range(3):  # three accounts tried once each: no account reaches its own limit
        await login.sign_in(
            pool=pg_pool, settings=strict, username=f"spray{i}", password="x", totp=None, address=address, now=now
        )
    refused = await login.sign_in(
        pool=pg_pool, settings=strict, username=name, password=PASSWORD, totp=None, address=address, now=now
    )
    assert isinstance(refused, login.Refused) and refused.locked_until is not None
    ok = await login.sign_in(
        pool=pg_pool, settings=strict, username=name, password=PASSWORD, totp=None, address="203.0.113.9", now=now
    )
    assert ok == await pg_pool.fetchval("select id from identity_people where username = $1", name)


async def test_a_lockout_says_when_it_ends_in_beijing_time(
    pg_pool: asyncpg.Pool, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server whose zone is not China's once printed its own local time, labelled UTC."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        name, now = f"late{uuid.uuid4().hex[:6]}", datetime(2026, 12, 5, 23, 0, tzinfo=UTC)
        address = f"192.0.2.{uuid.uuid4().int % 250}"  # not the address-lockout test's range
        for _ in range(settings.login_max_failures_account):
            refused = await login.sign_in(
                pool=pg_pool, settings=settings, username=name, password="x", totp=None, address=address, now=now
            )
    finally:
        monkeypatch.undo()
        time.tzset()
    assert isinstance(refused, login.Refused) and refused.locked_until is not None
    ends = beijing_time(refused.locked_until)
    assert refused.locked_until == now + timedelta(seconds=settings.login_lockout_s)
    assert ends.startswith("2026-12-06 07:") and f"北京时间 {ends} 后再试" in refused.message, refused.message


async def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(idp: Idp, browser: Browser) -> None:
    _, tokens = await signed_in(idp, browser)
    first = tokens["refresh_token"]
    rotated = await refresh(idp, first)
    assert rotated.status_code == 200 and rotated.json()["refresh_token"] != first
    second = rotated.json()["refresh_token"]
    assert await _userinfo_status(idp, rotated.json()["access_token"]) == 200
    stolen = await refresh(idp, first)  # the old one, replayed
    assert stolen.status_code == 400 and "reused" in stolen.json()["error_description"]
    assert (await refresh(idp, second)).json()["error"] == "invalid_grant", "the whole family is revoked"
    for issued in (tokens, rotated.json()):  # the access tokens already out die with the session
        assert await _userinfo_status(idp, issued["access_token"]) == 401


async def test_a_refresh_asking_a_wider_scope_keeps_the_refresh_token(idp: Idp, browser: Browser) -> None:
    """invalid_scope is the client's mistake, not a theft: its retry without the wider scope must not be taken for
    a reused token (which would end the person's session everywhere)."""
    _, tokens = await signed_in(idp, browser, scope="openid")
    async with httpx.AsyncClient(base_url=idp.url) as http:
        data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "scope": "openid profile"}
        wider = await http.post("/oidc/token", data=data, auth=(idp.site_a, idp.secret))
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"
    retried = await refresh(idp, tokens["refresh_token"])
    assert retried.status_code == 200, retried.text
    assert await _userinfo_status(idp, retried.json()["access_token"]) == 200, "the session lives on"


async def test_a_narrower_refresh_narrows_that_access_token_not_the_grant(idp: Idp, browser: Browser) -> None:
    """RFC 6749 §6: a refresh without `scope` gets the scope originally granted, whatever an earlier refresh asked."""
    _, tokens = await signed_in(idp, browser)
    async with httpx.AsyncClient(base_url=idp.url) as http:
        data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "scope": "openid"}
        narrow = await http.post("/oidc/token", data=data, auth=(idp.site_a, idp.secret))
    assert narrow.status_code == 200 and narrow.json()["scope"] == "openid"
    again = await refresh(idp, narrow.json()["refresh_token"])
    assert again.status_code == 200 and again.json()["scope"] == "openid profile", again.text
    claims = jwt.decode(again.json()["id_token"], await jwks(idp), algorithms=["RS256"]).claims
    assert "name" in claims, "profile claims are back"


async def test_a_token_request_missing_a_parameter_says_which(idp: Idp) -> None:
    async with httpx.AsyncClient(base_url=idp.url) as http:
        as_json = await http.post("/oidc/token", json={"grant_type": "authorization_code", "client_id": idp.spa_b})
        answers = {
            missing: (await http.post("/oidc/token", data=data, auth=(idp.site_a, idp.secret))).json()
            for missing, data in {
                "grant_type": {"code": "x"},
                "code": {"grant_type": "authorization_code", "redirect_uri": SITE_A},
                "refresh_token": {"grant_type": "refresh_token"},
            }.items()
        }
    assert as_json.status_code == 401 and "application/x-www-form-urlencoded" in as_json.json()["error_description"]
    for missing, answer in answers.items():
        assert answer == {"error": "invalid_request", "error_description": f"{missing} is required"}


async def _userinfo_status(idp: Idp, access_token: str) -> int:
    async with httpx.AsyncClient(base_url=idp.url) as http:
        answer = await http.get("/oidc/userinfo", headers={"Authorization": f"Bearer {access_token}"})
    return answer.status_code


async def test_a_code_works_once(idp: Idp, browser: Browser) -> None:
    back = await browser.sign_in(idp.username, PASSWORD, **code_params(idp))
    code = query_of(back.headers["location"])["code"]
    tokens = (await exchange(idp, code)).json()
    assert await _userinfo_status(idp, tokens["access_token"]) == 200
    again = await exchange(idp, code)
    assert (
        again.json()["error"] == "invalid_grant"
        and "tokens issued for it are revoked" in again.json()["error_description"]
    )
    assert (await refresh(idp, tokens["refresh_token"])).json()["error"] == "invalid_grant"
    assert await _userinfo_status(idp, tokens["access_token"]) == 401, "the first use's access token is revoked"


async def test_logout_on_one_site_ends_the_session_on_every_site(idp: Idp, browser: Browser) -> None:
    _, at_a = await signed_in(idp, browser)
    verifier, challenge = pkce_pair()
    params = code_params(idp, client=idp.spa_b, redirect=SPA_B, code_challenge=challenge, code_challenge_method="S256")
    back = await browser.authorize(**params)
    at_b = (
        await exchange(
            idp, query_of(back.headers["location"])["code"], verifier=verifier, redirect=SPA_B, public=idp.spa_b
        )
    ).json()
    sid = jwt.decode(at_b["id_token"], await jwks(idp), algorithms=["ES256"]).claims["sid"]
    bad = await browser.http.get(
        "/oidc/logout", params={"id_token_hint": at_b["id_token"], "post_logout_redirect_uri": "https://evil.example/"}
    )
    assert bad.status_code == 400 and "location" not in bad.headers
    before = len(idp.logouts)
    bye = await browser.http.get(
        "/oidc/logout",
        params={
            "id_token_hint": at_b["id_token"],
            "post_logout_redirect_uri": "https://site-b.example/bye",
            "state": "st",
        },
    )
    assert bye.status_code == 302 and bye.headers["location"] == "https://site-b.example/bye?state=st"
    received = await eventually(
        lambda: _logouts_since(idp, before), lambda got: len(got) >= 2, what="back-channel logouts"
    )
    keyset = await jwks(idp)
    for path, token in received:
        claims = jwt.decode(token, keyset, algorithms=["RS256", "ES256"]).claims
        assert claims["sid"] == sid and "http://schemas.openid.net/event/backchannel-logout" in claims["events"]
        assert "nonce" not in claims and claims["aud"] == (idp.site_a if path.startswith("/a/") else idp.spa_b)
    assert {p.split("/")[1] for p, _ in received} == {"a", "b"}
    async with httpx.AsyncClient(base_url=idp.url) as http:
        dead = await http.get("/oidc/userinfo", headers={"Authorization": f"Bearer {at_a['access_token']}"})
    assert dead.status_code == 401, "site A's access token ends with the session"
    assert (await refresh(idp, at_a["refresh_token"])).json()["error"] == "invalid_grant"
    page = await browser.authorize(**code_params(idp))
    assert page.status_code == 200 and 'name="password"' in page.text, "signed out at the provider too"


async def _logouts_since(idp: Idp, before: int) -> list[tuple[str, str]]:
    return idp.logouts[before:]


async def test_logout_without_a_hint_asks_first(idp: Idp, browser: Browser) -> None:
    await signed_in(idp, browser)
    twice = await browser.http.get("/oidc/logout", params=[("state", "a"), ("state", "b")])  # which would count?
    assert twice.status_code == 400 and "出现了不止一次" in twice.text
    unnamed = await browser.http.get("/oidc/logout", params={"post_logout_redirect_uri": SITE_A})
    assert unnamed.status_code == 400 and "需与 id_token_hint 或 client_id 一同提供" in unnamed.text, "not 未登记"
    unknown = await browser.http.get("/oidc/logout", params={"post_logout_redirect_uri": SITE_A, "client_id": "zz"})
    assert unknown.status_code == 400 and "未知的应用" in unknown.text
    asked = await browser.http.get("/oidc/logout")
    assert asked.status_code == 200 and "确认退出" in asked.text
    page = await browser.authorize(**code_params(idp))
    assert page.status_code == 302, "a bare link did not sign the person out"
    done = await browser.http.post("/oidc/logout", data=parse_form(asked.text).fields | {"confirm": "yes"})
    assert done.status_code == 200 and "已退出" in done.text
    assert (await browser.authorize(**code_params(idp))).status_code == 200


async def test_revocation_and_introspection(idp: Idp, browser: Browser) -> None:
    _, tokens = await signed_in(idp, browser)
    async with httpx.AsyncClient(base_url=idp.url, auth=(idp.site_a, idp.secret)) as http:
        active = (await http.post("/oidc/introspect", data={"token": tokens["access_token"]})).json()
        assert active["active"] and active["sub"] == str(idp.user_id) and active["client_id"] == idp.site_a
        assert (await http.post("/oidc/introspect", data={"token": tokens["refresh_token"]})).json()["active"]
        assert (await http.post("/oidc/revoke", data={"token": tokens["access_token"]})).status_code == 200
        assert (await http.post("/oidc/introspect", data={"token": tokens["access_token"]})).json() == {"active": False}
        assert (await http.post("/oidc/revoke", data={"token": tokens["refresh_token"]})).status_code == 200
        assert not (await http.post("/oidc/introspect", data={"token": tokens["refresh_token"]})).json()["active"]
        assert (await http.post("/oidc/revoke", data={"token": "nonsense"})).status_code == 200
    async with httpx.AsyncClient(base_url=idp.url) as http:
        public = await http.post("/oidc/introspect", data={"token": tokens["access_token"], "client_id": idp.spa_b})
        assert public.status_code == 401 and public.json()["error"] == "invalid_client"
        wrong = await http.post(
            "/oidc/token", data={"grant_type": "authorization_code", "code": "x"}, auth=(idp.site_a, "wrong")
        )
        assert wrong.status_code == 401
        odd = await http.post("/oidc/token", data={"grant_type": "password"}, auth=(idp.site_a, idp.secret))
        assert odd.json()["error"] == "unsupported_grant_type"


async def test_an_account_with_totp_needs_the_code(idp: Idp, pg_pool: asyncpg.Pool, browser: Browser) -> None:
    secret = pyotp.random_base32()
    name = f"totp{uuid.uuid4().hex[:6]}"
    await accounts.create_user(pool=pg_pool, username=name, name="两步", password=PASSWORD, totp_secret=secret)
    page = await browser.authorize(**code_params(idp))
    assert 'name="totp"' in page.text and 'autocomplete="one-time-code"' in page.text
    without = await browser.submit_login(page, name, PASSWORD)
    assert without.status_code == 401 and "动态验证码" in without.text
    wrong = await browser.submit_login(
        without, name, PASSWORD, totp="000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    )
    assert wrong.status_code == 401
    back = await browser.submit_login(wrong, name, PASSWORD, totp=pyotp.TOTP(secret).now())
    assert back.status_code == 303
    tokens = (await exchange(idp, query_of(back.headers["location"])["code"])).json()
    assert jwt.decode(tokens["id_token"], await jwks(idp), algorithms=["RS256"]).claims["amr"] == ["pwd", "otp"]


async def test_logout_with_a_hint_signed_by_a_key_retired_long_ago_still_signs_out(
    idp: Idp, browser: Browser, pg_pool: asyncpg.Pool
) -> None:
    _, tokens = await signed_in(idp, browser)
    rotated_at = datetime.now(UTC)  # real time: other tests' tokens stay valid through this rotation
    await keys.rotate(pool=pg_pool, settings=idp.settings, now=rotated_at)
    shift = timedelta(seconds=idp.settings.access_token_ttl_s + keys.RETIRED_SLACK_S + 5)
    # The same provider (same issuer and database) as a replica whose clock is past the retired keys' window,
    # while the site still holds the ID token of the session (sites keep one for up to SESSION_TTL_S).
    clock = lambda: datetime.now(UTC) + shift  # noqa: E731
    async with (
        serve_api(idp.settings, clock=clock) as later_url,
        httpx.AsyncClient(base_url=later_url, cookies=browser.http.cookies) as later,
    ):
        hint = {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "https://site-a.example/bye"}
        asked = await later.get("/oidc/logout", params=hint | {"state": "st"})
        assert asked.status_code == 200 and "确认退出" in asked.text, asked.text
        done = await later.post("/oidc/logout", data=parse_form(asked.text).fields | {"confirm": "yes"})
    assert done.status_code == 303 and done.headers["location"] == "https://site-a.example/bye?state=st"
    with pytest.raises(Unauthenticated):
        await verify_access_token(
            pool=pg_pool, settings=idp.settings, token=tokens["access_token"], now=datetime.now(UTC)
        )
    assert (await browser.authorize(**code_params(idp))).status_code == 200, "signed out at the provider"


async def test_a_hint_that_is_not_an_id_token_of_ours_is_still_refused(idp: Idp, browser: Browser) -> None:
    for hint in ("garbage", "a.b.c"):
        refused = await browser.http.get("/oidc/logout", params={"id_token_hint": hint})
        assert refused.status_code == 400 and "id_token_hint" in refused.text
