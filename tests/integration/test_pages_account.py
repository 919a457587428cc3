"""The portal as a relying party over HTTP (no browser): sign-in with code + PKCE, the user space, a letter from
the plain form, sign-out at the provider; the hall page; the server read-aloud route."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import secrets
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest

from api.pages.account import REFRESH_MARGIN_S
from api.pages.relying import client_id
from api.pages.speech import BURST
from core.identity import accounts, login
from core.identity.logout import end_session
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.crawling import add_site
from tests.integration.identity_flows import parse_form, query_of, quick_argon2  # noqa: F401 - a fixture

pytestmark = pytest.mark.integration
PASSWORD = "鼓浪屿 3 号 correct horse"
HALL = "demo-budongchan"


@dataclass(frozen=True)
class Portal:
    url: str
    username: str
    site: str
    settings: Settings


@pytest.fixture(scope="module")
async def portal(settings: Settings, pg_pool: asyncpg.Pool) -> AsyncIterator[Portal]:
    tag = secrets.token_hex(3)
    site = f"letters-{tag}"
    await add_site(
        pg_pool, {"id": site, "name": "来信测试站", "level": "市", "start_urls": [f"https://{site}.gov.cn/"]}
    )
    username = f"citizen-{tag}"
    await accounts.create_user(
        pool=pg_pool, username=username, name="王阿姨", password=PASSWORD, real_name_level=3, settings=settings
    )
    # Access tokens shorter-lived than the portal's renewal margin: every user-space request renews them with
    # the refresh token (rotated each time), so the tests below run the refresh path again and again.
    async with serve_api(settings, access_token_ttl_s=REFRESH_MARGIN_S - 5) as url:
        yield Portal(url, username, site, dataclasses.replace(settings, public_url=url))


def _client(portal: Portal) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=portal.url, follow_redirects=False, timeout=30)


def _path(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def _sign_in(http: httpx.AsyncClient, portal: Portal) -> str:
    """From /me to signed in, hop by hop; returns the pre-sign-in cookie (dead afterwards)."""
    r = await http.get("/me")
    assert r.status_code == 303 and r.headers["location"] == "/signin?next=%2Fme"
    r = await http.get(r.headers["location"])
    assert r.status_code == 303, r.text
    cookie_header = r.headers["set-cookie"]
    assert "yw_portal=" in cookie_header and "HttpOnly" in cookie_header and "SameSite=lax" in cookie_header
    before = http.cookies["yw_portal"]
    authorize = r.headers["location"]
    params = query_of(authorize)
    assert authorize.startswith(portal.url + "/oidc/authorize?") and params["code_challenge_method"] == "S256"
    login = await http.get(_path(authorize))
    form = parse_form(login.text)
    r = await http.post(form.action or "", data=form.fields | {"username": portal.username, "password": PASSWORD})
    assert r.status_code == 303 and r.headers["location"].startswith(portal.url + "/signin/callback?"), r.text
    r = await http.get(_path(r.headers["location"]))
    assert r.status_code == 303 and r.headers["location"] == "/me", r.text
    assert http.cookies["yw_portal"] != before  # a new session id once signed in
    return before


async def test_sign_in_see_the_user_space_write_a_letter_and_sign_out(portal: Portal) -> None:
    async with _client(portal) as http:
        before = await _sign_in(http, portal)
        again = await http.get("/signin?next=/ask")  # signed in already: straight back, no new sign-in
        assert again.status_code == 303 and again.headers["location"] == "/ask"
        me = await http.get("/me")
        assert me.status_code == 200 and me.headers["cache-control"] == "no-store"
        assert "王阿姨" in me.text and "3 级" in me.text and "您还没有来信" in me.text and "来信测试站" in me.text
        assert 'id="account-link"' in me.text and ">我的<" in me.text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>|<[^>]*\s(on[a-z]+|style)=", me.text)  # CSP-clean
        csrf = parse_form(me.text.split('action="/me/letters"', 1)[1]).fields["csrf_token"]
        letter = {
            "site": portal.site,
            "kind": "咨询",
            "department": "市民政局",
            "subject": "高龄津贴",
            "body": "怎么申领？",
        }
        forged = await http.post("/me/letters", data=letter | {"csrf_token": "forged"})
        assert forged.status_code == 403 and "来源不可信" in forged.text
        sent = await http.post("/me/letters", data=letter | {"csrf_token": csrf})
        assert sent.status_code == 303 and sent.headers["location"].startswith("/me?sent="), sent.text
        page = await http.get(sent.headers["location"])
        assert "您的来信「高龄津贴」已提交，答复期限" in page.text and "办理中" in page.text
        bad = await http.post("/me/letters", data=letter | {"csrf_token": csrf, "site": "no-such-site"})
        assert bad.status_code == 404 and 'role="alert"' in bad.text and "怎么申领？" in bad.text  # kept
        out = await http.post("/signout", data={"csrf_token": csrf})
        assert out.status_code == 303 and out.headers["location"].startswith(portal.url + "/oidc/logout?")
        assert "id_token_hint=" in out.headers["location"]
        back = await http.get(_path(out.headers["location"]))
        assert back.status_code == 302 and back.headers["location"] == portal.url + "/"
        assert (await http.get("/me")).status_code == 303  # signed out: sign in again
    async with _client(portal) as thief:  # the cookie from before sign-in never opens the user space
        thief.cookies.set("yw_portal", before)
        assert (await thief.get("/me")).status_code == 401


async def test_a_signed_in_person_asks_for_their_own_records_on_the_ask_page(portal: Portal) -> None:
    """The page once asked the API without the person's token: "please sign in, then ask again", forever."""
    async with _client(portal) as http:
        anonymous = await http.post("/ask", data={"question": "我的公积金余额是多少"})
        assert anonymous.status_code == 200 and "需要先登录" in anonymous.text
        assert f'href="{portal.url}/signin?next=/ask">登录后查询本人信息</a>' in anonymous.text
        await _sign_in(http, portal)
        mine = await http.post("/ask", data={"question": "我的公积金余额是多少"})
        assert mine.status_code == 200 and "您的住房公积金账户" in mine.text and "需要先登录" not in mine.text
        assert mine.headers["cache-control"] == "no-store"  # the person's balance stays out of every cache
        how = await http.get("/ask", params={"question": "公积金余额怎么查询"})
        assert how.status_code == 200 and "需要先登录" not in how.text


