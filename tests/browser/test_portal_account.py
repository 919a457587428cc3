"""Sign-in, the user space and the 3D hall page in Chromium: axe in both modes, and a keyboard-only journey
(home → 登录 → the provider's login form → 我的 → a letter written and sent), all without a mouse.

The server seeds no documents (tests/browser/portal_server.py, documents=False): these pages need a site to
write to and a citizen to sign in as (real-name level 3), nothing else."""

from __future__ import annotations

import io
import re
import wave
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from argon2 import PasswordHasher

from core.identity import accounts
from core.letters import Draft, reply_letter, submit_letter
from core.services import Services
from core.settings import Settings
from core.speech import checked
from tests.browser.conftest import axe
from tests.browser.portal_server import CITIZEN_PASSWORD, PortalServer, portal_server
from tests.integration.userspace_fixtures import person

pytestmark = pytest.mark.integration

HALL = "demo-budongchan"
MODES = {"normal": "", "elderly": "?elderly=1"}
ELDERLY_MIN_PX = 24.0  # 18 pt, docs/accessibility.md
ELDERLY_TARGET_PX = 60  # controls of the elderly mode: 60 × 60
SMALL_TARGET_JS = """(min) => Array.from(document.querySelectorAll(
    'button, input[type=search], input[type=text], select, textarea, nav a, label.choice'))
  .filter(e => e.offsetParent !== null)
  .map(e => [e.id || e.innerText.slice(0, 10), e.getBoundingClientRect()])
  .filter(([, r]) => r.width < min || r.height < min).map(([n, r]) => [n, r.width, r.height])"""
SMALL_TEXT_JS = """(min) => Array.from(document.querySelectorAll(
    'main p, main li, main a, main label, main button, main dd, main dt, main legend, main input, main select,'
    + ' main textarea, nav a'))
  .filter(e => e.offsetParent !== null && !e.closest('.visually-hidden'))
  .map(e => [e.id || e.innerText.slice(0, 20), parseFloat(getComputedStyle(e).fontSize)])
  .filter(([, px]) => px < min)"""


