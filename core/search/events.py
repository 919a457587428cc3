"""What a search served, signed so that its clicks can be checked, and the events of searches and clicks."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime

import asyncpg

from core.bus import Bus, ResultClicked, SearchLogged
from core.clock import Clock
from core.errors import Invalid
from core.search.outcome import SearchOutcome
from core.search.signing import CLICK_WINDOW, Signer, nonce_of
from core.search.store import SearchStore

log = logging.getLogger(__name__)


class SearchEvents:
    """Signs each search's outcome, publishes SearchLogged in the background, checks and records clicks."""

    def __init__(self, *, signer: Signer, pool: asyncpg.Pool | None, bus: Bus | None, clock: Clock, max_clicks: int):
        self.signer = signer
        self.pool = pool
        self.bus = bus
        self.clock = clock
        self.max_clicks = max_clicks
        self._tasks: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        """Wait for the events still being published."""
        for task in list(self._tasks):
            await asyncio.gather(task, return_exceptions=True)

    def signed(self, outcome: SearchOutcome) -> SearchOutcome:
        """The outcome with its search id: what was served, signed, so that recordClick can check a click."""
        scene_hits = max((len(s.hits) for s in outcome.scenes), default=0)
        shown = [*outcome.hits, *(h for s in outcome.scenes for h in s.hits)]
        search_id = self.signer.sign(
            page=outcome.page,
            page_size=outcome.page_size,
            served=len(outcome.hits),
            scene_hits=scene_hits,
            at=self.clock(),
            shown=[(h.position, h.hit.id) for h in shown],
        )
        return replace(outcome, search_id=search_id)

    def logged(self, outcome: SearchOutcome, text: str, *, site: str | None, session_id: str | None) -> None:
        """Publish SearchLogged in the background: the caller does not wait for the bus."""
        if self.bus is None:
            return
        rewritten = outcome.interpreted if outcome.interpreted != text else None
        at = self.clock().isoformat()
        event = SearchLogged(
            nonce_of(outcome.search_id),
            outcome.query,
            outcome.total,
            at,
            site=site,
            session_id=session_id,
            rewritten=rewritten,
        )
        task = asyncio.ensure_future(self._publish(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def record_click(self, search_id: str, document_id: str, position: int, session_id: str | None) -> None:
        """Publish a ResultClicked event; Invalid for an id this server did not sign (or expired), a position
        that was not on the page served, a document the search did not show at that position, or a search that
        has had its clicks (a refused click is not counted)."""
        now = self.clock()
        served = self.signer.verify(search_id, now=now)
        if not document_id or len(document_id) > 200:
            raise Invalid("documentId must be 1 to 200 characters")
        if not served.allows(position):
            raise Invalid("position was not on the page this search served")
        if not self.signer.showed(served, position, document_id):
            raise Invalid(f"documentId was not at position {position} of this search's results")
        if self.pool is not None:
            expires = datetime.fromtimestamp(served.issued, UTC) + CLICK_WINDOW
            if not await SearchStore(self.pool).take_click(served.nonce, cap=self.max_clicks, expires_at=expires):
                raise Invalid(f"this search has had its {self.max_clicks} clicks recorded")
        if self.bus is not None:
            event = ResultClicked(served.nonce, document_id, position, now.isoformat(), session_id=session_id)
            await self.bus.publish(event)

    async def _publish(self, event: SearchLogged) -> None:
        try:
            assert self.bus is not None
            await self.bus.publish(event)
        except Exception:
            log.exception("search event not published", extra={"search_id": event.search_id})
