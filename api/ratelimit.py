"""Requests per client address: a token bucket per address, in this API process; 429 with Retry-After."""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import math
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.search.signing import client_bucket
from core.settings import Settings
from schema.context import CLIENT_SCOPE_KEY

log = logging.getLogger(__name__)
EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})  # probes of the platform itself
# Messages that start an operation over a websocket (graphql-transport-ws, and the older graphql-ws).
OPERATION_MESSAGES = frozenset({"subscribe", "start"})
MAX_BUCKETS = 100_000  # past this many addresses, buckets that are full again are dropped
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TokenBuckets:
    """`burst` requests at once per key, refilled at `per_min` a minute."""

    def __init__(self, per_min: int, burst: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_min / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when counted)

    def take(self, key: str) -> float:
        """0 when a request may go now (a token is taken), else the seconds until one is back."""
        now = self.clock()
        tokens, then = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            if len(self._buckets) > MAX_BUCKETS:
                self._drop_full(now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1 - tokens) / self.rate

    def _drop_full(self, now: float) -> None:
        """Forget addresses whose bucket has refilled: they are where a new one starts."""
        self._buckets = {k: (t, w) for k, (t, w) in self._buckets.items() if t + (now - w) * self.rate < self.burst}


def trusted_networks(value: str) -> tuple[Network, ...]:
    """TRUSTED_PROXIES: comma-separated addresses or CIDRs (e.g. `10.0.0.0/8, ::1`)."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip())


def _trusted(address: str, proxies: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def client_address(scope: Scope, proxies: tuple[Network, ...] = ()) -> str:
    """The peer's address; when the peer is a trusted proxy, the last X-Forwarded-For hop not itself trusted."""
    peer = (scope.get("client") or ("unknown", 0))[0]
    if not proxies or not _trusted(peer, proxies):
        return str(peer)
    forwarded = b",".join(v for k, v in scope.get("headers") or [] if k == b"x-forwarded-for")
    hops = [h.strip() for h in forwarded.decode("latin-1").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop if _is_address(hop) else str(peer)
    return hops[0] if hops and _is_address(hops[0]) else str(peer)


def _is_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


class RateLimitMiddleware:
    """Settles each request's client (for the subscription caps and suggestions too) and spends its tokens.

    A client is an IPv4 address or an IPv6 /64 (a host may pick any address of its /64). An HTTP request
    takes one token; a websocket takes one to open and one per operation it starts (a query or mutation can
    run over a websocket too), and is closed (1008) when it runs out. The buckets live in this process: with
    N replicas behind a balancer, a client gets up to N times the limit. Holders of the admin token and the
    health probes are not limited; loopback is (tests hit it).
    """

    def __init__(self, app: ASGIApp, settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.proxies = trusted_networks(settings.trusted_proxies)
        self.admin = settings.admin_token.encode() if settings.admin_token else None
        on = settings.rate_limit_per_min > 0
        self.buckets = TokenBuckets(settings.rate_limit_per_min, settings.rate_limit_burst, clock=clock) if on else None
        self._clients: dict[str, str] = {}  # address -> its client (bucket key), settled once per address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = scope[CLIENT_SCOPE_KEY] = self._bucket_of(client_address(scope, self.proxies))
        limited = self.buckets is not None and not self._exempt(scope)
        wait = self.buckets.take(client) if self.buckets is not None and limited else 0.0
        if not wait:
            if limited and scope["type"] == "websocket":
                receive = self._metered(receive, send, client)
            await self.app(scope, receive, send)
            return
        log.info("rate limited", extra={"client": client, "path": scope["path"]})
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008, "reason": "rate limited"})
            return
        await _too_many(send, math.ceil(wait))

    def _bucket_of(self, address: str) -> str:
        """`client_bucket(address)`, remembered: parsing the address cost more than the rest of this middleware
        (it is settled even with RATE_LIMIT_PER_MIN=0, for the login throttle and the subscription caps)."""
        found = self._clients.get(address)
        if found is None:
            if len(self._clients) >= MAX_BUCKETS:
                self._clients.clear()
            found = self._clients[address] = client_bucket(address)
        return found

    def _metered(self, receive: Receive, send: Send, client: str) -> Receive:
        """`receive` that spends a token on every operation a websocket starts; out of tokens, the socket closes."""
        buckets = self.buckets
        assert buckets is not None

        async def metered() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive" and _starts_operation(message) and buckets.take(client):
                log.info("rate limited", extra={"client": client, "path": "websocket operation"})
                await send({"type": "websocket.close", "code": 1008, "reason": "rate limited"})
                return {"type": "websocket.disconnect", "code": 1008}
            return message

        return metered

    def _exempt(self, scope: Scope) -> bool:
        if scope["path"] in EXEMPT_PATHS:
            return True
        if self.admin is None:
            return False
        given = dict(scope.get("headers") or []).get(b"authorization", b"")
        scheme, _, token = given.partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(token.strip(), self.admin)


def _starts_operation(message: Message) -> bool:
    raw = message.get("text") or message.get("bytes") or b""
    try:
        parsed = json.loads(raw)
    except ValueError:
        return False  # not JSON: the protocol handler refuses it
    return isinstance(parsed, dict) and parsed.get("type") in OPERATION_MESSAGES


async def _too_many(send: Send, retry_after: int) -> None:
    message = f"too many requests from your address: retry in {retry_after} s (RATE_LIMIT_PER_MIN)"
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": "RATE_LIMITED"}}]}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"retry-after", str(retry_after).encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 429, "headers": headers})
    await send({"type": "http.response.body", "body": body})