class SilentSpeech:
    """A read-aloud engine for this machine, which has no espeak-ng (the one stand-in here): a short silent WAV,
    so the page's fallback to /speech runs end to end; tests/integration/test_pages_account.py covers the real
    engine's audio where espeak-ng is installed."""

    name = "silence"

    async def synthesize(self, text: str, rate: float = 1.0) -> bytes | None:
        checked(text, rate)
        out = io.BytesIO()
        with wave.open(out, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(b"\0\0" * 800)  # 0.1 s
        return out.getvalue()


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[PortalServer]:
    # argon2id at test-sized costs, as tests/integration/identity_flows.py explains: every sign-in verifies one
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "HASHER", PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
        patch.setattr(accounts, "_DUMMY_HASH", accounts.HASHER.hash("dummy password"))
        with portal_server(settings, documents=False, citizen=True, speech=SilentSpeech()) as running:
            yield running


def _tab_to(page: Any, selector: str, *, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def _sign_in_by_keyboard(page: Any, server: PortalServer) -> None:
    page.goto(server.url + "/")
    page.keyboard.press("Alt+Shift+Digit1")  # the header and navigation region (docs/accessibility.md)
    _tab_to(page, "#account-link")
    assert page.evaluate("document.activeElement.innerText") == "登录"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/oidc/authorize" in page.url  # the provider's own login page, reached through /signin
    _tab_to(page, "#username")
    page.keyboard.type(server.citizen or "")
    _tab_to(page, "#password")
    page.keyboard.type(CITIZEN_PASSWORD)
    with page.expect_navigation(url=server.url + "/"):  # back where the person was when they chose 登录
        page.keyboard.press("Enter")
    page.keyboard.press("Alt+Shift+Digit1")
    _tab_to(page, "#account-link")
    assert page.evaluate("document.activeElement.innerText") == "我的"
    with page.expect_navigation(url=re.compile(r"/me$")):
        page.keyboard.press("Enter")


@pytest.fixture(scope="module")
def signed_in(browser: Any, server: PortalServer) -> Iterator[dict[str, Any]]:
    """A browser's state (cookies) after signing in by keyboard: the journey test, reused by the axe tests."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _sign_in_by_keyboard(page, server)
    yield context.storage_state()
    context.close()


def test_keyboard_only_sign_in_then_write_a_letter(
    browser: Any, server: PortalServer, signed_in: dict[str, Any], artefacts: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", storage_state=signed_in)
    page = context.new_page()
    try:
        page.goto(server.url + "/me")  # where the signed_in fixture's keyboard sign-in ended
        assert page.locator("#me-name").inner_text() == "王阿姨" and "3 级" in page.locator("#me-level").inner_text()
        page.keyboard.press("Alt+Shift+Digit3")  # the main content, then on through the form
        _tab_to(page, "#letter-site")
        page.keyboard.press("ArrowDown")  # another site of the group than the first listed
        site = page.locator("#letter-site option:checked").inner_text()  # its name, as the letter shows it
        _tab_to(page, "#letter-department")
        page.keyboard.type("市民政局")
        _tab_to(page, "#letter-subject")
        page.keyboard.type("高龄津贴什么时候发")
        _tab_to(page, "#letter-body")
        page.keyboard.type("我母亲今年八十岁，想问高龄津贴每月几号发放。")
        _tab_to(page, "#letter-form button[type=submit]")
        with page.expect_navigation(url=re.compile(r"/me\?sent=")):
            page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "sent"  # the confirmation takes the focus
        assert "高龄津贴什么时候发" in page.locator("#sent").inner_text()
        first = page.locator("#letters > li").first.inner_text()
        assert "高龄津贴什么时候发" in first and "办理中" in first and site in first
        page.screenshot(path=str(artefacts / "portal-me-letter-sent.png"), full_page=True)
    finally:
        context.close()


@pytest.fixture(scope="module")
def published_letter(server: PortalServer) -> str:
    """The id of a letter written with consent to publish and answered: its public page is /letters/{id}."""

    async def publish(services: Services) -> str:
        now = datetime.now(UTC)
        writer = await person(services.pool, server.settings, now, level=3, name="李先生")
        replier = await person(services.pool, server.settings, now, name="张科长", replier_of="示例市民政局")
        draft = Draft(
            site_id=server.portal,
            kind="咨询",
            department="示例市民政局",
            subject="高龄津贴发放时间",
            body="我父亲今年八十一岁，高龄津贴每月几号发放？\n是否需要每年重新申请？",
            consent_to_publish=True,
        )
        pool, bus, settings = services.pool, services.bus, server.settings
        letter = await submit_letter(
            pool=pool, bus=bus, settings=settings, principal=writer.principal, draft=draft, now=now
        )
        body = "高龄津贴每月10日前发放到社保卡。\n无需每年重新申请，每年3月进行一次资格认证即可。"
        await reply_letter(
            pool=pool, bus=bus, settings=settings, principal=replier.principal, letter_id=letter.id, body=body, now=now
        )
        return str(letter.id)

    return server.call(publish)


# The sign-out confirmation is two lines made of the me page's parts: one mode is enough for it.
PAGES = [("me", "normal"), ("me", "elderly"), ("hall", "normal"), ("hall", "elderly"), ("signout", "normal")]
PAGES += [("letter", "normal"), ("letter", "elderly")]  # a published letter's public page (信件选登)


@pytest.mark.parametrize(("name", "mode"), PAGES)
def test_no_serious_or_critical_axe_violations(
    browser: Any,
    server: PortalServer,
    signed_in: dict[str, Any],
    artefacts: Path,
    request: pytest.FixtureRequest,
    name: str,
    mode: str,
) -> None:
    if name == "letter":
        path = f"/letters/{request.getfixturevalue('published_letter')}"
    else:
        path = {"me": "/me", "hall": f"/halls/{HALL}", "signout": "/signout"}[name]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", storage_state=signed_in)
    page = context.new_page()
    try:
        response = page.goto(server.url + path + MODES[mode])
        assert response.status == 200, response.text()
        assert page.locator("#account-link").inner_text() == "我的"
        page.screenshot(path=str(artefacts / f"portal-{name}-{mode}.png"), full_page=True)
        violations = axe(page)
        assert not violations, [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
        if mode == "elderly":
            small = page.evaluate(SMALL_TEXT_JS, ELDERLY_MIN_PX)
            assert not small, small[:5]
            tiny = page.evaluate(SMALL_TARGET_JS, ELDERLY_TARGET_PX)
            assert not tiny, tiny[:5]
        page.set_viewport_size({"width": 640, "height": 450})  # 1280 px at 200 % zoom: no horizontal scroll
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], widths
    finally:
        context.close()


def test_read_aloud_falls_back_to_the_server_without_the_web_speech_api(browser: Any, server: PortalServer) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    try:
        page.add_init_script("Object.defineProperty(window, 'speechSynthesis', { value: undefined })")
        page.goto(server.url + f"/halls/{HALL}?elderly=1")
        has = page.evaluate("[!!window.speechSynthesis, document.documentElement.classList.contains('has-speech')]")
        assert has == [False, True]  # no voice in the browser, one on the server: the speech tools are shown
        page.get_by_role("button", name="声音（指读）").click()
        stop = page.locator("#walk h3").first
        with page.expect_response(lambda r: "/speech?" in r.url and stop.inner_text() in unquote(r.url)) as spoken:
            stop.hover()
        answer = spoken.value
        assert answer.status == 200 and answer.headers["content-type"] == "audio/wav"
        assert parse_qs(urlsplit(answer.url).query)["rate"] == ["1"]
    finally:
        context.close()
