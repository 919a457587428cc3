"""Loads the facts of one site that the rules judge: probes, homepage items, columns, links, texts, letters."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg

from core.clock import BEIJING, local_date
from core.errors import NotFound
from core.monitoring.columns import ITEM_SQL, column_type_of
from core.monitoring.commitment_rules import load_tv_commitments
from core.monitoring.feature_facts import load_data_quality, load_disclosure, unit_code_of
from core.monitoring.models import (
    ColumnFact,
    DatedItem,
    DocText,
    Letter,
    LinkCheck,
    LinkFact,
    Probe,
    SiteFacts,
    WrongExpression,
)
from core.settings import Settings, get_settings
from core.sites import classify_columns
from core.textzh.dates import parse_date

ITEM_KINDS_EXCLUDED = ("column", "homepage")
_ASKED = re.compile(r"(?:留言|来信|提问|咨询)(?:时间|日期)\s*[:：]?\s*(\S+(?:\s+\d{1,2}:\d{2})?)")
_REPLIED = re.compile(r"(?:回复|答复|办结)(?:时间|日期)\s*[:：]?\s*(\S+(?:\s+\d{1,2}:\d{2})?)")
LETTER_MARKERS = ("留言时间", "来信时间", "提问时间", "咨询时间")

HOMEPAGE = """select id, url from live_documents
              where site_id = $1 and (url = any($2::text[]) or kind = 'homepage')
              order by (url = any($2::text[])) desc, last_seen desc limit 1"""
LINKED_ITEMS = """
    select distinct d.url, d.title, d.published_at from document_links l join live_documents d on d.url = l.to_url
    where l.from_doc = any($1::uuid[]) and d.published_at is not null
      and d.kind <> all($2::text[]) and d.published_at <= $3
    order by d.published_at desc limit 50"""
SECOND_LEVEL = """
    select distinct d.id from document_links l join live_documents d on d.url = l.to_url
    where l.from_doc = $1 and d.site_id = $2"""
COLUMNS = f"""
    select c.id, c.name, coalesce(c.type_override, c.column_type) as type,
           count(d.id) filter (where {ITEM_SQL}) as items,
           max(d.published_at) filter (where {ITEM_SQL} and d.published_at <= $2) as last_published,
           min(d.url) filter (where not {ITEM_SQL} and d.kind <> 'homepage') as list_url,
           (array_agg(d.url order by d.published_at desc nulls last) filter (where {ITEM_SQL}))[1] as newest_url
    from site_column_list c left join live_documents d on d.column_id = c.id
    where c.site_id = $1 group by c.id, c.name, c.type_override, c.column_type order by c.id"""
LINKS = """
    select d.url as page_url, l.to_url, l.anchor, l.kind, d.id = $2 as on_homepage,
           lc.ok, lc.status, lc.error, lc.elapsed_ms, lc.checked_at
    from document_links l join live_documents d on d.id = l.from_doc
    left join lateral (select * from link_checks c where c.url = l.to_url and c.checked_at <= $3
                       order by c.day desc limit 1) lc on true
    where d.site_id = $1 and l.to_url ~ '^https?://'"""


def _letter_date(pattern: re.Pattern[str], text: str) -> date | None:
    m = pattern.search(text)
    return parse_date(m.group(1)) if m else None


def parse_letter(url: str, title: str, column: str | None, text: str, meta: dict[str, Any]) -> Letter | None:
    """A letter from its page: 留言时间 and 回复时间 as printed (or asked_at/replied_at in the metadata)."""
    asked = parse_date(str(meta.get("asked_at") or "")) or _letter_date(_ASKED, text)
    if asked is None:
        return None
    replied = parse_date(str(meta.get("replied_at") or "")) or _letter_date(_REPLIED, text)
    return Letter(url=url, title=title, column=column, asked=asked, replied=replied)


async def load_facts(
    pool: asyncpg.Pool, site_id: str, now: datetime, *, probe_days: float = 7, settings: Settings | None = None
) -> SiteFacts:
    settings = settings or get_settings()
    site = await pool.fetchrow("select id, name, config, enabled from site_list where id = $1", site_id)
    if site is None:
        raise NotFound(f"no site with id {site_id!r}")
    config = json.loads(site["config"]) if isinstance(site["config"], str) else dict(site["config"])
    await classify_columns(pool, site_id, column_type_of)
    today = local_date(now)
    home = await pool.fetchrow(HOMEPAGE, site_id, list(config.get("start_urls") or []))
    home_items, second = await _homepage_items(pool, site_id, home, today)
    texts, letters = await _texts_and_letters(pool, site_id, today)
    wrong = [
        WrongExpression(r["wrong"], r["right_form"], r["category"])
        for r in await pool.fetch("select wrong, right_form, category from wrong_expressions")
    ]
    return SiteFacts(
        site_id=site_id,
        site_name=site["name"],
        homepage_url=home["url"] if home else None,
        probes=await _probes(pool, site_id, now, probe_days),
        homepage_items=home_items,
        second_level_items=second,
        columns=await _columns(pool, site_id, today),
        links=await _links(pool, site_id, home["id"] if home else None, now),
        documents=texts,
        letters=letters,
        wrong_expressions=wrong,
        data_quality=await load_data_quality(pool, site_id, settings, now),
        disclosure=await load_disclosure(pool, site_id, settings, now),
        tv_commitments=await load_tv_commitments(pool, site_id, now),
        # A site no one crawls has no homepage, columns or links to judge: a unit's site is its disclosure register,
        # and the open-data site, stored disabled, is its catalogue (unless a deployment crawls its portal).
        web_pages=unit_code_of(site_id) is None and bool(site["enabled"]),
    )


async def _probes(pool: asyncpg.Pool, site_id: str, now: datetime, days: float) -> list[Probe]:
    rows = await pool.fetch(
        "select probed_at, ok, status, elapsed_ms, error from monitor_probes "
        "where site_id = $1 and probed_at > $2 and probed_at <= $3 order by probed_at",
        site_id,
        now - timedelta(days=days),
        now,
    )
    return [Probe(r["probed_at"], r["ok"], r["status"], r["elapsed_ms"], r["error"]) for r in rows]


async def _homepage_items(
    pool: asyncpg.Pool, site_id: str, home: asyncpg.Record | None, today: date
) -> tuple[list[DatedItem], list[DatedItem]]:
    """Dated items the home page links to; when it links to none, those of the pages it links to."""
    if home is None:
        return [], []
    home_items = await _items(pool, [home["id"]], today)
    if home_items:
        return home_items, []
    level2 = [r["id"] for r in await pool.fetch(SECOND_LEVEL, home["id"], site_id)]
    return [], await _items(pool, level2, today)


async def _columns(pool: asyncpg.Pool, site_id: str, today: date) -> list[ColumnFact]:
    return [
        ColumnFact(
            id=r["id"],
            name=r["name"],
            type=r["type"] or column_type_of(r["name"]),
            items=int(r["items"]),
            last_published=r["last_published"],
            list_url=r["list_url"],
            newest_url=r["newest_url"],
        )
        for r in await pool.fetch(COLUMNS, site_id, today)
        if r["items"] or r["list_url"]
    ]


def _link_check(r: asyncpg.Record) -> LinkCheck | None:
    if r["checked_at"] is None:
        return None
    return LinkCheck(
        url=r["to_url"],
        ok=r["ok"],
        status=r["status"],
        error=r["error"],
        elapsed_ms=r["elapsed_ms"],
        checked_at=r["checked_at"],
    )


async def _links(pool: asyncpg.Pool, site_id: str, home_id: Any, now: datetime) -> list[LinkFact]:
    return [
        LinkFact(
            page_url=r["page_url"],
            url=r["to_url"],
            anchor=r["anchor"],
            kind=r["kind"],
            on_homepage=bool(r["on_homepage"]),
            check=_link_check(r),
        )
        for r in await pool.fetch(LINKS, site_id, home_id, now)
    ]


async def _texts_and_letters(pool: asyncpg.Pool, site_id: str, today: date) -> tuple[list[DocText], list[Letter]]:
    """Every live document's text, and the letters (留言) among them asked by today."""
    docs = await pool.fetch(
        """select d.url, d.title, d.text, d.metadata, c.name as column_name from live_documents d
           left join site_column_list c on c.id = d.column_id where d.site_id = $1""",
        site_id,
    )
    texts = [DocText(r["url"], r["column_name"], r["title"], r["text"]) for r in docs]
    letters = []
    for r in docs:
        meta = json.loads(r["metadata"]) if isinstance(r["metadata"], str) else dict(r["metadata"])
        if "letter_id" in meta:  # a user-space letter, published: counted from letter_deadlines below
            continue
        if "asked_at" in meta or any(m in r["text"] for m in LETTER_MARKERS):
            letter = parse_letter(r["url"], r["title"], r["column_name"], r["text"], meta)
            if letter is not None and letter.asked <= today:
                letters.append(letter)
    return texts, letters + await _user_space_letters(pool, site_id, today)


