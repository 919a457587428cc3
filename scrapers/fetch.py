"""The HTTP fetcher: conditional GET, retries, manual redirects, size/rate/type guards; never raises for a site."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from scrapers.exchange import Exchange, FetchResult, HopCheck, Host, Limits
from scrapers.politeness import HostLimiter
from scrapers.robots import RobotsCache
from scrapers.urls import canonicalize, host_of

__all__ = ["FetchResult", "Fetcher", "HopCheck"]
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.5"


class Fetcher:
    """Fetches pages over one aiohttp session within the limits given at construction."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        user_agent: str,
        timeout_s: float = 20.0,
        connect_timeout_s: float = 10.0,
        max_body_bytes: int = 5 * 1024 * 1024,
        max_redirects: int = 10,
        retries: int = 2,
        min_rate_bps: float = 1024.0,
        min_rate_grace_s: float = 3.0,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 30.0,
        retry_after_cap_s: float = 60.0,
        robots: RobotsCache | None = None,
        limiter: HostLimiter | None = None,
        hop_check: HopCheck | None = None,
    ) -> None:
        limits = Limits(
            timeout_s=timeout_s,
            client_timeout=aiohttp.ClientTimeout(
                total=None, sock_connect=min(connect_timeout_s, timeout_s), sock_read=timeout_s
            ),
            max_body_bytes=max_body_bytes,
            max_redirects=max_redirects,
            retries=retries,
            min_rate_bps=min_rate_bps,
            min_rate_grace_s=min_rate_grace_s,
            retry_after_cap_s=retry_after_cap_s,
        )
        self._host = Host(
            session=session,
            user_agent=user_agent,
            limits=limits,
            admit=self._admit,
            slot=self._slot,
            backoff_s=self._backoff_s,
        )
        self._backoff = (backoff_base_s, backoff_cap_s)
        self._robots = robots
        self._limiter = limiter
        self._hop_check = hop_check

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None, hop_check: HopCheck | None = None
    ) -> FetchResult:
        """GET `url` (conditionally when validators are given), following redirects that pass `hop_check`."""
        headers = {"Accept": ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await Exchange(self._host, "GET", url, headers).follow(hop_check or self._hop_check)

    async def head(self, url: str, *, hop_check: HopCheck | None = None) -> FetchResult:
        """HEAD `url` (an attachment): status, type and size without the body."""
        return await Exchange(self._host, "HEAD", url, {}).follow(hop_check or self._hop_check)

    async def _admit(self, url: str, hop_check: HopCheck | None) -> tuple[str, str] | None:
        """Why `url` may not be fetched (scope, robots.txt), or None; a robots Crawl-delay slows its host."""
        if canonicalize(url) is None:
            return "invalid_url", url
        if hop_check is not None:
            refused = hop_check(url)
            if refused is not None:
                return "out_of_scope", f"{url}: {refused}"
        if self._robots is not None:
            refused = await self._robots.check(url)
            if refused is not None:
                return refused, (await self._robots.rules_for(url)).detail or url
            delay = await self._robots.crawl_delay(url)
            if delay is not None and self._limiter is not None:
                self._limiter.set_delay(host_of(url), delay)
        return None

    def _backoff_s(self, attempt: int) -> float:
        base, cap = self._backoff
        return min(cap, base * 2**attempt) * random.uniform(0.5, 1.0)

    @asynccontextmanager
    async def _slot(self, url: str) -> AsyncIterator[None]:
        if self._limiter is None:
            yield
            return
        async with self._limiter.slot(host_of(url)):
            yield
