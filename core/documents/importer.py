"""`import --kind document`: JSONL lines become documents in batches, announced after commit, then searchable."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import asyncpg

from core.bus import Bus
from core.bus.progress import DOC_STREAM, SEARCH_PROJECTOR, NotConsuming, StillPending, wait_until_acked
from core.documents.import_records import ImportRecord, parse_record
from core.documents.reads import stored_hashes
from core.documents.service import apply_pages
from core.errors import Invalid, NotFound, Upstream
from core.sites import add_site_if_missing, site_ids

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


async def _site_for(run: _Run, record: ImportRecord, default_site: str | None) -> str:
    if record.site is not None:
        if record.site not in run.sites:
            raise Invalid(f"unknown site {record.site!r} (add it to the sites file, or leave site out)")
        return record.site
    if default_site is not None:
        return default_site
    if IMPORTED_SITE not in run.sites:
        await add_site_if_missing(run.pool, site_id=IMPORTED_SITE, name=IMPORTED_SITE_NAME, level=IMPORTED_SITE_LEVEL)
        run.sites.add(IMPORTED_SITE)
    return IMPORTED_SITE


async def _flush(run: _Run) -> None:
    """Store one batch in one transaction; announce the changes only after it commits."""
    events = [record.to_event(site) for record, site in run.batch]
    run.batch = []
    if not events:
        return
    async with run.pool.acquire() as conn, conn.transaction():
        stored = await stored_hashes(conn, [e.url for e in events])
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
    projector: str = SEARCH_PROJECTOR,
) -> ImportSummary:
    """Import JSONL lines (docs/import.md); returns once the documents changed are searchable.

    Rejected lines are reported, not fatal. Raise NotFound for an unknown `default_site`, and
    Upstream when no search-projector applies the changes (the documents stay stored).
    """
    sites = await site_ids(pool)
    if default_site is not None and default_site not in sites:
        raise NotFound(f"no site {default_site!r}: --site must name a site of the sites table")
    run = _Run(pool, bus, ImportSummary(), sites)
    for number, raw in enumerate(lines, start=1):
        if progress:
            progress(1)
        if raw.strip():  # blank lines (a trailing newline, say) are not records
            await _take(run, raw, number, default_site=default_site, max_text_chars=max_text_chars)
        if len(run.batch) >= batch_size:
            await _flush(run)
    await _flush(run)
    summary = run.summary
    log.info(
        "import stored",
        extra={
            "added": summary.added,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
            "rejected": len(summary.rejected),
        },
    )
    if wait and run.last_seq:
        summary.waited_s = await _wait_searchable(
            bus, run.last_seq, projector, timeout_s=wait_timeout_s, stall_s=stall_s
        )
    return summary


async def _take(run: _Run, raw: str | bytes, number: int, *, default_site: str | None, max_text_chars: int) -> None:
    """Add a line to the batch, or to the rejected lines with the reason."""
    try:
        record = parse_record(raw, number, max_text_chars=max_text_chars)
        if record.url in run.seen:
            raise Invalid(f"duplicate url (first on line {run.seen[record.url]})")
        site = await _site_for(run, record, default_site)
    except Invalid as exc:
        run.summary.rejected.append((number, exc.message))
        return
    run.seen[record.url] = number
    run.batch.append((record, site))


async def _wait_searchable(bus: Bus, seq: int, projector: str, *, timeout_s: float, stall_s: float) -> float:
    """Seconds waited until the projector acked `seq`; Upstream saying what to start or check otherwise."""
    try:
        return await wait_until_acked(
            bus, seq, stream=DOC_STREAM, consumer=projector, timeout_s=timeout_s, stall_s=stall_s
        )
    except NotConsuming as exc:
        raise Upstream(
            f"the documents are stored but not yet searchable: no {projector} is consuming "
            f"{DOC_STREAM} (waited {exc.details['waited_s']:.0f} s). Start `yiwang consumers` or `yiwang up`; "
            "the documents become searchable as soon as it runs."
        ) from None
    except StillPending as exc:
        pending = exc.details["pending"]
        raise Upstream(
            f"the documents are stored but the search-projector has not applied them after {timeout_s:.0f} s "
            f"({f'{pending} changes' if pending is not None else 'changes'} still waiting): "
            "check the `yiwang consumers` logs"
        ) from None
