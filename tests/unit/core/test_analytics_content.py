"""Content and audience analytics without a database: salient terms, day windows, the offline province lookup,
bot filtering, visitor hashes, and the count deltas a changed document makes."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.analytics import Window, is_bot, visitor_hash
from core.analytics.content import _delta, document_day
from core.analytics.days import day_span
from core.analytics.geo import ABROAD, Regions, province_of
from core.analytics.hot_words import _covered
from core.analytics.records import HotWord
from core.analytics.terms import MAX_TERMS, salient_terms
from core.errors import Invalid


def test_salient_terms_keep_title_words_and_phrases_and_repeated_body_words() -> None:
    terms = salient_terms(
        "关于印发人才公寓管理办法的通知", "人才公寓申请条件。高层次人才。申请条件如下。2024年3月1日起施行。"
    )
    assert terms[: terms.index("人才公寓") + 1] == ["人才", "公寓", "人才公寓"], "title words first, then phrases"
    assert "申请条件" in terms or "申请" in terms, "a body word said twice"
    assert not {"关于", "印发", "通知", "办法", "2024年", "3月", "的"} & set(terms), "stop words, dates, boilerplate"
    assert "高层次" not in terms, "a body word said once is not what the document is about"


def test_salient_terms_are_capped_per_document() -> None:
    body = "".join(f"{w}{w}" for w in ["社保", "医保", "公积金", "养老", "教育", "交通", "住房", "就业"] * 20)
    assert len(salient_terms("标题", body * 10)) <= MAX_TERMS


def test_a_document_counts_on_its_published_day_unless_that_is_after_it_was_seen() -> None:
    seen = date(2031, 3, 10)
    assert document_day(date(2031, 3, 1), seen) == date(2031, 3, 1)
    assert document_day(None, seen) == seen
    assert document_day(date(2031, 4, 1), seen) == seen, "a misread future date"


def test_day_windows_are_beijing_days_and_refuse_hours() -> None:
    late_utc = datetime(2031, 3, 10, 17, 0, tzinfo=UTC)  # 01:00 on the 11th in Beijing
    week = day_span(Window.WEEK, late_utc)
    assert (week.first, week.last, week.days) == (date(2031, 3, 5), date(2031, 3, 11), 7)
    assert week.before(4).first == date(2031, 2, 5) and week.before(4).last == date(2031, 3, 4)
    assert day_span(Window.DAY, late_utc).each() == [date(2031, 3, 11)]
    with pytest.raises(Invalid, match="window must be DAY or WEEK"):
        day_span(Window.HOUR, late_utc)


def test_a_changed_document_moves_its_counts_and_a_repeat_changes_nothing() -> None:
    d1, d2 = date(2031, 3, 10), date(2031, 3, 11)
    old = {"a": ("s", d1, ("社保", "医保")), "b": ("s", d1, ("社保",))}
    new = {"a": ("s", d2, ("社保",)), "b": ("s", d1, ("社保",))}  # a: re-dated and shortened; b: the same
    delta = _delta(old, new, ["a", "b"], d1)
    assert {k: v for k, v in delta.terms.items() if v} == {
        ("s", d1, "社保"): -1,
        ("s", d1, "医保"): -1,
        ("s", d2, "社保"): 1,
    }
    assert {k: v for k, v in delta.docs.items() if v} == {("s", d1): -1, ("s", d2): 1}
    gone = _delta(old, {"b": old["b"]}, ["a", "b"], d1)
    assert sum(gone.terms.values()) == -2 and sum(gone.docs.values()) == -1
    assert not _delta(new, new, ["a", "b"], d1).terms
    pruned = _delta(old, {}, ["a"], d2)  # a's day is past the horizon: its counts are gone already
    assert not any(pruned.terms.values()) and not any(pruned.docs.values())


def test_a_word_inside_a_listed_phrase_with_its_documents_is_left_out() -> None:
    def word(term: str, count: int) -> HotWord:
        return HotWord(term=term, count=count, before=0.0, rise=count + 1.0, documents=[])

    kept = _covered([word("人才公寓", 4), word("人才", 5), word("公寓", 9), word("医保", 3)])
    assert [w.term for w in kept] == ["人才公寓", "公寓", "医保"], "公寓 has many documents beyond the phrase"


@pytest.mark.parametrize(
    ("address", "province"),
    [
        ("202.96.209.5", "上海市"),
        ("60.30.1.1", "天津市"),
        ("183.60.0.1", "广东省"),
        ("::ffff:183.60.0.1", "广东省"),
        ("8.8.8.8", ABROAD),
        ("127.0.0.1", None),
        ("192.168.1.5", None),
        ("10.1.2.3", None),
        ("::1", None),
        ("2001:4860::1", None),
        ("not an address", None),
    ],
)
def test_provinces_come_from_the_offline_database(address: str, province: str | None) -> None:
    assert province_of(address) == province


def test_a_file_that_is_not_a_region_database_is_refused() -> None:
    with pytest.raises(ValueError, match="not an ip2region xdb file"):
        Regions(b"\0" * 100)


@pytest.mark.parametrize(
    ("agent", "bot"),
    [
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36", False),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) MicroMessenger/8.0", False),
        ("Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", True),
        ("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36", True),
        ("python-requests/2.32", True),
        ("", True),
        (None, True),
    ],
)
def test_bots_and_requests_without_a_user_agent_are_not_readers(agent: str | None, bot: bool) -> None:
    assert is_bot(agent) is bot


def test_visitor_hashes_change_with_the_salt() -> None:
    one = visitor_hash(b"salt-of-monday", "202.96.209.5", "Mozilla/5.0")
    assert one == visitor_hash(b"salt-of-monday", "202.96.209.5", "Mozilla/5.0") and len(one) == 32
    assert one != visitor_hash(b"salt-of-tuesday", "202.96.209.5", "Mozilla/5.0")
    assert one != visitor_hash(b"salt-of-monday", "202.96.209.5", "Mozilla/5.0 other")
