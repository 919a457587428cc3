"""robots.txt fetched once per host and cached, read with urllib.robotparser rules plus Crawl-delay."""

# Status rules follow RFC 9309 and Google's documented behaviour:
# - 2xx: the file is parsed; redirects are followed (up to 5 hops).
# - 4xx other than 429 (including 404): there is no robots.txt, so everything is allowed.
# - 429, 5xx, timeouts and connection errors: the site is unavailable, so everything is *disallowed*
#   (check() says "robots_unavailable") for `error_ttl_s`, then robots.txt is fetched again; a previously
#   good copy, if we hold one, keeps being used instead.

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import aiohttp

from scrapers.causes import cause_of
from scrapers.guard import refusal_of

log = logging.getLogger(__name__)

MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309: parse at least 500 KiB


@dataclass(frozen=True)
class RobotsRules:
    """One host's robots.txt as we understood it; `available` is False while the host errs (disallow all)."""

    parser: RobotFileParser
    crawl_delay_s: float | None
    available: bool
    fetched_at: float
    why_unavailable: str = "robots_unavailable"  # or "refused_address": the guard refused the host's address
    detail: str | None = None


class RobotsCache:
    """Per-host robots.txt rules for one user agent, fetched on first use and refreshed after `ttl_s`."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        user_agent: str,
        ttl_s: float = 3600.0,
        error_ttl_s: float = 300.0,
        timeout_s: float = 10.0,
    ) -> None:
        self._session = session
        self._user_agent = user_agent
        self._agent_token = user_agent.split("/")[0].strip().lower()
        self._ttl_s = ttl_s
        self._error_ttl_s = error_ttl_s
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._rules: dict[str, RobotsRules] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def check(self, url: str) -> str | None:
        """None when our user agent may fetch `url`, else `robots_disallow` or `robots_unavailable`."""
        rules = await self.rules_for(url)
        if not rules.available:
            return rules.why_unavailable
        return None if rules.parser.can_fetch(self._user_agent, url) else "robots_disallow"

    async def crawl_delay(self, url: str) -> float | None:
        """The Crawl-delay (or Request-rate interval) in seconds robots.txt asks of us on `url`'s host."""
        return (await self.rules_for(url)).crawl_delay_s

    async def rules_for(self, url: str) -> RobotsRules:
        parts = urlsplit(url)
        origin = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            rules = self._rules.get(origin)
            now = time.monotonic()
            if rules is None or now - rules.fetched_at > (self._ttl_s if rules.available else self._error_ttl_s):
                fresh = await self._fetch(origin)
                if not fresh.available and rules is not None and rules.available:
                    # Keep the last good copy while the host is down, and look again after error_ttl_s.
                    fresh = RobotsRules(rules.parser, rules.crawl_delay_s, True, now - self._ttl_s + self._error_ttl_s)
                self._rules[origin] = rules = fresh
            return rules

    async def _fetch(self, origin: str) -> RobotsRules:
        url = origin + "/robots.txt"
        now = time.monotonic()
        try:
            async with self._session.get(
                url,
                headers={"User-Agent": self._user_agent},
                timeout=self._timeout,
                max_redirects=5,
            ) as resp:
                status = resp.status
                body = await resp.content.read(MAX_ROBOTS_BYTES) if 200 <= status < 300 else b""
        except (aiohttp.ClientError, TimeoutError, UnicodeError, ValueError) as exc:
            log.info("robots.txt unreachable", extra={"url": url, "error": repr(exc)})
            refusal = refusal_of(exc)
            if refusal:
                return _unavailable(now, "refused_address", str(refusal))
            return _unavailable(now, detail=f"{cause_of(exc)}: {exc!r}"[:300])
        if 200 <= status < 300:
            return parse_robots(body.decode("utf-8", errors="replace"), self._agent_token, now)
        if status == 429 or status >= 500:
            log.info("robots.txt unavailable", extra={"url": url, "status": status})
            return _unavailable(now, detail=f"HTTP {status}")
        return parse_robots("", self._agent_token, now)


def parse_robots(text: str, agent_token: str, fetched_at: float = 0.0) -> RobotsRules:
    """Rules from robots.txt text for the agent token (the user agent up to its first '/')."""
    lines = text.lstrip("\ufeff").splitlines()
    parser = RobotFileParser()
    parser.parse(lines)
    return RobotsRules(parser, _crawl_delay(lines, agent_token, parser), True, fetched_at)


def _unavailable(now: float, why: str = "robots_unavailable", detail: str | None = None) -> RobotsRules:
    parser = RobotFileParser()
    parser.disallow_all = True  # type: ignore[attr-defined]
    return RobotsRules(parser, None, False, now, why, detail)


def _crawl_delay(lines: list[str], agent_token: str, parser: RobotFileParser) -> float | None:
    """Crawl-delay for our group, accepting decimals (robotparser only takes integers)."""
    groups = _delay_groups(lines)
    # Same matching as robotparser: the first group naming a substring of our token, else the `*` group.
    named = [delay for names, delay in groups if any(n != "*" and n in agent_token for n in names)]
    chosen = named or [delay for names, delay in groups if "*" in names]
    if not chosen:
        return None
    return chosen[0] if chosen[0] is not None else _request_rate(parser, agent_token)


def _delay_groups(lines: list[str]) -> list[tuple[list[str], float | None]]:
    """(user agents, crawl-delay) of every group of robots.txt, in order."""
    groups: list[tuple[list[str], float | None]] = []
    agents: list[str] = []
    delay: float | None = None
    in_rules = False
    for raw in lines:
        key, _, value = raw.split("#", 1)[0].partition(":")
        key, value = key.strip().lower(), value.strip()
        if key == "user-agent":
            if in_rules:
                groups.append((agents, delay))
                agents, delay, in_rules = [], None, False
            agents.append(value.lower())
        elif key in ("allow", "disallow", "crawl-delay", "request-rate") and agents:
            in_rules = True
            if key == "crawl-delay":
                delay = _seconds(value, otherwise=delay)
    if agents:
        groups.append((agents, delay))
    return groups


def _seconds(value: str, *, otherwise: float | None) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        return otherwise


def _request_rate(parser: RobotFileParser, agent_token: str) -> float | None:
    rate = parser.request_rate(agent_token)
    if rate is None or rate.requests <= 0:
        return None
    return rate.seconds / rate.requests
