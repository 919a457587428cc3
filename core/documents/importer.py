"""`import --kind document`: JSONL lines become documents in batches, announced after commit, then searchable."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import asyncpg

from core.bus import Bus
from core.documents.import_records import ImportRecord, parse_record
from core.documents.service import apply_pages
from core.errors import Invalid, NotFound
from core.search.freshness import PROJECTOR, wait_until_projected

log = logging.getLogger(__name__)

# Lines that name no site and come without --site land on this site, created on first use.
IMPORTED_SITE = "imported"
IMPORTED_SITE_NAME = "导入的文档"
IMPORTED_SITE_LEVEL = "市"


@dataclass
class ImportSummary:
    """What an import did, line by line; `rejected` holds (line number, reason)."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    waited_s: float | None = None  # time spent waiting for the search index; None when nothing to wait for


@dataclass
class _Run:
    pool: asyncpg.Pool
    bus: Bus
    summary: ImportSummary
    sites: set[str]
    seen: dict[str, int] = field(default_factory=dict)
    batch: list[tuple[ImportRecord, str]] = field(default_factory=list)
    last_seq: int = 0


async def _ensure_imported_site(pool: asyncpg.Pool) -> None:
    await pool.execute(
        """insert into sites (id, name, level, enabled, config) values ($1, $2, $3, false, '{}'::jsonb)
           on conflict (id) do nothing""",
        IMPORTED_SITE, IMPORTED_SITE_NAME, IMPORTED_SITE_LEVEL,
    )  # fmt: skip


async def _site_for(run: _Run, record: ImportRecord, default_site: str | None) -> str:
    if record.site is not None:
        if record.site not in run.sites:
            raise Invalid(f"unknown site {record.site!r} (add it to the sites file, or leave site out)")
        return record.site
    if default_site is not None:
        return default_site
    if IMPORTED_SITE not in run.sites:
        await _ensure_imported_site(run.pool)
        run.sites.add(IMPORTED_SITE)
    return IMPORTED_SITE


async def _flush(run: _Run) -> None:
    """Store one batch in one transaction; announce the changes only after it commits."""
    events = [record.to_event(site) for record, site in run.batch]
    run.batch = []
    if not events:
        return
    async with run.pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "select url, content_hash from documents where url = any($1::text[]) and not gone",
            [e.url for e in events],
        )
        stored = {r["url"]: r["content_hash"] for r in rows}
        # Same content as stored: nothing to write or announce (apply_pages would also skip it,
        # but would call it a redelivery when the same line was imported before).
        todo = [e for e in events if stored.get(e.url) != e.content_hash]
        changes = await apply_pages(conn, todo)
    for change in changes:
        run.last_seq = max(run.last_seq, await run.bus.publish(change))
    s = run.summary
    s.added += sum(1 for c in changes if c.change == "created")
    s.updated += sum(1 for c in changes if c.change == "updated")
    s.unchanged += len(events) - len(changes)


async def import_documents(
    pool: asyncpg.Pool,
    bus: Bus,
    lines: Iterable[str | bytes],
    *,
    default_site: str | None = None,
    batch_size: int = 200,
    max_text_chars: int = 200_000,
    progress: Callable[[int], None] | None = None,
    wait: bool = True,
    wait_timeout_s: float = 600.0,
    stall_s: float = 20.0,
    projector: str = PROJECTOR,
) -> ImportSummary:
    """Import JSONL lines (docs/import.md); returns once the documents changed are searchable.

    Rejected lines are reported, not fatal. Raise NotFound for an unknown `default_site`, and
    Upstream when no search-projector applies the changes (the documents stay stored).
    """
    sites = {r["id"] for r in await pool.fetch("select id from sites")}
    if default_site is not None and default_site not in sites:
        raise NotFound(f"no site {default_site!r}: --site must name a site of the sites table")
    run = _Run(pool, bus, ImportSummary(), sites)
    for number, raw in enumerate(lines, start=1):
        if progress:
            progress(1)
        if not raw.strip():
            continue  # blank lines (a trailing newline, say) are not records
        try:
            record = parse_record(raw, number, max_text_chars=max_text_chars)
            if record.url in run.seen:
                raise Invalid(f"duplicate url (first on line {run.seen[record.url]})")
            site = await _site_for(run, record, default_site)
        except Invalid as exc:
            run.summary.rejected.append((number, exc.message))
            continue
        run.seen[record.url] = number
        run.batch.append((record, site))
        if len(run.batch) >= batch_size:
            await _flush(run)
    await _flush(run)
    summary = run.summary
    log.info("import stored", extra={"added": summary.added, "updated": summary.updated,
                                     "unchanged": summary.unchanged, "rejected": len(summary.rejected)})  # fmt: skip
    if wait and run.last_seq:
        summary.waited_s = await wait_until_projected(
            bus, run.last_seq, consumer=projector, timeout_s=wait_timeout_s, stall_s=stall_s
        )
    return summary
