"""`yiwang up` keeps the embedded services it started alive: a killed Postgres or NATS comes back on its port."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from core.errors import YiwangError
from ops.embedded import EmbeddedServices

log = logging.getLogger(__name__)


@dataclass
class _Backoff:
    failures: int = 0
    next_try: float = 0.0


class ServiceWatch:
    """Polls the named embedded services and starts again, with the same port and data, any that died.

    Only for services this `yiwang up` started: never for DATABASE_URL / NATS_URL pointing elsewhere, nor
    for services someone else started in DATA_DIR. Failed restarts back off (doubling up to `max_backoff_s`).
    Meanwhile the processes' clients reconnect on their own and `/readyz` answers 503.
    """

    def __init__(
        self,
        services: EmbeddedServices,
        names: Iterable[str],
        *,
        interval_s: float = 1.0,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.services = services
        self.names = list(names)
        self.interval_s = interval_s
        self.max_backoff_s = max_backoff_s
        self.ports: dict[str, int] = {}
        self.restarts: dict[str, int] = dict.fromkeys(self.names, 0)
        self._backoff = {name: _Backoff() for name in self.names}
        self._state_gone = False

    async def run(self) -> None:
        """Watch until cancelled."""
        if not self.names:
            return
        status = await asyncio.to_thread(self.services.status)
        self.ports = {name: state.port for name, state in status.items() if state and name in self.names}
        while True:
            await asyncio.sleep(self.interval_s)
            await self.check()

    async def check(self) -> None:
        if not await asyncio.to_thread(self.services.state_file.exists):
            # DATA_DIR removed (or replaced) under this `up`: starting "again" would initialise an empty database and
            # a new NATS on new ports beside the running ones, every interval (an orphaned test mesh whose temp dir
            # pytest removed ran 25 nats-servers). What runs keeps running; the operator restarts `up`.
            if not self._state_gone:
                log.error(
                    "the embedded services' state is gone from DATA_DIR: not starting new, empty services in its"
                    " place; stop and start yiwang up",
                    extra={"data_dir": str(self.services.root)},
                )
            self._state_gone = True
            return
        try:
            status = await asyncio.to_thread(self.services.status)
        except (YiwangError, OSError, ValueError) as exc:  # state.json or a secret file unreadable for now
            log.warning("cannot read the embedded services' state", extra={"error": str(exc)})
            return
        for name in self.names:
            if status.get(name) is not None:
                self._backoff[name] = _Backoff()
            elif time.monotonic() >= self._backoff[name].next_try:
                await self._restart(name)

    async def _restart(self, name: str) -> None:
        log.warning("embedded service is down; starting it again", extra={"service": name})
        try:
            started = await asyncio.to_thread(self.services.start, postgres=name == "postgres", nats=name == "nats")
        except (YiwangError, OSError) as exc:
            backoff = self._backoff[name]
            backoff.failures += 1
            delay = min(self.interval_s * 2**backoff.failures, self.max_backoff_s)
            backoff.next_try = time.monotonic() + delay
            log.warning("embedded service did not start", extra={"service": name, "error": str(exc), "in_s": delay})
            return
        state = started[name]
        self.restarts[name] += 1
        self._backoff[name] = _Backoff()
        if name in self.ports and state.port != self.ports[name]:
            # Its old port was taken meanwhile: the running processes still know the old URL.
            log.error("embedded service came back on another port; restart yiwang up", extra={"service": name})
        log.info("embedded service running again", extra={"service": name, "port": state.port, "pid": state.pid})
