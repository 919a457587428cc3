"""The document-suggestion index of one API process: built from Postgres, kept current by DocumentChanged.

Typing never reads Postgres: a keystroke asks the in-memory TitleIndex. The index is built in the
background (a suggestion answers no documents until then); each DocumentChanged (core NATS: every API
replica hears it) re-reads the changed documents in batches into a small second index whose ids mask the
large one; past OVERLAY_MAX changed documents, or MAX_AGE_S, the whole index is built again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg

from core.bus import Bus, DocumentChanged
from core.heap import keep_built
from core.search.projection import INDEXED_WHERE, NOT_INDEXED_KINDS
from core.search.titles import TitleDoc, TitleIndex, grouped

log = logging.getLogger(__name__)

OVERLAY_MAX = 1000  # changed documents held beside the built index before it is built again
MAX_AGE_S = 3600.0  # built again this often anyway (a missed live event heals here)
MIN_REBUILD_S = 300.0  # a full overlay waits this long after the last build (a crawl changes thousands)
RETRY_S = 30.0  # a build that failed (Postgres away) is not tried again sooner
BATCH_S = 1.0  # changes heard within this time are read in one statement
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SELECT = """
    select d.id::text as id, d.title, d.url, d.site_id, s.name as site_name, c.name as column_name, d.kind,
           d.published_at::date as published_at
    from live_documents d join site_list s on s.id = d.site_id left join site_column_list c on c.id = d.column_id
"""


def _doc(r: asyncpg.Record) -> TitleDoc:
    return TitleDoc(
        id=r["id"],
        title=r["title"] or "",
        url=r["url"],
        site=r["site_id"],
        site_name=r["site_name"] or "",
        column=r["column_name"] or "",
        kind=r["kind"] or "",
        published_at=r["published_at"],
    )


async def indexed_titles(pool: asyncpg.Pool, limit: int) -> list[TitleDoc]:
    """The newest `limit` documents the search index holds (no list pages, no reprints), with a title."""
    rows = await pool.fetch(
        _SELECT + INDEXED_WHERE + " and d.title <> '' order by d.published_at desc nulls last limit $2",
        list(NOT_INDEXED_KINDS),
        limit,
    )
    return [_doc(r) for r in rows]


async def titles_of(pool: asyncpg.Pool, ids: Sequence[str]) -> dict[str, TitleDoc]:
    """Those of `ids` the search index holds; the others (gone, reprints, list pages) are absent."""
    wanted = [i for i in ids if _UUID.fullmatch(i)]
    rows = await pool.fetch(_SELECT + INDEXED_WHERE + " and d.id = any($2::uuid[])", list(NOT_INDEXED_KINDS), wanted)
    return {r["id"]: _doc(r) for r in rows if r["title"]}


@dataclass(frozen=True)
class LiveTitles:
    """The built index and the documents changed since, which mask it."""

    base: TitleIndex
    changed: dict[str, TitleDoc | None] = field(default_factory=dict)
    overlay: TitleIndex = field(default_factory=lambda: TitleIndex([]))
    built_at: float = field(default_factory=time.monotonic)

    def with_changes(self, changes: dict[str, TitleDoc | None]) -> LiveTitles:
        changed = {**self.changed, **changes}
        overlay = TitleIndex(d for d in changed.values() if d is not None)
        return LiveTitles(self.base, changed, overlay, self.built_at)

    def suggest(self, prefix: str, per_group: int) -> list[tuple[str, str, list[TitleDoc]]]:
        found = self.base.find(prefix, per_group, skip=self.changed) + self.overlay.find(prefix, per_group)
        return grouped(found, per_group)


class TitleCache:
    """Holds the LiveTitles of this process; `current` never waits (None until the first build is done)."""

    def __init__(self, pool: asyncpg.Pool, bus: Bus | None, *, limit: int) -> None:
        self._pool = pool
        self._bus = bus
        self.limit = limit
        self._live: LiveTitles | None = None
        self._pending: set[str] = set()
        self._heard = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._build: asyncio.Task[None] | None = None
        self._during: set[str] | None = None  # heard while a build runs: read again once it is swapped in
        self._failed_at = -RETRY_S

    def current(self) -> LiveTitles | None:
        """The index as it is now; starts the listener and the (re)build when due, without waiting for them."""
        if self.limit <= 0:
            return None
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._apply_changes())]
            if self._bus is not None:
                self._tasks.append(asyncio.create_task(self._listen()))
        live = self._live
        if self._due(live) and (self._build is None or self._build.done()):
            self._build = asyncio.create_task(self.rebuild())
        return live

    def _due(self, live: LiveTitles | None) -> bool:
        if time.monotonic() - self._failed_at < RETRY_S:
            return False
        if live is None:
            return True
        age = time.monotonic() - live.built_at
        return age > MAX_AGE_S or (len(live.changed) >= OVERLAY_MAX and age > MIN_REBUILD_S)

    async def rebuild(self) -> None:
        """Build the whole index again from Postgres (in a thread: segmenting titles takes seconds).

        Changes heard while it reads and builds are read again afterwards: the new index may predate them."""
        started, self._during = time.monotonic(), set()
        try:
            docs = await indexed_titles(self._pool, self.limit)
            index = await asyncio.to_thread(TitleIndex, docs)
        except Exception:
            self._failed_at = time.monotonic()
            log.exception("title suggestions not built; the previous ones stay in use")
            return
        finally:
            during, self._during = self._during, None
        self._live = LiveTitles(index, built_at=started)
        keep_built("title index")
        log.info("title suggestions built", extra={"documents": len(index), "s": round(time.monotonic() - started, 1)})
        self.heard(sorted(during))

    async def close(self) -> None:
        for task in [*self._tasks, *([self._build] if self._build else [])]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []

    def heard(self, document_ids: Sequence[str]) -> None:
        """Documents changed: they are read again within about BATCH_S."""
        self._pending.update(document_ids)
        if self._during is not None:
            self._during.update(document_ids)
        if document_ids:
            self._heard.set()

    async def _listen(self) -> None:
        assert self._bus is not None
        while True:
            try:
                async for event in self._bus.live(DocumentChanged, f"{DocumentChanged.SUBJECT}.>"):
                    self.heard([event.document_id])
            except Exception:
                log.warning("document changes not heard; listening again in 5 s", exc_info=True)
            await asyncio.sleep(5.0)

    async def _apply_changes(self) -> None:
        while True:
            await self._heard.wait()
            await asyncio.sleep(BATCH_S)
            self._heard.clear()
            live = self._live
            if live is None or len(live.changed) >= OVERLAY_MAX:
                self._pending = set()  # the next build reads them with everything else (those heard during
                continue  # a build that is running are kept apart, in `_during`, and read again after it)
            ids, self._pending = sorted(self._pending), set()
            try:
                found = await titles_of(self._pool, ids)
                changes: dict[str, TitleDoc | None] = {i: found.get(i) for i in ids}
                updated = await asyncio.to_thread(live.with_changes, changes)
            except Exception:
                self._pending.update(ids)
                log.warning("changed titles not read; trying again with the next change", exc_info=True)
                continue
            if self._live is live:  # else a build was swapped in meanwhile: it hears them again
                self._live = updated
