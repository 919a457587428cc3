"""One fetch in progress: the hops, attempts and body reads that fill in its FetchResult."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin

import aiohttp

from scrapers.causes import cause_of
from scrapers.charset import decode_html, looks_binary, undecodable_share
from scrapers.guard import refusal_of
from scrapers.urls import canonicalize

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


@dataclass(frozen=True, kw_only=True)
class Limits:
    """The bounds every fetch of one Fetcher keeps."""

    timeout_s: float
    client_timeout: aiohttp.ClientTimeout
    max_body_bytes: int
    max_redirects: int
    retries: int
    min_rate_bps: float
    min_rate_grace_s: float
    retry_after_cap_s: float


@dataclass(frozen=True, kw_only=True)
class Host:
    """What an exchange asks of its Fetcher: the session, admission of a URL, a politeness slot, a backoff."""

    session: aiohttp.ClientSession
    user_agent: str
    limits: Limits
    admit: Callable[[str, HopCheck | None], Awaitable[tuple[str, str] | None]]
    slot: Callable[[str], AbstractAsyncContextManager[None]]
    backoff_s: Callable[[int], float]


class _Retry(Exception):
    def __init__(self, wait_s: float | None) -> None:
        self.wait_s = wait_s


class Exchange:
    """One GET or HEAD with its redirects and retries; never raises for what a site does."""

    def __init__(self, host: Host, method: str, url: str, headers: dict[str, str]) -> None:
        self.host = host
        self.limits = host.limits
        self.method = method
        self.headers = headers
        self.result = FetchResult(url=url, final_url=url)

    def fail(self, error: str, detail: str | None = None) -> None:
        self.result.error = error
        self.result.detail = detail

    async def follow(self, hop_check: HopCheck | None) -> FetchResult:
        """Follow redirects that pass `hop_check` until an answer; the result says what happened."""
        started = time.monotonic()
        result = self.result
        seen = {canonicalize(result.url) or result.url}
        try:
            reason = await self.host.admit(result.url, None)
            while reason is None:
                location = await self._hop(result.final_url)
                if location is None:
                    return result
                # Every Location received is listed; final_url only moves once a hop is admitted.
                result.redirects.append(location)
                reason = self._refused_redirect(location, seen) or await self.host.admit(location, hop_check)
                if reason is None:
                    seen.add(canonicalize(location) or location)
                    result.final_url = location
            self.fail(*reason)
            return result
        finally:
            result.elapsed_ms = int((time.monotonic() - started) * 1000)

    def _refused_redirect(self, location: str, seen: set[str]) -> tuple[str, str] | None:
        canonical = canonicalize(location)
        if canonical is None:
            return "bad_redirect", f"redirect to {location}"
        if canonical in seen:
            return "redirect_loop", f"{self.result.final_url} -> {location}"
        if len(self.result.redirects) > self.limits.max_redirects:
            return "too_many_redirects", f"more than {self.limits.max_redirects}"
        return None

    async def _hop(self, url: str) -> str | None:
        """One hop, retried; returns the redirect target, or None when the result is complete."""
        retries = self.limits.retries
        for attempt in range(retries + 1):
            self.result.attempts += 1
            last = attempt == retries
            try:
                async with self.host.slot(url), asyncio.timeout(self.limits.timeout_s):
                    return await self._attempt(url, last)
            except _Retry as retry:
                wait = retry.wait_s
            except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
                failure = _failure(exc, last=last, timeout_s=self.limits.timeout_s)
                if failure is not None:
                    self.fail(*failure)
                    return None
                wait = None
            await asyncio.sleep(wait if wait is not None else self.host.backoff_s(attempt))
        raise AssertionError("unreachable: the last attempt always returns")

    async def _attempt(self, url: str, last: bool) -> str | None:
        sent = {"User-Agent": self.host.user_agent, **self.headers}
        async with self.host.session.request(
            self.method, url, headers=sent, allow_redirects=False, timeout=self.limits.client_timeout
        ) as resp:
            self._note(resp)
            if resp.status in REDIRECTS:
                return self._redirect_target(url, resp)
            if not self._not_modified(resp.status) and self._wants_body(resp, last):
                await self._receive(resp)
            return None

    def _note(self, resp: aiohttp.ClientResponse) -> None:
        r = self.result
        r.status = resp.status
        r.headers = {k: resp.headers[k] for k in KEPT_HEADERS if k in resp.headers}
        r.content_type = resp.headers.get("Content-Type", "").split(";")[0].strip().lower() or None
        r.etag = resp.headers.get("ETag")
        r.last_modified = resp.headers.get("Last-Modified")

    def _redirect_target(self, url: str, resp: aiohttp.ClientResponse) -> str | None:
        location = resp.headers.get("Location")
        if not location:
            self.fail("bad_redirect", f"HTTP {resp.status} without Location")
            return None
        return urljoin(url, location.strip())

    def _not_modified(self, status: int) -> bool:
        """A 304 to our conditional request: the page is as we have it, validators kept."""
        asked = self.headers
        if status != 304 or not ("If-None-Match" in asked or "If-Modified-Since" in asked):
            return False
        r = self.result
        r.not_modified = True
        r.etag = r.etag or asked.get("If-None-Match")
        r.last_modified = r.last_modified or asked.get("If-Modified-Since")
        return True

    def _wants_body(self, resp: aiohttp.ClientResponse, last: bool) -> bool:
        """Whether the answer's body is worth reading; raises _Retry when the server asks us to come back."""
        status = resp.status
        if status in RETRY_STATUSES:
            retry_after = _retry_after_s(resp.headers.get("Retry-After"))
            self.result.retry_after_s = retry_after
            if not last and (retry_after is None or retry_after <= self.limits.retry_after_cap_s):
                raise _Retry(retry_after)
        if not 200 <= status < 300:
            self.fail("bad_status", f"HTTP {status}")
            return False
        return self.method != "HEAD"

    async def _receive(self, resp: aiohttp.ClientResponse) -> None:
        """Read and decode a text body within the size and type limits."""
        mime = self.result.content_type
        if mime and mime not in TEXT_TYPES and not mime.endswith(("+xml", "+json")):
            self.fail("unsupported_content_type", mime)
            return
        if (resp.content_length or 0) > self.limits.max_body_bytes:
            self.fail("too_large", f"Content-Length {resp.content_length}")
            return
        body = await self._read(resp.content.iter_any())
        if body is not None:
            self._decode(body, resp.headers.get("Content-Type"))

    async def _read(self, chunks_in: AsyncIterator[bytes]) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        started = time.monotonic()
        max_body, limits = self.limits.max_body_bytes, self.limits
        async for chunk in chunks_in:
            size += len(chunk)
            if size > max_body:
                self.fail("too_large", f"more than {max_body} bytes")
                return None
            chunks.append(chunk)
            elapsed = time.monotonic() - started
            if elapsed > limits.min_rate_grace_s and size / elapsed < limits.min_rate_bps:
                self.fail("too_slow", f"{size} bytes in {elapsed:.1f}s")
                return None
        return b"".join(chunks)

    def _decode(self, body: bytes, content_type: str | None) -> None:
        if looks_binary(body):
            self.fail("binary_body", "binary signature or NUL bytes")
            return
        text, encoding = decode_html(body, content_type)
        if undecodable_share(text) > MAX_GARBAGE_SHARE:
            self.fail("binary_body", "most of the body does not decode")
            return
        self.result.body, self.result.text, self.result.encoding = body, text, encoding


def _failure(exc: BaseException, *, last: bool, timeout_s: float) -> tuple[str, str] | None:
    """What a failed attempt means: the (error, detail) to stop with, or None to try again."""
    refusal = refusal_of(exc)
    if refusal is not None:  # the guard refused every address of the host: asking again changes nothing
        return "refused_address", str(refusal)
    if isinstance(exc, aiohttp.ConnectionTimeoutError):  # before TimeoutError: it is one, but worth a retry
        return ("timeout", f"connect: {exc}") if last else None
    if isinstance(exc, TimeoutError):
        return "timeout", f"no complete response within {timeout_s}s"
    if isinstance(exc, aiohttp.ClientConnectionError | aiohttp.ClientPayloadError):
        return ("connect_error", f"{cause_of(exc)}: {exc!r}") if last else None
    if isinstance(exc, aiohttp.ClientResponseError):
        return "bad_response", repr(exc)
    if isinstance(exc, aiohttp.InvalidURL | ValueError):
        return "invalid_url", repr(exc)
    return "connect_error", f"{cause_of(exc)}: {exc!r}"


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
