"""Federation over HTTP: this provider signs people in through upstream providers, for real.

Three upstreams, all really served: `province` is the project's own provider as a second app (uvicorn, in this
event loop like every served app of tests/integration) over its own database and data dir; `mini` is a minimal
provincial platform written here (aiohttp + joserfc, tests/integration/upstream_fixtures.py) that sends an ID
number and can be told to misbehave, for the attacks the real provider would never commit; `legacy` is the same
server spoken to as a generic OAuth2 platform (no ID token: who signed in comes from userinfo). A browser is an
httpx client following every redirect by hand, across hosts (the upstreams live on 127.0.0.2)."""

from __future__ import annotations

import asyncio
import dataclasses
import html
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode, urlsplit

import asyncpg
import httpx
import pyotp
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from core.db import migrate
from core.identity import accounts, roles, upstream
from core.identity.clients import register_client
from core.identity.upstream import Profile
from core.identity.upstream_config import parse_upstreams
from core.settings import Settings
from tests.conftest import free_port
from tests.integration.identity_flows import parse_form, pkce_pair, query_of
from tests.integration.upstream_fixtures import (
    UPSTREAM_HOST,
    MiniUpstream,
    Person,
    id_number,
    serve_mini,
    serve_on,
)
from tests.services import create_database

pytestmark = pytest.mark.integration
PASSWORD = "郑州 金水路 correct horse"
SITE = "https://portal.example/callback"
PROVINCE_LABEL = "使用省统一身份认证平台登录"


@dataclass
class Fed:
    down: str
    pool: asyncpg.Pool  # the downstream's database
    province: str
    province_pool: asyncpg.Pool
    province_sub: str  # the citizen's subject at the province
    site: str
    site_secret: str
    mini: MiniUpstream


def _upstreams(province: str, province_secret: str, mini: MiniUpstream) -> str:
    dead = f"http://{UPSTREAM_HOST}:{free_port()}"  # nothing listens there
    mapping = {"subject": "data.userId", "name": "data.realName", "real_name_level": "data.authLevel"}
    return json.dumps(
        [
            {
                "name": "province",
                "issuer": province,
                "client_id": "yiwang-site-group",
                "client_secret": province_secret,
            },
            {
                "name": "mini",
                "label": "使用省政务服务网登录",
                "issuer": mini.url,
                "client_id": mini.client_id,
                "client_secret": mini.client_secret,
                "claims": {"id_number": "id_number"},
            },
            {
                "name": "legacy",
                "label": "使用市民卡账号登录",
                "kind": "oauth2",
                "authorization_endpoint": f"{mini.url}/authorize",
                "token_endpoint": f"{mini.url}/token",
                "userinfo_endpoint": f"{mini.url}/userinfo",
                "client_id": mini.client_id,
                "client_secret": mini.client_secret,
                "claims": mapping | {"id_number": "data.certNo"},
            },
            {"name": "down", "label": "使用已下线的平台登录", "issuer": dead, "client_id": "x", "client_secret": "y"},
        ]
    )


@pytest.fixture(scope="module")
async def fed(
    settings: Settings,
    pg_pool: asyncpg.Pool,
    service_urls: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Fed]:
    tag = uuid.uuid4().hex[:6]
    up_port, down_port, mini_port = free_port(), free_port(), free_port()
    down = f"http://127.0.0.1:{down_port}"
    province_db = await create_database(service_urls["database"])
    province_pool = await asyncpg.create_pool(province_db, min_size=1, max_size=4)
    await migrate(province_pool)
    province_secret = await register_client(
        pool=province_pool, client_id="yiwang-site-group", redirect_uris=[f"{down}/oidc/upstream/province/callback"]
    )
    assert province_secret is not None
    citizen = await accounts.create_user(
        pool=province_pool, username="zhou-citizen", name="周省民", password=PASSWORD, real_name_level=2
    )
    site_secret = await register_client(pool=pg_pool, client_id=f"portal-{tag}", redirect_uris=[SITE])
    assert site_secret is not None
    province_settings = dataclasses.replace(
        settings,
        database_url=province_db,
        data_dir=tmp_path_factory.mktemp("province"),
        port=up_port,
        public_url=f"http://{UPSTREAM_HOST}:{up_port}",
        broker_url="stub://",
    )
    async with (
        serve_mini(MiniUpstream(), mini_port) as mini,
        serve_on(province_settings, UPSTREAM_HOST) as province,
    ):
        down_settings = dataclasses.replace(
            settings,
            port=down_port,
            public_url=down,
            broker_url="stub://",
            identity_upstreams=_upstreams(province, province_secret, mini),
            upstream_timeout_s=5.0,
        )
        async with serve_on(down_settings, "127.0.0.1"):
            yield Fed(down, pg_pool, province, province_pool, str(citizen), f"portal-{tag}", site_secret, mini)
    await province_pool.close()


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(follow_redirects=False, timeout=30) as http:
        yield http


