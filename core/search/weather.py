"""Weather answers (今天天气, 明天郑州天气怎么样) from a WeatherProvider; a deterministic demo provider is bundled."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from core.errors import Invalid
from core.search.answers import InstantAnswer
from core.textzh.normalize import fold

log = logging.getLogger(__name__)

WEATHER_PROVIDERS = ("none", "demo")
TIMEOUT_S = 0.5  # a provider slower than this costs the answer, never the search
FRESH_S = 600.0  # a forecast is asked again after this long
FAILED_S = 30.0  # after a failure or timeout the provider is left alone this long (for that city and day)
_INTENT = re.compile(r"天气|气温|会不会下雨|下雨吗|下雪吗")
_DAYS = (("大后天", 3), ("后天", 2), ("明天", 1), ("明日", 1), ("今天", 0), ("今日", 0))
_FILLER = re.compile(r"怎么样|怎样|如何|咋样|好不好|预报|情况|查询|查一下|一下|请问|的|吗|呢|啊|[\s?？!！,，.。]")
_PLACE = re.compile(r"[\u4e00-\u9fff]{2,7}")
_DAY_WORDS = {0: "今天", 1: "明天", 2: "后天", 3: "大后天"}


@dataclass(frozen=True, kw_only=True)
class Forecast:
    """One day's weather for a city, as a provider reports it."""

    city: str
    day: date
    condition: str  # 晴, 多云, 小雨 …
    low_c: int
    high_c: int
    wind: str = ""


class WeatherProvider(Protocol):
    """A source of forecasts: a deployment's weather service behind this interface (see docs/search.md).

    `forecast` returns None for a place it does not know; it may raise or be slow: callers bound it by a
    timeout and treat any failure as no answer."""

    source: str  # shown under the answer, e.g. 中国气象局

    async def forecast(self, *, city: str, day: date) -> Forecast | None: ...


_CITY_NAMES = """北京 上海 天津 重庆 广州 深圳 郑州 武汉 成都 杭州 南京 西安 长沙 济南 沈阳 哈尔滨 长春 石家庄 太原
呼和浩特 合肥 福州 南昌 南宁 海口 贵阳 昆明 拉萨 兰州 西宁 银川 乌鲁木齐 苏州 青岛 厦门 大连 宁波 佛山 东莞 雄安"""
DEMO_CITIES = frozenset(_CITY_NAMES.split())
_CONDITIONS = ("晴", "多云", "阴", "小雨", "阵雨", "晴转多云", "多云转阴")
_WINDS = ("北风", "东北风", "东风", "东南风", "南风", "西南风", "西风", "西北风")
# A rough monthly mean (℃) of north-central China: the demo's temperatures follow the season.
_MONTH_MEAN = (0, 3, 9, 16, 22, 27, 28, 27, 22, 16, 8, 2)


class DemoWeather:
    """Made-up but stable forecasts (the same city and day always read the same): demo data, never real."""

    source = "演示数据（非真实天气，WEATHER_PROVIDER=demo）"
    demo = True  # the answer's text says so too

    def __init__(self, cities: frozenset[str] = DEMO_CITIES) -> None:
        self.cities = cities

    async def forecast(self, *, city: str, day: date) -> Forecast | None:
        if city not in self.cities:
            return None
        seed = hashlib.sha256(f"{city}|{day.isoformat()}".encode()).digest()
        mean = _MONTH_MEAN[day.month - 1] + (seed[0] % 7) - 3
        return Forecast(
            city=city,
            day=day,
            condition=_CONDITIONS[seed[1] % len(_CONDITIONS)],
            low_c=mean - 3 - seed[2] % 4,
            high_c=mean + 3 + seed[3] % 5,
            wind=f"{_WINDS[seed[4] % len(_WINDS)]}{1 + seed[5] % 4}级",
        )


@dataclass(frozen=True)
class WeatherAsk:
    """What a weather query asks: a city (None: the configured one) and how many days from today."""

    city: str | None
    days: int


def read_weather_query(query: str) -> WeatherAsk | None:
    """The city and day a query asks the weather of; None when it does not ask for the weather."""
    q = fold(query)
    if len(q) > 20 or not _INTENT.search(q):
        return None
    days = 0
    for word, offset in _DAYS:
        if word in q:
            days = offset
            q = q.replace(word, "")
            break
    rest = _FILLER.sub("", _INTENT.sub("", q)).removesuffix("市")
    if not rest:
        return WeatherAsk(None, days)
    return WeatherAsk(rest, days) if _PLACE.fullmatch(rest) else None


class WeatherAnswers:
    """Instant answers of kind `weather` from a provider: bounded by a timeout, cached per city and day."""

    def __init__(self, provider: WeatherProvider, *, city: str, timeout_s: float = TIMEOUT_S) -> None:
        self.provider = provider
        self.city = city
        self.timeout_s = timeout_s
        self._cache: dict[tuple[str, date], tuple[float, Forecast | None]] = {}

    def wants(self, query: str) -> bool:
        """Whether the query asks for the weather (cheap: decides whether a search asks the provider)."""
        return read_weather_query(query) is not None

    async def answer(self, query: str, *, today: date) -> InstantAnswer | None:
        """The answer, or None: not a weather query, a place the provider does not know, or a provider that
        failed or took longer than the timeout (logged; the search goes on without it)."""
        ask = read_weather_query(query)
        if ask is None:
            return None
        city, day = ask.city or self.city, today + timedelta(days=ask.days)
        cached = self._cache.get((city, day))
        if cached is not None and time.monotonic() < cached[0]:
            found = cached[1]
        else:
            found = await self._ask(city, day)
        if found is None:
            return None
        return _answer(found, days=ask.days, source=self.provider.source, demo=getattr(self.provider, "demo", False))

    async def _ask(self, city: str, day: date) -> Forecast | None:
        try:
            found = await asyncio.wait_for(self.provider.forecast(city=city, day=day), self.timeout_s)
        except Exception as exc:  # any provider failure only costs the answer
            log.warning("weather provider failed", extra={"city": city, "day": day.isoformat(), "error": repr(exc)})
            self._cache[(city, day)] = (time.monotonic() + FAILED_S, None)
            return None
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[(city, day)] = (time.monotonic() + FRESH_S, found)
        return found


def _answer(f: Forecast, *, days: int, source: str, demo: bool) -> InstantAnswer:
    when = f"{_DAY_WORDS.get(days, '')}（{f.day.month}月{f.day.day}日）"
    items = [f"天气：{f.condition}", f"气温：{f.low_c}～{f.high_c}℃"] + ([f"风力：{f.wind}"] if f.wind else [])
    text = f"{f.condition}，{f.low_c}～{f.high_c}℃" + (f"，{f.wind}" if f.wind else "")
    text += "（演示数据，非真实天气）" if demo else ""
    return InstantAnswer("weather", f"{f.city}{when}天气", text, source, items)


def weather_answers(provider: str, *, city: str) -> WeatherAnswers | None:
    """The weather answers WEATHER_PROVIDER names: `demo` (bundled, made-up data) or `none`."""
    if provider == "none":
        return None
    if provider == "demo":
        return WeatherAnswers(DemoWeather(DEMO_CITIES | {city}), city=city)
    raise Invalid(f"WEATHER_PROVIDER must be one of {', '.join(WEATHER_PROVIDERS)}, not {provider!r}")
