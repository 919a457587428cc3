"""Search analytics without a database: query keys, window arithmetic, decoding both event types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.analytics import Window, decode_activity, normalize_query
from core.analytics.models import Span, parse_at
from core.analytics.visits import untracked
from core.bus import HotQueriesUpdated, ResultClicked, SearchLogged
from core.errors import Invalid


@pytest.mark.parametrize(
    ("raw", "key"),
    [("公積金  提取", "公积金 提取"), ("ＧＪＪ查询", "gjj查询"), ("  Shebao\t卡 ", "shebao 卡"), ("", "")],
)
def test_queries_are_counted_under_one_folded_key(raw: str, key: str) -> None:
    assert normalize_query(raw) == key


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("社保卡 site:srch-portal", "社保卡"),
        ('"社保卡" -广州', "社保卡"),
        ("“社會保障卡” 申领 type:service after:2020 before:2024-06", "社会保障卡 申领"),
        ("title:社保卡", "社保卡"),  # what is sought in titles is what was searched
        ("文号:国办发〔2017〕47号", "国办发〔2017〕47号"),
        ("12:30 开会", "12:30 开会"),  # not an operator: a word, as the search read it
        ("site:srch-portal type:policy", ""),  # constraints alone: counted for the totals, listed nowhere
    ],
)
def test_queries_are_counted_by_their_words_without_search_operators(raw: str, key: str) -> None:
    assert normalize_query(raw) == key


def test_long_queries_are_capped() -> None:
    assert len(normalize_query("政" * 500)) == 200


def test_windows_are_whole_hours_ending_with_the_current_one() -> None:
    now = datetime(2031, 3, 10, 14, 30, tzinfo=UTC)
    hour, day = Span.of(Window.HOUR, now), Span.of(Window.DAY, now)
    assert hour.first == hour.last == datetime(2031, 3, 10, 14, tzinfo=UTC) and hour.elapsed_hours == 0.5
    assert day.first == datetime(2031, 3, 9, 15, tzinfo=UTC) and day.elapsed_hours == 23.5
    before = day.previous(Window.DAY)
    assert before.last == day.first - timedelta(hours=1) and before.first == datetime(2031, 3, 8, 15, tzinfo=UTC)
    assert Span.of(Window.WEEK, now).first == datetime(2031, 3, 3, 15, tzinfo=UTC)


def test_event_times_are_read_as_utc() -> None:
    assert parse_at("2031-03-10T22:30:00+08:00") == datetime(2031, 3, 10, 14, 30, tzinfo=UTC)
    assert parse_at("2031-03-10T14:30:00") == datetime(2031, 3, 10, 14, 30, tzinfo=UTC)
    for bad in ("yesterday", 1700000000, None):
        with pytest.raises(Invalid):
            parse_at(bad)


def test_window_names() -> None:
    assert Window.parse("week") is Window.WEEK
    with pytest.raises(Invalid, match="HOUR/DAY/WEEK"):
        Window.parse("month")


def test_both_event_types_of_the_stream_decode() -> None:
    s = SearchLogged(search_id="s1", query="社保", total=3, at="2031-01-01T00:00:00+00:00", site="demo-portal")
    c = ResultClicked(search_id="s1", document_id="d9", position=2, at="2031-01-01T00:00:05+00:00")
    assert decode_activity(s.encode()) == s and decode_activity(c.encode()) == c
    for raw in (b"nope", b"[]", b'{"search_id":"s1"}'):
        with pytest.raises(Invalid):
            decode_activity(raw)


def test_hot_notifications_have_site_subjects() -> None:
    assert HotQueriesUpdated(searches=3, clicks=0, at="t", site="demo-rsj").subject == "yw.hot.v1.demo-rsj"
    assert HotQueriesUpdated(searches=3, clicks=0, at="t").subject == "yw.hot.v1.all"


@pytest.mark.parametrize(
    ("opened", "stored"),
    [
        ("https://a.gov.cn/art/1.html?from=timeline&isappinstalled=0", "https://a.gov.cn/art/1.html"),
        ("https://a.gov.cn/art?id=5&utm_source=weibo&spm=a2c.1", "https://a.gov.cn/art?id=5"),
        ("https://a.gov.cn/art?id=5", "https://a.gov.cn/art?id=5"),  # the page's own parameters stay
    ],
)
def test_a_shared_address_is_read_without_what_share_buttons_add(opened: str, stored: str) -> None:
    assert untracked(opened) == stored