def site_request(fed: Fed) -> tuple[dict[str, str], str]:
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": fed.site,
        "redirect_uri": SITE,
        "scope": "openid profile",
        "state": "s-" + uuid.uuid4().hex,
        "nonce": "n-" + uuid.uuid4().hex,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return params, verifier


async def to_upstream(fed: Fed, browser: httpx.AsyncClient, name: str, params: dict[str, str]) -> httpx.Response:
    """What the login page's link for `name` does: start signing in there (the redirect to the upstream)."""
    return await browser.get(f"{fed.down}/oidc/upstream/{name}?{urlencode(params)}")


async def at_mini(fed: Fed, browser: httpx.AsyncClient, name: str = "mini") -> tuple[dict[str, str], str, str]:
    """Start at the site, go to the mini upstream, come back: (site request, verifier, the callback URL)."""
    params, verifier = site_request(fed)
    go = await to_upstream(fed, browser, name, params)
    assert go.status_code == 302 and go.headers["location"].startswith(fed.mini.url), go.text
    back = await browser.get(go.headers["location"])
    assert back.status_code == 302, back.text
    return params, verifier, back.headers["location"]


async def site_tokens(fed: Fed, code: str, verifier: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=fed.down) as http:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": SITE, "code_verifier": verifier}
        answer = await http.post("/oidc/token", data=data, auth=(fed.site, fed.site_secret))
        assert answer.status_code == 200, answer.text
        keys = KeySet.import_key_set((await http.get("/oidc/jwks")).json())
    tokens = answer.json()
    tokens["claims"] = jwt.decode(tokens["id_token"], keys, algorithms=["RS256"]).claims
    return tokens


async def landed(fed: Fed, browser: httpx.AsyncClient, callback: str, params: dict[str, str]) -> str:
    """Follow the upstream's redirect to the callback: the site gets a code and its own state back."""
    answer = await browser.get(callback)
    assert answer.status_code == 302 and answer.headers["location"].startswith(SITE + "?"), answer.text
    got = query_of(answer.headers["location"])
    assert got["state"] == params["state"] and got["iss"] == fed.down
    return got["code"]


async def links(fed: Fed) -> dict[tuple[str, str], uuid.UUID]:
    rows = await fed.pool.fetch("select provider, subject, user_id from identity_upstream_links")
    return {(r["provider"], r["subject"]): r["user_id"] for r in rows}


def login_link(page: str, label: str) -> str:
    found = re.search(r'<a href="([^"]+)">' + re.escape(label) + "</a>", page)
    assert found, f"no link {label!r} on the login page"
    return html.unescape(found.group(1))


