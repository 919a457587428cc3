"""Counting page views: from the beacon (per visitor hash and day, bots left out) and from search-result clicks.

A visitor is sha256(day's salt, address, user agent), cut to 128 bits. The salt is random, made on the first
view of a (Beijing) day, shared by every API process through Postgres and deleted when the next day's is made:
a hash cannot be recomputed afterwards, nor linked to another day's. The address and user agent are not kept.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import asyncpg

from core.clock import local_date

VIEWS_PER_VISITOR = 5  # views a visitor adds per document and day: reloads do not make a document popular
KEY_DAYS = 2  # per-visitor keys are kept this many days (today and yesterday), then pruned
BOT_AGENTS = re.compile(
    r"bot|crawl|spider|slurp|archiver|headless|phantomjs|selenium|puppeteer|playwright|lighthouse|pagespeed"
    r"|curl|wget|python|httpx|aiohttp|okhttp|java/|go-http|libwww|scrapy|httpclient|node-fetch|axios"
    r"|monitor|pingdom|uptime|check|preview|facebookexternalhit|yisou|sogou|360spider|bytespider",
    re.IGNORECASE,
)

NEW_SALT = """
with made as (insert into analytics_salts (day, salt) values ($1, $2) on conflict (day) do nothing returning salt)
select salt from made union all select salt from analytics_salts where day = $1 limit 1"""

# One statement, so a view is counted whole or not at all. The key row counts a visitor's views of a document
# on a day (capped); its first view adds a visitor to the document, and to the site's and the whole group's
# audience when the visitor is new there today.
RECORD_VIEW = f"""
with key as (
    insert into analytics_view_keys as k (day, visitor, document_id, views) values ($1, $2, $3, 1)
    on conflict (day, visitor, document_id) do update set views = k.views + 1 where k.views < {VIEWS_PER_VISITOR}
    returning (xmax = 0) as first
), page as (
    insert into analytics_page_days as p (day, document_id, site_id, views, visitors)
    select $1, $3, $4, 1, first::int from key
    on conflict (day, document_id) do update set views = p.views + 1, visitors = p.visitors + excluded.visitors
), seen as (
    insert into analytics_visitor_keys (day, site_id, visitor)
    select $1, s, $2 from unnest(array[$4::text, '']) as s where exists (select from key where first)
    on conflict do nothing
    returning site_id
), audience as (
    insert into analytics_audience as a (day, site_id, province, visitors)
    select $1, site_id, $5, 1 from seen
    on conflict (day, site_id, province) do update set visitors = a.visitors + 1
)
select first from key"""

DOCUMENT_BY_URL = """select id::text, site_id from live_documents where url = any($1::text[])
                     order by array_position($1::text[], url) limit 1"""
# What share buttons and apps append to the address a reader opens (WeChat's from=singlemessage&isappinstalled=0,
# utm_*, Alipay's spm): a view of `page.html?from=timeline` is a view of `page.html` when only that is stored.
TRACKING_PARAMS = frozenset({"from", "isappinstalled", "scene", "clicktime", "enterid", "spm", "share_token"})
DOCUMENT_BY_ID = "select id::text, site_id from live_documents where id = $1::uuid"

# Clicks on search results (new ones only: the caller passes what analytics_clicks just took in).
CLICK_VIEWS = """
insert into analytics_page_days as p (day, document_id, site_id, views, visitors, clicks)
select u.day, d.id, d.site_id, u.n, u.n, u.n
from unnest($1::date[], $2::uuid[], $3::int[]) as u (day, document_id, n)
join live_documents d on d.id = u.document_id
order by u.day, d.id
on conflict (day, document_id) do update
set views = p.views + excluded.views, visitors = p.visitors + excluded.visitors, clicks = p.clicks + excluded.clicks"""


def is_bot(user_agent: str | None) -> bool:
    """Crawlers, headless browsers, scripts and monitors, and any request without a user agent."""
    return not user_agent or not user_agent.strip() or BOT_AGENTS.search(user_agent) is not None


class Salts:
    """The day's salt of this process, read from (or made in) Postgres once a day."""

    def __init__(self) -> None:
        self.cache: dict[date, bytes] = {}
        self.lock = asyncio.Lock()

    @classmethod
    def empty(cls) -> Salts:
        return cls()

    async def of(self, pool: asyncpg.Pool, day: date) -> bytes:
        salt = self.cache.get(day)
        if salt is not None:
            return salt
        async with self.lock:  # one read per process, not one per concurrent first view
            salt = self.cache.get(day)
            if salt is None:
                salt = await _day_salt(pool, day)
                self.cache.clear()
                self.cache[day] = salt
        return salt


