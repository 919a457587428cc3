"""Weather answers: the city and day a query asks, the demo provider, and providers that fail or hang."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime

import pytest

from core.errors import Invalid
from core.search import IndexDoc
from core.search.service import SearchService
from core.search.tantivy_engine import TantivyEngine
from core.search.weather import DemoWeather, Forecast, WeatherAnswers, read_weather_query, weather_answers
from core.settings import Settings

TODAY = date(2026, 12, 3)


@pytest.mark.parametrize(
    ("query", "city", "days"),
    [
        ("今天天气", None, 0),
        ("天气", None, 0),
        ("明天郑州天气怎么样", "郑州", 1),
        ("郑州市明天的天气？", "郑州", 1),
        ("後天廣州天氣", "广州", 2),  # traditional script is folded
        ("上海天气预报", "上海", 0),
    ],
)
def test_the_city_and_day_a_weather_query_asks(query: str, city: str | None, days: int) -> None:
    ask = read_weather_query(query)
    assert ask is not None and (ask.city, ask.days) == (city, days)


@pytest.mark.parametrize("query", ["社保卡补办", "关于做好高温天气劳动保护工作的通知", "天气 2024 年 办事 指南 hello"])
def test_other_queries_do_not_ask_for_the_weather(query: str) -> None:
    assert read_weather_query(query) is None


async def test_demo_answers_are_stable_labelled_and_only_for_known_cities() -> None:
    answers = WeatherAnswers(DemoWeather(), city="郑州")
    first = await answers.answer("明天郑州天气怎么样", today=TODAY)
    again = await WeatherAnswers(DemoWeather(), city="北京").answer("郑州明天天气", today=TODAY)
    assert first is not None and first == again and first.kind == "weather"
    assert first.title == "郑州明天（12月4日）天气" and "演示数据" in first.text and "演示数据" in first.source
    assert first.items[0].startswith("天气：") and "℃" in first.items[1]
    today = await answers.answer("今天天气", today=TODAY)
    assert today is not None and today.title.startswith("郑州今天（12月3日）")
    assert await answers.answer("火星天气", today=TODAY) is None  # a place the provider does not know


class Failing:
    """A provider whose service is down (raises) or hangs (never answers)."""

    source = "测试"

    def __init__(self, *, hang: bool) -> None:
        self.hang = hang
        self.calls = 0

    async def forecast(self, *, city: str, day: date) -> Forecast | None:
        self.calls += 1
        if self.hang:
            await asyncio.Event().wait()
        raise ConnectionError("weather service unreachable")


@pytest.mark.parametrize("hang", [False, True])
async def test_a_failing_or_hanging_provider_costs_only_the_answer(
    engine: TantivyEngine, caplog: pytest.LogCaptureFixture, hang: bool
) -> None:
    await engine.upsert([IndexDoc(id="w1", url="http://x.invalid/1", title="郑州市气象服务指南", text="天气 预报")])
    provider = Failing(hang=hang)
    service = SearchService(
        engine,
        weather=WeatherAnswers(provider, city="郑州", timeout_s=0.05),
        clock=lambda: datetime(2026, 12, 3, 4, 0, tzinfo=UTC),
    )
    try:
        with caplog.at_level(logging.WARNING, logger="core.search.weather"):
            out = await service.search("郑州天气")
        assert out.answers == [] and [h.hit.id for h in out.hits] == ["w1"]
        assert "weather provider failed" in caplog.text
        await service.search("郑州天气")
        assert provider.calls == 1, "a failed city and day is left alone for a while"
    finally:
        await service.close()


def test_the_setting_chooses_the_provider() -> None:
    assert weather_answers("none", city="北京") is None
    demo = weather_answers("demo", city="示范市")
    assert demo is not None and demo.city == "示范市"
    with pytest.raises(Invalid, match="WEATHER_PROVIDER"):
        Settings.from_env({"WEATHER_PROVIDER": "sunny"})
    assert Settings().weather_provider == "none"
