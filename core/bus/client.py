"""The NATS connection: idempotent stream setup, publishing that waits out outages, live subscriptions."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from typing import TypeVar
from urllib.parse import unquote, urlsplit

import nats
from nats.aio.client import Client as NATS
from nats.errors import (
    ConnectionClosedError,
    ConnectionReconnectingError,
    NoRespondersError,
    NoServersError,
    StaleConnectionError,
)
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeout
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, StreamConfig
from nats.js.errors import APIError, NoStreamResponseError, ServiceUnavailableError

from core.bus.events import STREAMS, Event
from core.bus.fanout import Fanout
from core.errors import Invalid, Upstream
from core.masking import mask_url
from core.settings import Settings

log = logging.getLogger(__name__)
E = TypeVar("E", bound=Event)

STREAM_MAX_AGE_S = 7 * 24 * 3600
# A redelivered publish within STREAM_DUPLICATE_WINDOW_S (an hour by default) is dropped by JetStream, which holds
# every message id of the window in memory, ~200 bytes each (python -m ops.bench.nats_dedupe): YW_SEARCH, one event
# per search and click, keeps at most two minutes (NATS's default), since its consumer drops a repeated search or
# click by its id anyway (core.analytics.aggregate: on conflict do nothing).
SEARCH_DUPLICATE_WINDOW_S = 120
RETRYABLE = (
    NatsTimeout,
    asyncio.TimeoutError,
    ConnectionClosedError,
    ConnectionReconnectingError,
    StaleConnectionError,
    NoRespondersError,
    NoStreamResponseError,
    ServiceUnavailableError,
    OSError,
)
FLOODABLE = "YW_SEARCH"  # what anonymous searches and clicks fill: capped, its oldest events dropped first


def stream_config(name: str, subjects: list[str], settings: Settings, replicas: int = 1) -> StreamConfig:
    """A stream's limits: YW_SEARCH keeps at most STREAM_MAX_BYTES_SEARCH and drops its oldest events, so a flood of
    searches cannot fill the JetStream store that crawl pages and documents need, and remembers its message ids for
    two minutes, not an hour; the other streams (capped only when STREAM_MAX_BYTES is set) refuse new messages when
    full, never dropping work not yet consumed. `replicas` copies are kept on as many servers of a cluster (durable
    consumers follow their stream's count)."""
    if name == FLOODABLE:
        max_bytes, discard = settings.stream_max_bytes_search, DiscardPolicy.OLD
        window = min(SEARCH_DUPLICATE_WINDOW_S, settings.stream_duplicate_window_s)
    else:
        max_bytes, discard = settings.stream_max_bytes, DiscardPolicy.NEW
        window = settings.stream_duplicate_window_s
    return StreamConfig(
        name=name,
        subjects=subjects,
        max_age=STREAM_MAX_AGE_S,
        max_bytes=max_bytes,
        discard=discard,
        duplicate_window=window,
        num_replicas=replicas,
    )


def server_list(url: str) -> list[str]:
    """NATS_URL as the servers nats-py tries: one URL, or several separated by commas (a cluster's nodes)."""
    servers = [part.strip() for part in url.split(",") if part.strip()]
    if not servers:
        raise Invalid("NATS_URL holds no server URL")
    return servers


def shared_token(servers: list[str]) -> str | None:
    """The token (a lone userinfo, `nats://TOKEN@host`) every server URL carries alike, else None. Given to the
    client as its token, it also reaches the servers a cluster announces, whose URLs carry none."""
    tokens = {urlsplit(s).username if "@" in s and not urlsplit(s).password else None for s in servers}
    token = tokens.pop() if len(tokens) == 1 else None
    return unquote(token) if token else None


def cluster_size(server_info: dict[str, object]) -> int:
    """How many servers the cluster we are connected to has now: the client URLs its INFO lists (1 when the
    server is not in a cluster)."""
    urls = server_info.get("connect_urls")
    if not server_info.get("cluster") or not isinstance(urls, list):
        return 1
    return max(1, len(set(urls)))


def _stream_full(exc: Exception) -> bool:
    """A publish refused by a full discard-new stream: waited out like an outage (age frees room)."""
    return isinstance(exc, APIError) and "maximum" in (exc.description or "").lower()


class Bus:
    """One NATS connection per process; publishers block (not drop) while NATS is away."""

    def __init__(self, settings: Settings, *, name: str = "yiwang", max_publish_wait_s: float = 600.0) -> None:
        self.settings = settings
        self.name = name
        self.max_publish_wait_s = max_publish_wait_s
        self.nc: NATS | None = None
        self._closing = False
        self._js: JetStreamContext | None = None
        self._fanout: Fanout | None = None

    async def connect(self) -> Bus:
        url = self.settings.nats_url
        if not url:
            raise Upstream("NATS_URL is not set and no embedded NATS was started")
        last: Exception | None = None
        for attempt in range(1, self.settings.connect_retries + 1):
            try:
                servers = server_list(url)
                self.nc = await nats.connect(
                    servers,
                    token=shared_token(servers),
                    name=self.name,
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    connect_timeout=3,
                    drain_timeout=5,  # nats-py bounds its own drain (cancelling it from outside leaks a future)
                    pending_size=self.settings.publish_buffer_bytes,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnect,
                    reconnected_cb=self._on_reconnect,
                )
                self._js = self.nc.jetstream(timeout=10)
                self._fanout = Fanout(self.nc, queue_size=self.settings.live_queue_events)
                return self
            except (TimeoutError, NoServersError, OSError, NatsTimeout) as exc:
                last = exc
                log.warning("nats not reachable yet", extra={"url": mask_url(url), "attempt": attempt})
                await asyncio.sleep(self.settings.connect_retry_delay_s * min(attempt, 5))
        raise Upstream(f"cannot reach NATS at {mask_url(url)} after {self.settings.connect_retries} attempts: {last}")

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise Upstream("the bus is not connected")
        return self._js

    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    async def close(self) -> None:
        """Flush what was published, then close; drain is bounded so a stuck subscription cannot hang exit."""
        self._closing = True
        if self._fanout is not None:
            self._fanout.close()  # live feeds end; the drain below removes their shared subscriptions
        nc, self.nc, self._js = self.nc, None, None
        if nc is None or nc.is_closed:
            return
        try:
            await asyncio.wait_for(nc.drain(), timeout=5)
        except (TimeoutError, NatsError, OSError):  # reconnecting or gone: nothing to drain into, so just close
            pass
        if not nc.is_closed:
            await nc.close()

    async def ensure_streams(self) -> None:
        """Create or update every stream of core.bus.events.STREAMS; safe to run from every process. Waits (up to
        CONNECT_RETRIES) while a cluster's JetStream elects its leaders after a start."""
        for attempt in range(1, self.settings.connect_retries + 1):
            try:
                for name, subjects in STREAMS.items():
                    await self._ensure_stream(name, subjects)
                return
            except RETRYABLE as exc:
                if attempt == self.settings.connect_retries:
                    raise Upstream(f"JetStream did not answer while its streams were set up: {exc!r}") from exc
                log.warning("jetstream not ready yet", extra={"attempt": attempt, "error": repr(exc)})
                await asyncio.sleep(self.settings.connect_retry_delay_s * min(attempt, 5))

    def wanted_replicas(self, current: int | None) -> int:
        """STREAM_REPLICAS when set; else (auto) min(3, the cluster's size), never below what the stream has:
        a node away for a while must not shrink a replicated stream."""
        if self.settings.stream_replicas:
            return self.settings.stream_replicas
        size = cluster_size(self.nc._server_info if self.nc else {})  # the server's INFO (NATS protocol)
        return max(min(3, size), current or 1)

    async def _ensure_stream(self, name: str, subjects: list[str]) -> None:
        try:
            info = await self.js.stream_info(name)
        except nats.js.errors.NotFoundError:
            await self.js.add_stream(stream_config(name, subjects, self.settings, self.wanted_replicas(None)))
            return
        current = info.config.num_replicas or 1
        config = stream_config(name, subjects, self.settings, self.wanted_replicas(current))
        try:
            await self.js.update_stream(config)
        except APIError as exc:
            if config.num_replicas == current or isinstance(exc, ServiceUnavailableError):
                raise
            # too few servers up for the new count: keep the stream as it is, change its limits only
            log.warning("stream replicas not changed", extra={"stream": name, "wanted": config.num_replicas})
            await self.js.update_stream(stream_config(name, subjects, self.settings, current))
            return
        if config.num_replicas != current:
            log.info("stream replicas changed", extra={"stream": name, "from": current, "to": config.num_replicas})

    async def publish(self, event: Event) -> int:
        """Publish to JetStream and wait for its ack; retries with backoff through outages.

        The crawl that calls this pauses while NATS is unreachable instead of dropping pages: the
        client's reconnect buffer is bounded (PUBLISH_BUFFER_BYTES) and the ack is awaited.
        """
        data = event.encode()
        headers = {"Nats-Msg-Id": event.key}
        delay, waited = 0.2, 0.0
        while True:
            try:
                ack = await self.js.publish(event.subject, data, headers=headers, timeout=5)
                return int(ack.seq)
            except (*RETRYABLE, APIError) as exc:
                if not isinstance(exc, RETRYABLE) and not _stream_full(exc):
                    raise
                if waited >= self.max_publish_wait_s:
                    raise Upstream(f"could not publish {event.subject} for {waited:.0f} s: {exc!r}") from exc
                log.warning("publish waiting for nats", extra={"subject": event.subject, "error": repr(exc)})
                pause = delay * (0.5 + random.random())
                await asyncio.sleep(pause)
                waited += pause + 5 * isinstance(exc, NatsTimeout | asyncio.TimeoutError)
                delay = min(delay * 2, 5.0)

    async def notify(self, event: Event) -> None:
        """Publish on core NATS only (no stream, no ack): a live nudge that nobody needs replayed."""
        if self.nc is None:
            raise Upstream("the bus is not connected")
        await self.nc.publish(event.subject, event.encode())

    @property
    def fanout(self) -> Fanout:
        if self._fanout is None:
            raise Upstream("the bus is not connected")
        return self._fanout

    async def live(self, event_type: type[E], subject: str) -> AsyncIterator[E]:
        """Yield events published on `subject` from now on (core NATS: any replica serves any subscriber), through
        the process' one shared subscription per event type (core.bus.fanout); a feed that falls behind ends with
        SlowConsumer."""
        if self.nc is None:
            raise Upstream("the bus is not connected")
        async with contextlib.aclosing(self.fanout.listen(event_type, subject)) as feed:
            async for event in feed:
                yield event

    async def _on_error(self, exc: Exception) -> None:
        log.warning("nats error", extra={"error": repr(exc)})

    async def _on_disconnect(self) -> None:
        if not self._closing:
            log.warning("nats disconnected; reconnecting")

    async def _on_reconnect(self) -> None:
        log.info("nats reconnected")