# Open letters, and those answered within the last year (what an inspection judges), newest first and bounded:
# a site with millions of letters over the years costs an inspection the same as one with a year's worth.
USER_SPACE_LETTERS = """select id, kind, department, subject, submitted_at, due_on, replied_at, published_url
                        from letter_deadlines
                        where site_id = $1 and submitted_at < $2 and (replied_at is null or replied_at >= $3)
                        order by submitted_at desc limit $4"""
LETTER_WINDOW_DAYS = 365
MAX_INSPECTED_LETTERS = 20_000


def _letter_title(r: asyncpg.Record) -> str:
    """A published letter by its subject; an unpublished one (no consent, or not yet) names no words of the
    citizen: findings are public (inspection, big screen, alerts)."""
    if r["published_url"]:
        return str(r["subject"])
    return f"{r['kind']}·{r['department']}（未公开，编号 {str(r['id'])[:8]}）"


async def _user_space_letters(pool: asyncpg.Pool, site_id: str, today: date) -> list[Letter]:
    """Letters written on the site through the user space (core.letters' view), with their deadlines."""
    until = datetime.combine(today + timedelta(days=1), time(tzinfo=UTC)) - BEIJING
    since = until - timedelta(days=LETTER_WINDOW_DAYS)
    rows = await pool.fetch(USER_SPACE_LETTERS, site_id, until, since, MAX_INSPECTED_LETTERS)
    return [
        Letter(
            url=r["published_url"] or "",
            title=_letter_title(r),
            column=None,
            asked=local_date(r["submitted_at"]),
            replied=local_date(r["replied_at"]) if r["replied_at"] else None,
            due=r["due_on"],
            letter_id=str(r["id"]),
        )
        for r in rows
    ]


async def _items(pool: asyncpg.Pool, doc_ids: list[Any], today: date) -> list[DatedItem]:
    if not doc_ids:
        return []
    rows = await pool.fetch(LINKED_ITEMS, doc_ids, list(ITEM_KINDS_EXCLUDED), today)
    return [DatedItem(r["url"], r["title"], r["published_at"]) for r in rows]
