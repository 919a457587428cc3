"""The page-view beacon: GET or POST /beacon/pv with a document's URL (or id); thin over core.analytics.

A portal or site page sends `navigator.sendBeacon("/beacon/pv", JSON.stringify({url: location.href}))` (or an
image GET `/beacon/pv?url=…`). Views are written to Postgres in batches (group commit,
core.analytics.ViewWriter) before the answer, so an answered view survives a crash. Answers are JSON:
200 {"counted": true|false} (false: this visitor already added its most views of the document today),
202 {"counted": false, "reason": "bot"}, else {"error": …} with 400 (no or malformed url/id), 404 (a site's
URL that is no stored document), 413 (body over 2 KB), 422 (a URL of no site), 429 (too many beacons from one
address; Retry-After), 503 (Postgres away).
"""

from __future__ import annotations

import json
import logging
import math
import time
from urllib.parse import urlsplit

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.ratelimit import TokenBuckets, client_address, trusted_networks
from core import analytics
from core.analytics.geo import province_of
from core.clock import local_date
from core.services import Services
from core.settings import Settings
from core.sites import site_configs

log = logging.getLogger(__name__)
MAX_BODY = 2048
URL_MAX = 2000
BEACONS_PER_MIN = 120  # per client address and API process: a reader opens a page every half second at most
BEACON_BURST = 40
HOSTS_TTL_S = 60.0


class BeaconError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise BeaconError(413, f"a beacon body is at most {MAX_BODY} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise BeaconError(413, f"a beacon body is at most {MAX_BODY} bytes")
    return body


async def _target(request: Request) -> tuple[str | None, str | None]:
    """(url, id) from the query string (GET) or a JSON object body (POST, any content type: sendBeacon's too)."""
    given: dict[str, object] = dict(request.query_params)
    if request.method == "POST":
        try:
            raw = json.loads(await _body(request) or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise BeaconError(400, 'the body must be a JSON object: {"url": "…"} or {"id": "…"}') from None
        if not isinstance(raw, dict):
            raise BeaconError(400, 'the body must be a JSON object: {"url": "…"} or {"id": "…"}')
        given = raw
    url, doc = given.get("url"), given.get("id")
    if not isinstance(url, str | None) or not isinstance(doc, str | None) or not (url or doc):
        raise BeaconError(400, "give the page's url (or the document's id) as a string")
    if url is not None and (len(url) > URL_MAX or urlsplit(url).scheme not in ("http", "https")):
        raise BeaconError(400, f"url must be an http(s) URL of at most {URL_MAX} characters")
    return url, doc


class Beacon:
    """The beacon of one API process: its rate limit, the day's salt and the sites' hosts, cached."""

    def __init__(self, settings: Settings, *, per_min: int = BEACONS_PER_MIN, burst: int = BEACON_BURST) -> None:
        self.proxies = trusted_networks(settings.trusted_proxies)
        self.buckets = TokenBuckets(per_min, burst)
        self.salts = analytics.Salts.empty()
        self._hosts: tuple[float, frozenset[str]] = (0.0, frozenset())
        self._writer: analytics.ViewWriter | None = None  # made on the first view, over the process's pool

    async def site_hosts(self, services: Services) -> frozenset[str]:
        read_at, hosts = self._hosts
        if time.monotonic() - read_at > HOSTS_TTL_S:
            found: set[str] = set()
            for config in await site_configs(services.pool):
                found.update(h.lower() for h in config.get("allowed_hosts") or [])
                found.update(urlsplit(u).netloc.lower() for u in config.get("start_urls") or [])
            hosts = frozenset(found)
            self._hosts = (time.monotonic(), hosts)
        return hosts

    async def page_view(self, request: Request) -> Response:
        address = client_address(request.scope, self.proxies)
        wait = self.buckets.take(address)
        if wait:
            seconds = math.ceil(wait)
            return _error(429, "too many page views from this address", {"Retry-After": str(seconds)})
        try:
            url, doc = await _target(request)
            agent = request.headers.get("user-agent", "")
            if analytics.is_bot(agent):
                return JSONResponse({"counted": False, "reason": "bot"}, status_code=202)
            services: Services = request.app.state.services
            found = await analytics.find_document(services.pool, url=url, id=doc)
            if found is None:
                raise await self._unknown(services, url, doc)
        except BeaconError as exc:
            return _error(exc.status, str(exc))
        now = services.clock()
        day = local_date(now)
        view = analytics.View(
            document_id=found[0],
            site_id=found[1],
            visitor=analytics.visitor_hash(await self.salts.of(services.pool, day), address, agent),
            province=province_of(address),
            day=day,
        )
        try:
            counted = await self.writer(services).record(view)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("page view not stored", extra={"error": repr(exc)})
            return _error(503, "page views cannot be stored now; try again later")
        return JSONResponse({"counted": counted})

    def writer(self, services: Services) -> analytics.ViewWriter:
        if self._writer is None or self._writer.pool is not services.pool:
            self._writer = analytics.ViewWriter(services.pool)
        return self._writer

    async def _unknown(self, services: Services, url: str | None, doc: str | None) -> BeaconError:
        if url is None:
            return BeaconError(404, f"no document with id {doc!r}")
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        hosts = await self.site_hosts(services)
        if host in hosts or parts.netloc.lower() in hosts:
            return BeaconError(404, "no stored document at this url")
        return BeaconError(422, f"{host or url!r} is not a host of any site of the group")


def beacon_routes(settings: Settings) -> list[Route]:
    beacon = Beacon(settings)
    return [Route("/beacon/pv", beacon.page_view, methods=["GET", "POST"])]
