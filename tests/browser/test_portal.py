"""The reference portal in Chromium: axe in both modes, escaping, CSP, keyboard journeys, zoom, elderly figures.

One server per module (tests/browser/portal_server.py: the real app over the session's Postgres and NATS with
demo documents). Figures come from docs/accessibility.md: 18 pt (24 px) text and 4.5:1 contrast in the elderly
mode, 7:1 with high contrast on, no horizontal scroll at 1280 px and 200 % zoom (a 640 CSS px viewport)."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.settings import Settings
from tests.browser.conftest import axe
from tests.browser.portal_server import HOSTILE_TITLE, OPEN_CITY, PortalServer, portal_server

pytestmark = pytest.mark.integration

ELDERLY_MIN_PX = 24.0  # 18 pt
ELDERLY_CONTRAST = 4.5
ELDERLY_TARGET_PX = 60  # controls of the elderly mode: 60 × 60
HIGH_CONTRAST = 7.0
CONTRAST_JS = Path(__file__).with_name("contrast.js").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[PortalServer]:
    with portal_server(settings, open_data=True) as running:
        yield running


def _get(url: str) -> str:
    with urllib.request.urlopen(url) as r:
        return str(r.read().decode())


@pytest.fixture(scope="module")
def pages(server: PortalServer) -> dict[str, str]:
    """A path of each template: home, search, a policy's document page, Q&A (answered), big screen, error, hall,
    the open-data catalogue, a dataset and a unit of grassroots disclosure."""
    html = _get(server.url + "/search?q=" + urllib.parse.quote("关于做好养老服务工作的通知"))
    policy_id = re.search(r'href="/documents/([0-9a-f-]{36})"[^>]*>[^<]*示例市人民政府办公厅', html)
    assert policy_id, html
    ask = "/ask?" + urllib.parse.urlencode({"question": "高龄津贴怎么申领"})
    return {
        "home": "/",
        "search": "/search?q=" + urllib.parse.quote("养老"),
        "document": f"/documents/{policy_id.group(1)}",
        "ask": ask,
        "screen": f"/screen/{server.portal}",
        "error": "/documents/not-a-document",
        "hall": "/halls/demo-budongchan",  # axe on it: test_portal_account.py
        "data": "/data",
        "dataset": f"/data/{server.open.air}",
        "unit": f"/units/{OPEN_CITY}02001000",
    }


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    opened = context.new_page()
    yield opened
    context.close()


MODES = {"normal": "", "elderly": "elderly=1"}


def _with(path: str, query: str) -> str:
    if not query:
        return path
    return path + ("&" if "?" in path else "?") + query


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("name", ["home", "search", "document", "ask", "screen", "error", "data", "dataset", "unit"])
def test_no_serious_or_critical_axe_violations(
    server: PortalServer, pages: dict[str, str], page: Any, artefacts: Path, name: str, mode: str
) -> None:
    response = page.goto(server.url + _with(pages[name], MODES[mode]))
    assert response.status == (404 if name == "error" else 200)
    if name == "screen":
        page.set_viewport_size({"width": 1920, "height": 1080})
    page.screenshot(path=str(artefacts / f"portal-{name}-{mode}.png"), full_page=name != "screen")
    violations = axe(page)
    assert not violations, [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in violations]


def test_high_contrast_tool_has_no_axe_violations_and_is_remembered(
    server: PortalServer, pages: dict[str, str], page: Any, artefacts: Path
) -> None:
    page.goto(server.url + _with(pages["search"], "elderly=1"))
    page.get_by_role("button", name="高对比度").click()
    page.reload()
    assert "a11y-contrast" in page.evaluate("document.documentElement.className")
    page.screenshot(path=str(artefacts / "portal-search-elderly-contrast.png"), full_page=True)
    assert not axe(page)
    low = page.evaluate(CONTRAST_JS, HIGH_CONTRAST)
    assert not low, low[:5]


def test_a_hostile_title_is_text_everywhere(server: PortalServer, page: Any) -> None:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(server.url + "/search?q=" + urllib.parse.quote("恶意标题"))
    link = page.locator("a[data-document]", has_text="恶意标题").first
    assert "<script>window.__pwned=1</script>" in link.inner_text()
    link.click()
    page.wait_for_url(re.compile(r"/documents/"))
    assert page.locator("h1").inner_text() == HOSTILE_TITLE
    assert "<script>window.__pwned=3</script>" in page.locator("#doc-body").inner_text()
    page.goto(server.url + "/")
    assert page.get_by_text("恶意标题", exact=False).count() >= 1
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("main script, main img").count() == 0


def test_pages_send_a_strict_csp_and_no_inline_script(server: PortalServer, pages: dict[str, str], page: Any) -> None:
    for name, path in pages.items():
        response = page.goto(server.url + path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "nonce" not in csp, name
        html = response.text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), name
        assert not re.search(r"<[^>]*\son[a-z]+=", html), name  # no event-handler attribute in any tag
        assert not re.search(r'\sstyle="', html), name
    # The policy really holds: script written into the page at run time by an attacker does not execute.
    page.goto(server.url + "/")
    page.evaluate("""() => { const s = document.createElement('script'); s.textContent = 'window.__inline = 1';
                     document.body.appendChild(s); }""")
    assert page.evaluate("typeof window.__inline") == "undefined"


def _tab_to(page: Any, selector: str, *, limit: int = 80) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_keyboard_only_search_result_document(server: PortalServer, page: Any) -> None:
    page.goto(server.url + "/")
    _tab_to(page, "#q")
    page.keyboard.type("高龄津贴申领")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _tab_to(page, "a[data-document]")
    title = page.evaluate("document.activeElement.innerText")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/documents/"))
    assert page.locator("h1").inner_text() == title == "高龄津贴申领办事指南"


def test_keyboard_only_ask_answer_and_follow_up(server: PortalServer, page: Any) -> None:
    page.goto(server.url + "/ask")
    _tab_to(page, "#question")
    page.keyboard.type("高龄津贴怎么申领")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "answer"  # the answer takes the focus
    assert "社区服务中心" in page.locator("#answer").inner_text()
    assert "依据" in page.locator("#answer .basis").inner_text()
    _tab_to(page, "#answer .options button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    turns = page.locator("#turns > li")
    assert turns.count() == 2
    assert "高龄津贴怎么申领" in turns.nth(0).inner_text()
    assert "100元" in page.locator("#answer").inner_text()


def test_region_shortcuts_move_the_focus(server: PortalServer, page: Any) -> None:
    page.goto(server.url + "/search?q=" + urllib.parse.quote("养老"))
    page.keyboard.press("Alt+Shift+Digit2")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.press("Alt+Shift+Digit3")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Alt+Shift+Digit0")
    assert page.evaluate("document.activeElement.id") == "mode-switch"


@pytest.mark.parametrize("mode", list(MODES))
def test_200_percent_zoom_has_no_horizontal_scroll_at_1280(
    server: PortalServer, pages: dict[str, str], browser: Any, mode: str
) -> None:
    # A 1280 px wide window at 200 % zoom lays pages out in 640 CSS px with two device pixels each.
    context = browser.new_context(viewport={"width": 640, "height": 450}, device_scale_factor=2, locale="zh-CN")
    try:
        zoomed = context.new_page()
        for name, path in pages.items():
            zoomed.goto(server.url + _with(path, MODES[mode]))
            widths = zoomed.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert widths[0] <= widths[1], (name, widths)
    finally:
        context.close()


@pytest.mark.parametrize("name", ["home", "search", "document", "ask"])
def test_elderly_text_size_and_contrast_meet_the_figures(
    server: PortalServer, pages: dict[str, str], page: Any, name: str
) -> None:
    page.goto(server.url + _with(pages[name], "elderly=1"))
    small = page.evaluate(
        """(min) => Array.from(document.querySelectorAll(
             'main p, main li, main a, main td, main th, main label, main button, main dd, main dt, nav a'))
           .filter(e => e.offsetParent !== null && e.innerText.trim() && !e.closest('.visually-hidden'))
           .map(e => [e.innerText.slice(0, 20), parseFloat(getComputedStyle(e).fontSize)])
           .filter(([, px]) => px < min)""",
        ELDERLY_MIN_PX,
    )
    assert not small, small[:5]
    low = page.evaluate(CONTRAST_JS, ELDERLY_CONTRAST)
    assert not low, low[:5]
    line = page.evaluate(
        "(e => parseFloat(getComputedStyle(e).lineHeight) / parseFloat(getComputedStyle(e).fontSize))"
        "(document.querySelector('main p, main li'))"
    )
    assert line >= 1.3
    tiny = page.evaluate(
        """(min) => Array.from(document.querySelectorAll(
             'button, input[type=search], input[type=text], nav a, .tiles a'))
           .filter(e => e.offsetParent !== null)
           .map(e => [e.id || e.innerText.slice(0, 10), e.getBoundingClientRect()])
           .filter(([, r]) => r.width < min || r.height < min).map(([n, r]) => [n, r.width, r.height])""",
        ELDERLY_TARGET_PX,
    )
    assert not tiny, tiny[:5]


def test_elderly_mode_is_linkable_remembered_and_switchable(server: PortalServer, page: Any) -> None:
    page.goto(server.url + "/?elderly=1")
    assert page.evaluate("document.documentElement.classList.contains('elderly')")
    assert page.locator("main section.services").first.is_visible()
    first = page.evaluate("document.querySelector('main section').id || document.querySelector('main h2').id")
    assert first == "services-title"  # services older people use most come first
    page.goto(server.url + "/search")
    assert page.evaluate("document.documentElement.classList.contains('elderly')")  # remembered (cookie)
    page.get_by_role("link", name="退出适老化模式").click()
    assert not page.evaluate("document.documentElement.classList.contains('elderly')")
    page.goto(server.url + "/")
    assert not page.evaluate("document.documentElement.classList.contains('elderly')")


def test_read_aloud_captions_and_guide(server: PortalServer, page: Any) -> None:
    # Headless Chromium has no audio device: the Web Speech API's speak() is recorded instead of heard.
    page.add_init_script("""window.__spoken = []; if (window.speechSynthesis) {
        speechSynthesis.speak = (u) => {
            window.__spoken.push([u.text, u.rate, u.volume]); if (u.onend) setTimeout(u.onend, 0); };
        speechSynthesis.cancel = () => {}; }""")
    page.goto(server.url + "/search?q=" + urllib.parse.quote("养老") + "&elderly=1")
    page.get_by_role("button", name="声音（指读）").click()
    page.get_by_role("button", name="大字幕").click()
    first = page.locator("a[data-document]").first
    first.hover()
    text = first.inner_text()
    spoken = page.evaluate("window.__spoken.map(s => s[0])")
    assert any(text in s for s in spoken), spoken
    assert text in page.locator("#caption").inner_text()
    page.get_by_role("button", name="语速加快").click()
    page.get_by_role("button", name="连读").click()
    spoken = page.evaluate("window.__spoken")
    assert any(s[0].startswith("一网通查") and s[1] > 1 for s in spoken), spoken[-3:]
    page.get_by_role("button", name="辅助线").click()
    page.mouse.move(300, 200)
    assert page.evaluate("document.getElementById('guide-x').getBoundingClientRect().top") == 200
    page.get_by_role("button", name="重置").click()
    assert "a11y-" not in page.evaluate("document.documentElement.className")


def test_suggestions_while_typing_are_a_keyboard_listbox(server: PortalServer, page: Any) -> None:
    page.goto(server.url + "/")
    page.locator("#q").fill("")
    page.locator("#q").press_sequentially("高龄")
    options = page.locator("#suggestions [role=option]")
    options.first.wait_for(timeout=5000)
    page.keyboard.press("ArrowDown")
    chosen = options.first.inner_text()
    assert page.locator("#q").get_attribute("aria-activedescendant") == "suggestion-0"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    assert page.locator("#q").input_value() == chosen
