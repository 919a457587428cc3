"""Resource inventory (呼和浩特 统一监管): documents by kind, columns and their last update, weekly updates."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import asyncpg

from core.clock import local_date
from core.errors import Invalid, NotFound
from core.monitoring.columns import ITEM_SQL, column_type_of

MAX_WEEKS = 104
ITEM_KINDS_EXCLUDED = ["column", "homepage"]


@dataclass(frozen=True, kw_only=True)
class ColumnStat:
    """One column of a site: its type, how many items it holds and when it last updated."""

    name: str
    type: str
    type_override: str | None
    items: int
    last_published: date | None
    updates_last_30_days: int


@dataclass(frozen=True)
class WeekCount:
    """Documents published in the week starting on Monday `week`."""

    week: date
    count: int


@dataclass(frozen=True, kw_only=True)
class SiteInventory:
    """What one site holds and how lively it is."""

    site_id: str
    site_name: str
    level: str
    department: str | None
    documents: int
    by_kind: dict[str, int]
    columns: list[ColumnStat]
    last_published: date | None
    updates_last_30_days: int
    open_findings: int


async def site_inventory(pool: asyncpg.Pool, site_id: str, now: datetime) -> SiteInventory:
    """The site's counts, read in one snapshot: the kinds, the columns and the open findings are three statements,
    and a crawl's pages stored between them made the columns hold more items than the site had documents."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        return await _inventory(conn, site_id, now)


async def _inventory(conn: asyncpg.Connection, site_id: str, now: datetime) -> SiteInventory:
    site = await conn.fetchrow("select id, name, level, department from site_list where id = $1", site_id)
    if site is None:
        raise NotFound(f"no site with id {site_id!r}")
    today = local_date(now)
    kinds = await conn.fetch(
        "select kind, count(*) as n from live_documents where site_id = $1 group by kind order by kind",
        site_id,
    )
    columns = await conn.fetch(
        f"""select c.name, coalesce(c.type_override, c.column_type) as type, c.type_override,
                  count(d.id) filter (where {ITEM_SQL}) as items,
                  max(d.published_at) filter (where {ITEM_SQL} and d.published_at <= $2) as last,
                  count(d.id) filter (where {ITEM_SQL} and d.published_at > $2 - 30 and d.published_at <= $2) as recent
           from site_column_list c left join live_documents d on d.column_id = c.id
           where c.site_id = $1 group by c.id, c.name, c.type_override, c.column_type
           having count(d.id) filter (where d.kind <> 'homepage') > 0 order by c.name""",
        site_id,
        today,
    )
    open_findings = await conn.fetchval("select count(*) from findings where site_id = $1 and state = 'open'", site_id)
    stats = [
        ColumnStat(
            name=r["name"],
            type=r["type"] or column_type_of(r["name"]),
            type_override=r["type_override"],
            items=int(r["items"]),
            last_published=r["last"],
            updates_last_30_days=int(r["recent"]),
        )
        for r in columns
    ]
    by_kind = {r["kind"]: int(r["n"]) for r in kinds}
    return SiteInventory(
        site_id=site_id,
        site_name=site["name"],
        level=site["level"],
        department=site["department"],
        documents=sum(by_kind.values()),
        by_kind=by_kind,
        columns=stats,
        last_published=max((c.last_published for c in stats if c.last_published), default=None),
        updates_last_30_days=sum(c.updates_last_30_days for c in stats),
        open_findings=int(open_findings),
    )


@dataclass(frozen=True)
class InventoryComparison:
    """One page of sites' inventories, in site id order, and how many sites there are in all."""

    sites: list[SiteInventory]
    total: int


async def compare_sites(
    pool: asyncpg.Pool, now: datetime, *, level: str | None = None, offset: int = 0, limit: int = 50
) -> InventoryComparison:
    """The inventories of one page of sites (optionally of one level), for comparing departments and counties
    side by side: only the page's sites are read (a group with its grassroots units has thousands)."""
    scope = "from site_list where ($1::text is null or level = $1)"
    total = await pool.fetchval(f"select count(*) {scope}", level)
    ids = await pool.fetch(f"select id {scope} order by id offset $2 limit $3", level, offset, limit)
    return InventoryComparison([await site_inventory(pool, r["id"], now) for r in ids], int(total))


Key = tuple[str | None, date, int, int]  # level, local day, offset, limit


class InventoryCache:
    """`compare_sites` answers per level, page (and day), kept `ttl_s` seconds; callers asking at once share one
    read.

    A site's inventory is a few statements: without this, one anonymous request with 30 aliases of
    inventoryComparison ran them all 30 times.
    """

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._entries: dict[Key, tuple[float, asyncio.Future[InventoryComparison]]] = {}

    async def compare(
        self, pool: asyncpg.Pool, now: datetime, *, level: str | None = None, offset: int = 0, limit: int = 50
    ) -> InventoryComparison:
        if self.ttl_s <= 0:
            return await compare_sites(pool, now, level=level, offset=offset, limit=limit)
        key, clock = (level, local_date(now), offset, limit), time.monotonic()
        entry = self._entries.get(key)
        if entry is None or entry[0] <= clock:
            self._entries = {k: e for k, e in self._entries.items() if e[0] > clock}
            read = compare_sites(pool, now, level=level, offset=offset, limit=limit)
            entry = (clock + self.ttl_s, asyncio.ensure_future(read))
            entry[1].add_done_callback(lambda f: self._forget_failed(key, f))
            self._entries[key] = entry
        # shielded: a caller that goes away does not cancel the read the others wait for
        return await asyncio.shield(entry[1])

    def _forget_failed(self, key: Key, future: asyncio.Future[InventoryComparison]) -> None:
        failed = future.cancelled() or future.exception() is not None
        if failed and (entry := self._entries.get(key)) is not None and entry[1] is future:
            del self._entries[key]


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def update_trend(pool: asyncpg.Pool, site_id: str, weeks: int, now: datetime) -> list[WeekCount]:
    """Documents published per week over the last `weeks` weeks, oldest first, empty weeks included."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise Invalid(f"weeks must be between 1 and {MAX_WEEKS}, not {weeks}")
    if not await pool.fetchval("select 1 from site_list where id = $1", site_id):
        raise NotFound(f"no site with id {site_id!r}")
    last = week_start(local_date(now))
    first = last - timedelta(weeks=weeks - 1)
    rows = await pool.fetch(
        """select date_trunc('week', published_at)::date as week, count(*) as n from live_documents
           where site_id = $1 and kind <> all($2::text[]) and published_at >= $3 and published_at <= $4
           group by 1""",
        site_id,
        ITEM_KINDS_EXCLUDED,
        first,
        local_date(now),
    )
    found = {r["week"]: int(r["n"]) for r in rows}
    return [WeekCount(first + timedelta(weeks=i), found.get(first + timedelta(weeks=i), 0)) for i in range(weeks)]
