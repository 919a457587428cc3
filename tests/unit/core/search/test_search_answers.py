"""Instant answers: holiday arrangements from chinesecalendar, with the year asked or the current one."""

from __future__ import annotations

from datetime import UTC, date, datetime

from core.search.answers import HolidayAnswers
from core.search.service import SearchService
from core.search.tantivy_engine import TantivyEngine

TODAY = date(2025, 3, 1)


def test_spring_festival_days_and_make_up_workdays() -> None:
    a = HolidayAnswers().answer("春节放几天", today=TODAY)
    assert a is not None and a.title == "2025年春节放假安排"
    assert "1月28日至2月4日放假，共8天" in a.text and "1月26日、2月8日上班（调休）" in a.text


def test_the_year_in_the_query_wins_and_national_day_make_up_days() -> None:
    a = HolidayAnswers().answer("2024国庆调休", today=TODAY)
    assert a is not None and "10月1日至10月7日放假，共7天" in a.text and "9月29日、10月12日上班" in a.text


def test_whole_year_arrangement_lists_every_break() -> None:
    a = HolidayAnswers().answer("2025年放假安排", today=TODAY)
    # 2025: 中秋 (10月6日) falls inside the National Day break and is listed with it
    assert a is not None and len(a.items) == 6 and a.items[0].startswith("元旦") and a.items[-1].startswith("国庆节")


def test_other_queries_get_no_answer_and_unknown_years_say_so() -> None:
    assert HolidayAnswers().answer("社保卡补办", today=TODAY) is None
    assert HolidayAnswers().answer("国庆节", today=TODAY) is None, "a bare name is a search, not a question"
    a = HolidayAnswers().answer("2099年放假安排", today=TODAY)
    assert a is not None and "暂无2099年" in a.text


async def test_search_answers_for_beijing_today_from_the_injected_clock(engine: TantivyEngine) -> None:
    # 31 December 2024, 17:00 UTC is already 1 January 2025 in Beijing: the arrangement asked about is 2025's.
    service = SearchService(engine, clock=lambda: datetime(2024, 12, 31, 17, 0, tzinfo=UTC))
    try:
        outcome = await service.search("春节放几天")
    finally:
        await service.close()
    assert [a.title[:5] for a in outcome.answers] == ["2025年"]