async def test_signing_in_through_the_province_platform_resumes_the_sites_request(
    fed: Fed, browser: httpx.AsyncClient
) -> None:
    params, verifier = site_request(fed)
    page = await browser.get(f"{fed.down}/oidc/authorize?{urlencode(params)}")
    assert page.status_code == 200
    go = await browser.get(fed.down + login_link(page.text, PROVINCE_LABEL))
    assert go.status_code == 302 and go.headers["location"].startswith(f"{fed.province}/oidc/authorize?")
    sent = query_of(go.headers["location"])
    assert sent["code_challenge_method"] == "S256" and sent["nonce"] and sent["state"] != params["state"]
    assert sent["redirect_uri"] == f"{fed.down}/oidc/upstream/province/callback"
    form_page = await browser.get(go.headers["location"])  # the province's own login form
    form = parse_form(form_page.text)
    assert form_page.status_code == 200 and form.action == "/oidc/login", form_page.text
    fields = form.fields | {"username": "zhou-citizen", "password": PASSWORD}
    back = await browser.post(f"{fed.province}/oidc/login", data=fields)
    assert back.status_code == 303 and back.headers["location"].startswith(f"{fed.down}/oidc/upstream/province/")
    code = await landed(fed, browser, back.headers["location"], params)
    claims = (await site_tokens(fed, code, verifier))["claims"]
    assert claims["name"] == "周省民" and claims["real_name_level"] == 2 and claims["amr"] == ["fed"]
    assert claims["nonce"] == params["nonce"] and claims["aud"] == fed.site and claims["iss"] == fed.down
    user_id = (await links(fed))[("province", fed.province_sub)]
    assert claims["sub"] == str(user_id)
    account = await accounts.get_user(pool=fed.pool, user_id=user_id)
    assert account.name == "周省民" and not account.has_password and account.username.startswith("province.")
    # Signed in at the downstream now: the next site request needs no upstream at all (single sign-on).
    again, _ = site_request(fed)
    sso = await browser.get(f"{fed.down}/oidc/authorize?{urlencode(again)}")
    assert sso.status_code == 302 and sso.headers["location"].startswith(SITE + "?code=")


async def test_the_second_sign_in_finds_the_linked_account_and_follows_the_upstream(fed: Fed) -> None:
    fed.mini.person = Person("p-second", "赵一", 1, None)
    async with httpx.AsyncClient(follow_redirects=False) as first:
        params, verifier, callback = await at_mini(fed, first)
        first_id = (await site_tokens(fed, await landed(fed, first, callback, params), verifier))["claims"]["sub"]
    fed.mini.person = Person("p-second", "赵一（改名）", "3", None)
    async with httpx.AsyncClient(follow_redirects=False) as second:
        params, verifier, callback = await at_mini(fed, second)
        claims = (await site_tokens(fed, await landed(fed, second, callback, params), verifier))["claims"]
    assert claims["sub"] == first_id, "the same upstream person is the same local account"
    assert claims["name"] == "赵一（改名）" and claims["real_name_level"] == 3