async def test_signing_out_elsewhere_ends_the_portals_sign_in(portal: Portal, pg_pool: asyncpg.Pool) -> None:
    async with _client(portal) as http:
        await _sign_in(http, portal)
        assert (await http.get("/me")).status_code == 200
        assert (await http.get("/me")).status_code == 200  # renewed twice: the rotated refresh token works
        provider_cookie = http.cookies.get("yw_session", domain="127.0.0.1", path="/oidc")
        now = datetime.now(UTC)
        session = await login.current_session(pool=pg_pool, cookie=provider_cookie, now=now)
        assert session is not None
        # what another site's RP-initiated logout (or the provider's own page) does to the shared sign-in: the
        # provider posts a logout token to the portal's back channel, which accepts it
        told = await end_session(pool=pg_pool, settings=portal.settings, session_id=session.id, now=now)
        assert told == [client_id(portal.settings)]
        gone = await http.get("/me")
        assert gone.status_code == 401 and "已在其他网站退出" in gone.text
        assert "yw_portal" not in http.cookies  # the portal forgot its session too


async def test_requests_at_once_near_expiry_keep_the_sign_in(portal: Portal, settings: Settings) -> None:
    # Every request here renews the access token (see the fixture): two tabs or a double submit renew at once.
    # Renewing twice with one refresh token would look like a stolen token to the provider (it ends the sign-in).
    async with _client(portal) as http:
        await _sign_in(http, portal)
        tabs = await asyncio.gather(*(http.get("/me") for _ in range(3)))
        assert [t.status_code for t in tabs] == [200] * 3, [t.text[:200] for t in tabs]
        assert (await http.get("/me")).status_code == 200, "still signed in"
        cookie = http.cookies["yw_portal"]
    # two replicas behind one address (each with its own locks, sharing the session bucket)
    async with serve_api(settings, access_token_ttl_s=REFRESH_MARGIN_S - 5, public_url=portal.url) as other:
        clients = [
            httpx.AsyncClient(base_url=u, cookies={"yw_portal": cookie}, timeout=30) for u in (portal.url, other)
        ]
        try:
            both = await asyncio.gather(*(c.get("/me") for c in clients for _ in range(2)))
            assert [r.status_code for r in both] == [200] * 4, [r.text[:200] for r in both]
            assert (await clients[1].get("/me")).status_code == 200, "still signed in"
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))