async def _day_salt(pool: asyncpg.Pool, day: date) -> bytes:
    async with pool.acquire() as conn, conn.transaction():
        salt = await conn.fetchval(NEW_SALT, day, secrets.token_bytes(32))
        if salt is None:  # another process made it concurrently: committed now, read it in a new snapshot
            salt = await conn.fetchval("select salt from analytics_salts where day = $1", day)
        await conn.execute("delete from analytics_salts where day < $1", day)  # kept for its day only
    return bytes(salt)


def visitor_hash(salt: bytes, address: str, user_agent: str) -> str:
    digest = hashlib.sha256(salt + b"\0" + address.encode() + b"\0" + user_agent.encode("utf-8", "replace"))
    return digest.hexdigest()[:32]


def untracked(url: str) -> str:
    """`url` without the query parameters share buttons and apps add (TRACKING_PARAMS, utm_*), the rest in order."""
    head, mark, query = url.partition("?")
    if not mark:
        return url
    kept = [
        part
        for part in query.split("&")
        if part and (name := part.split("=", 1)[0].lower()) not in TRACKING_PARAMS and not name.startswith("utm_")
    ]
    return head + ("?" + "&".join(kept) if kept else "")


async def find_document(pool: asyncpg.Pool, *, url: str | None = None, id: str | None = None) -> tuple[str, str] | None:
    """(id, site) of a live document by id, or by URL (as given, then without its fragment, then without what share
    buttons add to it); None if unknown."""
    if id is not None:
        try:
            uuid.UUID(id)
        except ValueError:
            return None
        row = await pool.fetchrow(DOCUMENT_BY_ID, id)
    else:
        given = (url or "").strip()
        bare = given.split("#", 1)[0]
        row = await pool.fetchrow(DOCUMENT_BY_URL, list(dict.fromkeys([given, bare, untracked(bare)])))
    return (row[0], row[1]) if row else None


@dataclass(frozen=True, kw_only=True)
class View:
    """One page view to count: whose (the day's visitor hash), of what, from which province (None: unknown)."""

    document_id: str
    site_id: str
    visitor: str
    province: str | None
    day: date


async def record_view(conn: asyncpg.Connection, view: View) -> bool:
    """Count one view; False when this visitor has already added its most views of the document today."""
    args = (view.day, view.visitor, uuid.UUID(view.document_id), view.site_id, view.province or "")
    return await conn.fetchval(RECORD_VIEW, *args) is not None


class ViewWriter:
    """Group commit of the views of one process: views arriving while a batch is written go together into the
    next one, one transaction each, so popular rows are updated by one writer and a commit serves many views.
    `record` returns after its batch committed: an answered view is stored (a crash loses only unanswered ones)."""

    def __init__(self, pool: asyncpg.Pool, *, max_batch: int = 500) -> None:
        self.pool = pool
        self.max_batch = max_batch
        self._pending: list[tuple[View, asyncio.Future[bool]]] = []
        self._task: asyncio.Task[None] | None = None

    async def record(self, view: View) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((view, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    counted = [await record_view(conn, view) for view, _ in batch]
            except Exception as exc:  # every view of the batch fails alike: its callers answer an error
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, counted, strict=True):
                if not future.done():  # a caller that went away
                    future.set_result(result)


async def count_click_views(conn: asyncpg.Connection, clicks: Iterable[tuple[str, datetime]]) -> int:
    """Add new search-result clicks (document id, when) to the documents' views; unknown documents are skipped."""
    per: dict[tuple[date, uuid.UUID], int] = {}
    for document_id, at in clicks:
        try:
            key = (local_date(at), uuid.UUID(document_id))
        except ValueError:
            continue  # not a stored document's id
        per[key] = per.get(key, 0) + 1
    if not per:
        return 0
    keys = sorted(per)
    status = await conn.execute(CLICK_VIEWS, [k[0] for k in keys], [k[1] for k in keys], [per[k] for k in keys])
    return int(status.split()[-1])


async def prune_visits(pool: asyncpg.Pool, *, now: datetime) -> int:
    """Forget per-visitor keys of days before yesterday; the counts stay."""
    oldest = local_date(now) - timedelta(days=KEY_DAYS - 1)
    removed = 0
    for statement in (
        "delete from analytics_view_keys where day < $1",
        "delete from analytics_visitor_keys where day < $1",
    ):
        status = await pool.execute(statement, oldest)
        removed += int(status.split()[-1])
    return removed
