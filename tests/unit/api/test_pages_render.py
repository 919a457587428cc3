"""Pieces of the portal that need no server: highlight sanitising, chart scaling, the elderly-mode preferences."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from starlette.requests import Request

from api.pages.account import safe_back_to
from api.pages.charts import bar_chart, highlighted, nice_top
from api.pages.prefs import read_prefs
from api.pages.relying import Pending, client_id
from api.pages.render import ENV, hit_link
from core.settings import Settings


def test_only_em_marks_survive_a_highlight() -> None:
    raw = "<em>养老</em><script>x()</script><img src=x onerror=y()>&lt;b&gt;"
    out = str(highlighted(raw))
    assert out.startswith("<em>养老</em>&lt;script&gt;x()&lt;/script&gt;&lt;img src=x onerror=y()&gt;")
    assert out.endswith("&lt;b&gt;")  # already-escaped text is shown as written, not doubly escaped
    assert "<script" not in out and "<img" not in out and "<b>" not in out


def test_chart_tops_are_round_and_bars_fit() -> None:
    assert [nice_top(v) for v in (0, 1, 3, 7, 11, 240)] == [1, 1, 5, 10, 20, 500]
    chart = bar_chart([("a", 3), ("b", 10)], width=200, height=100)
    assert chart.top == 10
    tall = chart.bars[1]
    assert tall.height == 100 and tall.y == 0 and tall.x + tall.width <= 200


def _request(query: str = "", cookie: str = "") -> Request:
    headers = [(b"cookie", cookie.encode())] if cookie else []
    return Request({"type": "http", "query_string": query.encode(), "headers": headers})


def test_the_mode_follows_the_link_then_the_cookie() -> None:
    assert read_prefs(_request("elderly=1")).elderly and read_prefs(_request("elderly=1")).changed
    assert read_prefs(_request(cookie="yw_elderly=1")).elderly
    off = read_prefs(_request("elderly=0", "yw_elderly=1; yw_a11y=contrast.cursor"))
    assert not off.elderly and off.changed and not off.tools
    tools = read_prefs(_request(cookie="yw_elderly=1; yw_a11y=contrast.evil.cursor"))
    assert tools.tools == {"contrast", "cursor"} and tools.classes == "elderly a11y-contrast a11y-cursor"


def test_sign_in_only_ever_returns_to_a_path_of_this_site() -> None:
    for hostile in ("//evil.example/", "https://evil.example/", "/\\evil.example", "evil", "", None):
        assert safe_back_to(hostile) == "/me"
    assert safe_back_to("/search?q=%E5%85%BB") == "/search?q=%E5%85%BB"


def test_the_authorization_request_uses_pkce_s256_and_one_client_per_issuer() -> None:
    settings = Settings(public_url="https://www.example.gov.cn")
    pending = Pending.start("/me")
    url = pending.authorization_url(settings)
    params = dict(parse_qsl(urlsplit(url).query))
    assert url.startswith("https://www.example.gov.cn/oidc/authorize?")
    assert params["code_challenge"] == create_s256_code_challenge(pending.verifier) != pending.verifier
    assert params["code_challenge_method"] == "S256" and params["scope"] == "openid profile"
    assert params["redirect_uri"] == "https://www.example.gov.cn/signin/callback"
    assert params["state"] == pending.state and params["nonce"] == pending.nonce
    assert pending.same_state(pending.state) and not pending.same_state("x") and not pending.same_state(None)
    assert client_id(settings) == params["client_id"] != client_id(Settings(public_url="https://other.example"))


def test_the_hall_walkthrough_is_an_ordered_list_with_the_materials_checklist() -> None:
    stop = {"poi": {"name": "取号机", "kind": "ticket"}, "action": "取号", "reminders": ["刷身份证取号"]}
    walk = {
        "service": "不动产登记资料查询",
        "sequence": "南门入口 → 取号机",
        "metres": 4.5,
        "window": {"name": "1号窗口"},
        "stops": [
            stop | {"checklist": ["身份证原件", "<b>申请表</b>"], "route": {"metres": 4.5, "narration": "向东走"}}
        ],
    }
    hall = {
        "id": "h",
        "name": "大厅",
        "address": "会展大道",
        "hotline": "12345",
        "viewerUrl": "/halls/h/",
        "services": [],
    }
    html = ENV.get_template("hall.html").render(
        request=_request(),
        prefs=read_prefs(_request()),
        switch_mode="",
        path="/halls/h",
        signed_in=False,
        signin_link="/signin",
        server_speech=False,
        title="大厅",
        hall=hall,
        service="不动产登记资料查询",
        walk=walk,
        windows={},
    )
    checklist = html.split('<ol class="walk" id="walk">', 1)[1]
    assert "<h3>取号机</h3>" in checklist and "请备好以下材料" in checklist
    assert "<li>身份证原件</li>" in checklist and "&lt;b&gt;申请表&lt;/b&gt;" in checklist
    assert "暂未收录" not in checklist


def test_a_letter_hit_opens_the_letters_page_here_whatever_its_url() -> None:
    letter = "5f0c6f1e-8a47-4c1e-9d62-0b7e2f3a9c10"
    for url in (f"https://gov.example.cn/letters/{letter}", f"https://rs.example.gov.cn/letters/{letter}"):
        assert hit_link({"kind": "letter", "url": url, "documentId": "d1"}) == f"/letters/{letter}"
    assert hit_link({"kind": "letter", "url": "https://x/letters/", "documentId": "d1"}) == "/documents/d1"
    assert hit_link({"kind": "news", "url": f"https://x/{letter}.html", "documentId": "d2"}) == "/documents/d2"