async def test_a_callback_without_its_sign_in_is_refused(portal: Portal) -> None:
    async with _client(portal) as http:
        forged = await http.post("/signin/backchannel", data={"logout_token": "e30.e30.e30"})
        assert forged.status_code == 400
        # sign-in starts at the issuer's host (once: `hop` stops a Host-rewriting proxy from looping)
        elsewhere = await http.get("/signin?next=/ask", headers={"host": "localhost"})
        assert elsewhere.status_code == 303
        assert elsewhere.headers["location"] == portal.url + "/signin?next=%2Fask&hop=1"
        once = await http.get("/signin?next=/ask&hop=1", headers={"host": "localhost"})
        assert once.headers["location"].startswith(portal.url + "/oidc/authorize?")
        r = await http.get("/signin/callback?code=abc&state=xyz")
        assert r.status_code == 401 and "重新登录" in r.text
        await http.get("/signin?next=//evil.example/")  # a pending sign-in, then a forged state
        unfinished = await http.get("/me")  # a sign-in begun and left: 我的 starts it again
        assert unfinished.status_code == 303 and unfinished.headers["location"] == "/signin?next=%2Fme"
        r = await http.get("/signin/callback?code=abc&state=forged")
        assert r.status_code == 401 and "state" in r.text


async def test_every_page_links_sign_in_and_back(portal: Portal) -> None:
    async with _client(portal) as http:
        for path in ("/search?q=养老&elderly=1", "/", "/ask", f"/halls/{HALL}"):
            html = (await http.get(path)).text
            link = re.search(r'<a href="(/signin\?next=[^"]+)" id="account-link" rel="nofollow">登录</a>', html)
            assert link, (path, html)
            back = query_of(link.group(1).replace("&amp;", "&"))["next"]
            assert back == httpx.URL(path).copy_remove_param("elderly").raw_path.decode(), path


async def test_the_hall_page_lists_the_walkthrough_beside_the_viewer(portal: Portal) -> None:
    async with _client(portal) as http:
        home = await http.get("/")
        assert f'href="/halls/{HALL}"' in home.text
        r = await http.get(f"/halls/{HALL}")
        assert r.status_code == 200, r.text
        assert "frame-src 'self'" in r.headers["content-security-policy"]
        assert f'<iframe src="/halls/{HALL}/" title=' in r.text
        assert '<ol class="walk" id="walk">' in r.text and "取号" in r.text
        chosen = await http.get(f"/halls/{HALL}?service=住房公积金缴存登记")
        assert "办事流程：住房公积金缴存登记" in chosen.text and "5号窗口" in chosen.text
        missing = await http.get("/halls/no-such-hall")
        assert missing.status_code == 404


async def test_speech_says_clearly_when_there_is_no_engine(portal: Portal) -> None:
    if shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is installed here: the real-audio test covers the route")
    async with _client(portal) as http:
        r = await http.get("/speech", params={"text": "您好"})
        assert r.status_code == 501 and "espeak-ng" in r.text and "浏览器" in r.text
        assert (await http.get("/speech", params={"text": "字" * 501})).status_code == 400
        assert (await http.get("/speech", params={"text": "您好", "rate": "9"})).status_code == 400
        assert 'data-server-speech="1"' not in (await http.get("/ask")).text
        statuses = [(await http.get("/speech", params={"text": "您好"})).status_code for _ in range(BURST + 1)]
        assert statuses[-1] == 429  # synthesis costs CPU: each address has its own small budget


async def test_speech_returns_real_audio_where_espeak_ng_is_installed(portal: Portal) -> None:
    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed on this machine (Debian package espeak-ng)")
    async with _client(portal) as http:
        r = await http.get("/speech", params={"text": "您好，欢迎使用", "rate": "1.2"})
        assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
        assert r.content[:4] == b"RIFF" and r.content[8:12] == b"WAVE" and len(r.content) > 4000
        assert 'data-server-speech="1"' in (await http.get("/ask")).text
