"""Pieces of the portal that need no server: highlight sanitising, chart scaling, the elderly-mode preferences."""

from __future__ import annotations

from starlette.requests import Request

from api.pages.charts import bar_chart, highlighted, nice_top
from api.pages.prefs import read_prefs


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