async def test_an_id_number_links_an_existing_account_and_is_never_stored_or_logged(
    fed: Fed, browser: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    number = id_number("41010519800101" + str(uuid.uuid4().int % 900 + 100))
    local = await accounts.create_user(
        pool=fed.pool, username=f"local-{uuid.uuid4().hex[:6]}", name="钱本地", password=PASSWORD, id_number=number
    )
    fed.mini.person = Person(f"p-{uuid.uuid4().hex[:6]}", "钱本地", 3, number)
    params, verifier, callback = await at_mini(fed, browser)
    assert fed.mini.requests[-1]["code_challenge_method"] == "S256"
    claims = (await site_tokens(fed, await landed(fed, browser, callback, params), verifier))["claims"]
    assert claims["sub"] == str(local) and claims["real_name_level"] == 3, "linked to the account with that number"
    tables = await fed.pool.fetch(
        """select table_schema, table_name from information_schema.tables
           where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')"""
    )
    assert len(tables) > 20
    for row in tables:
        name = f'"{row["table_schema"]}"."{row["table_name"]}"'
        found = await fed.pool.fetchval(f"select count(*) from {name} t where t::text like $1", f"%{number}%")
        assert found == 0, f"the raw ID number is stored in {name}"
    assert caplog.records and number not in caplog.text and number[:17] not in caplog.text


async def test_an_unvouched_id_number_links_nothing(fed: Fed, browser: httpx.AsyncClient) -> None:
    number = id_number("41010519900101" + str(uuid.uuid4().int % 900 + 100))
    victim = await accounts.create_user(
        pool=fed.pool, username=f"victim-{uuid.uuid4().hex[:6]}", name="孙受害", password=PASSWORD, id_number=number
    )
    fed.mini.person = Person(f"p-{uuid.uuid4().hex[:6]}", "孙受害", 0, number)  # level 0: nothing verified
    params, verifier, callback = await at_mini(fed, browser)
    claims = (await site_tokens(fed, await landed(fed, browser, callback, params), verifier))["claims"]
    assert claims["sub"] != str(victim) and claims["real_name_level"] == 0
    held = await fed.pool.fetchval("select id_number_hash from identity_users where id = $1", uuid.UUID(claims["sub"]))
    assert held is None, "an unverified number is not kept (it could squat the real person's account)"


async def test_a_generic_oauth2_upstream_maps_its_userinfo(fed: Fed, browser: httpx.AsyncClient) -> None:
    number = id_number("41010219750505" + str(uuid.uuid4().int % 900 + 100))
    sub = f"card-{uuid.uuid4().hex[:6]}"
    fed.mini.person = Person(sub, "李市民卡", "5", number)  # a level above 3 is clamped
    params, verifier, callback = await at_mini(fed, browser, "legacy")
    request = fed.mini.requests[-1]
    assert "nonce" not in request and request["code_challenge_method"] == "S256" and "scope" not in request
    claims = (await site_tokens(fed, await landed(fed, browser, callback, params), verifier))["claims"]
    assert claims["name"] == "李市民卡" and claims["real_name_level"] == 3
    assert (await links(fed))[("legacy", sub)] == uuid.UUID(claims["sub"])
    expected = await accounts.id_number_hash(pool=fed.pool, settings=None, id_number=number)
    held = await fed.pool.fetchval("select id_number_hash from identity_users where id = $1", uuid.UUID(claims["sub"]))
    assert held == expected


def _no_session(answer: httpx.Response) -> None:
    assert "yw_session" not in answer.headers.get("set-cookie", ""), "refused, yet signed in"
    assert "location" not in answer.headers


async def test_a_wrong_state_is_refused(fed: Fed, browser: httpx.AsyncClient) -> None:
    _, _, callback = await at_mini(fed, browser)
    forged = re.sub(r"state=[^&]+", "state=forged-" + uuid.uuid4().hex, callback)
    answer = await browser.get(forged)
    assert answer.status_code == 400 and "state" in answer.text and 'role="alert"' in answer.text
    _no_session(answer)


async def test_a_replayed_callback_is_refused(fed: Fed, browser: httpx.AsyncClient) -> None:
    fed.mini.person = Person(f"p-{uuid.uuid4().hex[:6]}", "周重放", 2, None)
    params, _, callback = await at_mini(fed, browser)
    await landed(fed, browser, callback, params)
    again = await browser.get(callback)
    assert again.status_code == 400 and "已经完成过一次" in again.text
    _no_session(again)


async def test_a_callback_in_another_browser_is_refused(fed: Fed, browser: httpx.AsyncClient) -> None:
    _, _, callback = await at_mini(fed, browser)
    async with httpx.AsyncClient(follow_redirects=False) as attacker_victim:  # login CSRF: the victim's browser
        answer = await attacker_victim.get(callback)
    assert answer.status_code == 400 and "同一个浏览器" in answer.text
    _no_session(answer)


@pytest.mark.parametrize("mode", ["wrong_nonce", "wrong_aud", "alg_none", "wrong_iss", "foreign_key"])
async def test_a_bad_id_token_signs_nobody_in(fed: Fed, browser: httpx.AsyncClient, mode: str) -> None:
    fed.mini.person = Person(f"p-{mode}-{uuid.uuid4().hex[:6]}", "吴攻击", 3, None)
    before = await links(fed)
    fed.mini.mode = mode
    try:
        _, _, callback = await at_mini(fed, browser)
        answer = await browser.get(callback)
    finally:
        fed.mini.mode = "good"
    assert answer.status_code == 400 and "未通过校验" in answer.text, answer.text
    _no_session(answer)
    assert await links(fed) == before, "no account was linked or created"


async def test_a_denied_sign_in_at_the_upstream_is_a_clear_page(fed: Fed, browser: httpx.AsyncClient) -> None:
    fed.mini.mode = "access_denied"
    try:
        _, _, callback = await at_mini(fed, browser)
    finally:
        fed.mini.mode = "good"
    answer = await browser.get(callback)
    assert answer.status_code == 400 and "没有完成" in answer.text
    _no_session(answer)


async def test_an_unreachable_upstream_is_a_clear_page(fed: Fed, browser: httpx.AsyncClient) -> None:
    params, _ = site_request(fed)
    answer = await to_upstream(fed, browser, "down", params)
    assert answer.status_code == 502 and "暂时无法连接" in answer.text and 'lang="zh-CN"' in answer.text
    fed.mini.mode = "token_500"  # reachable at first, failing at the code exchange
    try:
        _, _, callback = await at_mini(fed, browser)
        failed = await browser.get(callback)
    finally:
        fed.mini.mode = "good"
    assert failed.status_code == 502 and "暂时无法连接" in failed.text
    unknown = await to_upstream(fed, browser, "nowhere", params)
    assert unknown.status_code == 404


async def test_the_start_checks_the_sites_request_first(fed: Fed, browser: httpx.AsyncClient) -> None:
    params, _ = site_request(fed)
    answer = await to_upstream(fed, browser, "mini", params | {"redirect_uri": "https://evil.example/cb"})
    assert answer.status_code == 400 and "location" not in answer.headers
    plain = await to_upstream(fed, browser, "mini", params | {"code_challenge_method": "plain"})
    assert plain.status_code == 302 and urlsplit(plain.headers["location"]).netloc == "portal.example"
    assert query_of(plain.headers["location"])["error"] == "invalid_request"


async def test_two_first_sign_ins_of_one_person_at_once_make_one_account(fed: Fed) -> None:
    (mini,) = [u for u in parse_upstreams(_upstreams(fed.province, "s", fed.mini)) if u.name == "mini"]
    profile = Profile(subject=f"p-race-{uuid.uuid4().hex[:6]}", name="郑并发", real_name_level=2, id_number_hash=None)
    now = datetime.now(UTC)
    made = await asyncio.gather(
        *(upstream.link_account(pool=fed.pool, upstream=mini, profile=profile, now=now) for _ in range(4))
    )
    assert len(set(made)) == 1 and (await links(fed))[("mini", profile.subject)] == made[0]


@pytest.mark.parametrize("factor", ["totp", "role"])
async def test_an_account_with_a_second_factor_or_a_role_signs_in_only_locally(
    fed: Fed, browser: httpx.AsyncClient, factor: str
) -> None:
    number = id_number("41010519850303" + str(uuid.uuid4().int % 900 + 100))
    local = await accounts.create_user(
        pool=fed.pool,
        username=f"guarded-{uuid.uuid4().hex[:6]}",
        name="吴守门",
        password=PASSWORD,
        id_number=number,
        totp_secret=pyotp.random_base32() if factor == "totp" else None,
    )
    if factor == "role":
        await roles.grant_role(pool=fed.pool, user_id=local, role="admin")
    subject = f"p-{uuid.uuid4().hex[:6]}"
    fed.mini.person = Person(subject, "吴守门", 3, number)  # vouched: would link to the local account
    _, _, callback = await at_mini(fed, browser)
    answer = await browser.get(callback)
    assert answer.status_code == 400 and "只能在本平台登录页" in answer.text and 'role="alert"' in answer.text
    _no_session(answer)
    assert ("mini", subject) not in await links(fed), "no link is kept for a refused sign-in"


async def test_a_role_on_an_account_the_upstream_made_does_not_lock_it_out(fed: Fed) -> None:
    (mini,) = [u for u in parse_upstreams(_upstreams(fed.province, "s", fed.mini)) if u.name == "mini"]
    profile = Profile(subject=f"p-staff-{uuid.uuid4().hex[:6]}", name="冯职员", real_name_level=2, id_number_hash=None)
    now = datetime.now(UTC)
    made = await upstream.link_account(pool=fed.pool, upstream=mini, profile=profile, now=now)
    await roles.grant_role(pool=fed.pool, user_id=made, role="admin")
    assert await upstream.link_account(pool=fed.pool, upstream=mini, profile=profile, now=now) == made
