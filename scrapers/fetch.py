"""The HTTP fetcher: conditional GET, retries, manual redirects, size/rate/type guards; never raises for a site."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import aiohttp

from scrapers.charset import decode_html, looks_binary, undecodable_share
from scrapers.politeness import HostLimiter
from scrapers.robots import RobotsCache
from scrapers.urls import canonicalize, host_of

HopCheck = Callable[[str], str | None]
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")
TEXT_TYPES = frozenset(
    ("text/html", "application/xhtml+xml", "text/xml", "application/xml", "application/json", *FEED_TYPES)
)
KEPT_HEADERS: tuple[str, ...] = ("content-type", "content-length", "content-language", "etag", "date")
KEPT_HEADERS += ("content-disposition", "last-modified", "cache-control", "expires", "retry-after", "x-robots-tag")
REDIRECTS = frozenset({301, 302, 303, 307, 308})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_GARBAGE_SHARE = 0.05


@dataclass
class FetchResult:
    """What one fetch produced; `error` names the reason when it did not produce a usable page."""

    url: str
    final_url: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    text: str | None = None
    content_type: str | None = None
    encoding: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    elapsed_ms: int = 0
    redirects: list[str] = field(default_factory=list)
    error: str | None = None
    detail: str | None = None
    not_modified: bool = False
    attempts: int = 0
    retry_after_s: float | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class _Retry(Exception):
    def __init__(self, wait_s: float | None) -> None:
        self.wait_s = wait_s


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
        self._session = session
        self._user_agent = user_agent
        self._timeout_s = timeout_s
        self._client_timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=min(connect_timeout_s, timeout_s), sock_read=timeout_s
        )
        self._max_body = max_body_bytes
        self._max_redirects = max_redirects
        self._retries = retries
        self._min_rate = min_rate_bps
        self._grace_s = min_rate_grace_s
        self._backoff = (backoff_base_s, backoff_cap_s)
        self._retry_after_cap_s = retry_after_cap_s
        self._robots = robots
        self._limiter = limiter
        self._hop_check = hop_check

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None, hop_check: HopCheck | None = None
    ) -> FetchResult:
        """GET `url` (conditionally when validators are given), following redirects that pass `hop_check`."""
        headers = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.5"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await self._follow("GET", url, headers, hop_check or self._hop_check)

    async def head(self, url: str, *, hop_check: HopCheck | None = None) -> FetchResult:
        """HEAD `url` (an attachment): status, type and size without the body."""
        return await self._follow("HEAD", url, {}, hop_check or self._hop_check)

    async def _follow(self, method: str, url: str, headers: dict[str, str], hop_check: HopCheck | None) -> FetchResult:
        started = time.monotonic()
        result = FetchResult(url=url, final_url=url)
        seen = {canonicalize(url) or url}
        try:
            reason = await self._admit(url, None)
            while reason is None:
                location = await self._with_retries(method, result.final_url, headers, result)
                if location is None:
                    return result
                # Every Location received is listed; final_url only moves once a hop is admitted.
                result.redirects.append(location)
                canonical = canonicalize(location)
                if canonical is None:
                    reason = ("bad_redirect", f"redirect to {location}")
                elif canonical in seen:
                    reason = ("redirect_loop", f"{result.final_url} -> {location}")
                elif len(result.redirects) > self._max_redirects:
                    reason = ("too_many_redirects", f"more than {self._max_redirects}")
                else:
                    seen.add(canonical)
                    reason = await self._admit(location, hop_check)
                    if reason is None:
                        result.final_url = location
            return _fail(result, *reason)
        finally:
            result.elapsed_ms = int((time.monotonic() - started) * 1000)

    async def _admit(self, url: str, hop_check: HopCheck | None) -> tuple[str, str] | None:
        if canonicalize(url) is None:
            return "invalid_url", url
        if hop_check is not None:
            refused = hop_check(url)
            if refused is not None:
                return "out_of_scope", f"{url}: {refused}"
        if self._robots is not None:
            refused = await self._robots.check(url)
            if refused is not None:
                return refused, url
            delay = await self._robots.crawl_delay(url)
            if delay is not None and self._limiter is not None:
                self._limiter.set_delay(host_of(url), delay)
        return None

    async def _with_retries(self, method: str, url: str, headers: dict[str, str], result: FetchResult) -> str | None:
        """One hop, retried; returns the redirect target or None when `result` is complete."""
        for attempt in range(self._retries + 1):
            result.attempts += 1
            last = attempt == self._retries
            try:
                async with self._slot(url), asyncio.timeout(self._timeout_s):
                    return await self._once(method, url, headers, result, last)
            except _Retry as retry:
                wait = retry.wait_s
            except aiohttp.ConnectionTimeoutError as exc:
                if last:
                    _fail(result, "timeout", f"connect: {exc}")
                    return None
                wait = None
            except TimeoutError:
                _fail(result, "timeout", f"no complete response within {self._timeout_s}s")
                return None
            except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
                if last:
                    _fail(result, "connect_error", repr(exc))
                    return None
                wait = None
            except aiohttp.ClientResponseError as exc:
                _fail(result, "bad_response", repr(exc))
                return None
            except (aiohttp.InvalidURL, UnicodeError, ValueError) as exc:
                _fail(result, "invalid_url", repr(exc))
                return None
            except aiohttp.ClientError as exc:
                _fail(result, "connect_error", repr(exc))
                return None
            await asyncio.sleep(wait if wait is not None else self._backoff_s(attempt))
        raise AssertionError("unreachable: the last attempt always returns")

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

    async def _once(
        self, method: str, url: str, headers: dict[str, str], result: FetchResult, last: bool
    ) -> str | None:
        sent = {"User-Agent": self._user_agent, **headers}
        async with self._session.request(
            method, url, headers=sent, allow_redirects=False, timeout=self._client_timeout
        ) as resp:
            status = resp.status
            result.status = status
            result.headers = {k: resp.headers[k] for k in KEPT_HEADERS if k in resp.headers}
            result.content_type = resp.headers.get("Content-Type", "").split(";")[0].strip().lower() or None
            result.etag = resp.headers.get("ETag")
            result.last_modified = resp.headers.get("Last-Modified")
            if status in REDIRECTS:
                location = resp.headers.get("Location")
                if not location:
                    _fail(result, "bad_redirect", f"HTTP {status} without Location")
                    return None
                return urljoin(url, location.strip())
            if status == 304 and ("If-None-Match" in headers or "If-Modified-Since" in headers):
                result.not_modified = True
                result.etag = result.etag or headers.get("If-None-Match")
                result.last_modified = result.last_modified or headers.get("If-Modified-Since")
                return None
            if status in RETRY_STATUSES:
                retry_after = _retry_after_s(resp.headers.get("Retry-After"))
                result.retry_after_s = retry_after
                if not last and (retry_after is None or retry_after <= self._retry_after_cap_s):
                    raise _Retry(retry_after)
            if not 200 <= status < 300:
                _fail(result, "bad_status", f"HTTP {status}")
                return None
            if method == "HEAD":
                return None
            mime = result.content_type
            if mime and mime not in TEXT_TYPES and not mime.endswith(("+xml", "+json")):
                _fail(result, "unsupported_content_type", result.content_type)
                return None
            if (resp.content_length or 0) > self._max_body:
                _fail(result, "too_large", f"Content-Length {resp.content_length}")
                return None
            body = await self._read(resp, result)
            if body is None:
                return None
            self._decode(body, resp.headers.get("Content-Type"), result)
            return None

    async def _read(self, resp: aiohttp.ClientResponse, result: FetchResult) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        started = time.monotonic()
        async for chunk in resp.content.iter_any():
            size += len(chunk)
            if size > self._max_body:
                _fail(result, "too_large", f"more than {self._max_body} bytes")
                return None
            chunks.append(chunk)
            elapsed = time.monotonic() - started
            if elapsed > self._grace_s and size / elapsed < self._min_rate:
                _fail(result, "too_slow", f"{size} bytes in {elapsed:.1f}s")
                return None
        return b"".join(chunks)

    def _decode(self, body: bytes, content_type: str | None, result: FetchResult) -> None:
        if looks_binary(body):
            _fail(result, "binary_body", "binary signature or NUL bytes")
            return
        text, encoding = decode_html(body, content_type)
        if undecodable_share(text) > MAX_GARBAGE_SHARE:
            _fail(result, "binary_body", "most of the body does not decode")
            return
        result.body, result.text, result.encoding = body, text, encoding


def _fail(result: FetchResult, error: str, detail: str | None = None) -> FetchResult:
    result.error = error
    result.detail = detail
    return result


def _retry_after_s(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
