"""Hot words of site content: terms of newly published documents rising against the windows before."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date, datetime

import asyncpg

from core.analytics.days import DaySpan, day_span
from core.analytics.models import Window, check_limit
from core.analytics.records import DocumentRef, HotWord
from core.analytics.scope import check_level, check_site

PREVIOUS_WINDOWS = {Window.DAY: 7, Window.WEEK: 4}  # compared with the mean of this many windows before
MIN_COUNT = 2  # documents of the window: one notice is not a trend
MIN_RISE = 1.5
BOILERPLATE_SHARE = 0.5  # a term on at least this share of a site's documents says nothing about any of them
BOILERPLATE_MIN_DOCS = 20  # ... once the site has this many documents in the span
DOCUMENTS_MAX = 5  # documents shown per term
CACHE_S = 60.0  # a list is read again at most once a minute per process (terms change as documents arrive)
CACHE_MAX = 1000
PHRASE_COVERS = 0.8  # a word shown in a phrase that has at least this share of its count is left out

# $1 site or null, $2 level or null: the sites counted.
SITES = """($1::text is null or site_id = $1)
    and ($2::text is null or site_id in (select id from site_list where level = $2))"""

# $3, $4: first and last day of the whole span; $5: first day of the current window; $6: windows before;
# $7: how many to return. Boilerplate is judged per site, over the whole span.
HOT_WORDS = f"""
with per_site as (
    select site_id, term,
           coalesce(sum(documents) filter (where day >= $5), 0) as now,
           coalesce(sum(documents) filter (where day < $5), 0) as before,
           sum(documents) as total
    from analytics_term_days where {SITES} and day between $3 and $4
    group by site_id, term
), site_docs as (
    select site_id, sum(documents) as docs from analytics_site_days
    where {SITES} and day between $3 and $4 group by site_id
), terms as (
    select p.term, sum(p.now)::int as now, sum(p.before)::float / $6 as before
    from per_site p join site_docs s using (site_id)
    where not (s.docs >= {BOILERPLATE_MIN_DOCS} and p.total >= s.docs * {BOILERPLATE_SHARE})
    group by p.term
)
select term, now, before, (now + 1) / (before + 1) as rise from terms
where now >= {MIN_COUNT} and (now + 1) / (before + 1) >= {MIN_RISE}
order by rise desc, now desc, term limit $7"""

# The newest documents of the window behind each term (GIN on terms), with their titles from live_documents.
DOCUMENTS = f"""
select t.term, d.id::text as id, d.site_id, d.title, d.url, d.kind
from unnest($3::text[]) as t (term)
cross join lateral (
    select document_id, day from analytics_doc_terms
    where {SITES} and terms @> array[t.term] and day between $4 and $5
    order by day desc, document_id limit {DOCUMENTS_MAX}
) x
join live_documents d on d.id = x.document_id
order by t.term, x.day desc, x.document_id"""


_cache: dict[tuple[int, Window, date, str | None, str | None, int], tuple[float, list[HotWord]]] = {}


def _covered(words: list[HotWord]) -> list[HotWord]:
    """Leave out a word shown inside a listed phrase that has most of its documents (人才 beside 人才公寓)."""
    out = []
    for w in words:
        if not any(p.term != w.term and w.term in p.term and p.count >= w.count * PHRASE_COVERS for p in words):
            out.append(w)
    return out


async def content_hot_words(
    pool: asyncpg.Pool,
    *,
    window: Window,
    now: datetime,
    limit: int = 20,
    site: str | None = None,
    level: str | None = None,
) -> list[HotWord]:
    """Terms of the documents published in the window (DAY: today, WEEK: the last 7 days, Beijing) rising
    against the mean of the windows before (7 days, 4 weeks): rise = (count + 1) / (mean before + 1), at least
    1.5 with at least 2 documents; terms on most of a site's pages (boilerplate) are left out. A list is
    computed at most once a minute per process (reading a week of a city's terms takes a fraction of a second)."""
    check_limit(limit)
    check_level(level)
    await check_site(pool, site)
    span = day_span(window, now)
    key = (id(pool), window, span.last, site, level, limit)  # per pool: a process may serve several databases
    cached = _cache.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    found = await _hot_words(pool, window, span, limit, site, level)
    if len(_cache) >= CACHE_MAX:
        _cache.clear()
    _cache[key] = (time.monotonic() + CACHE_S, found)
    return found


async def _hot_words(
    pool: asyncpg.Pool, window: Window, span: DaySpan, limit: int, site: str | None, level: str | None
) -> list[HotWord]:
    whole = DaySpan(span.before(PREVIOUS_WINDOWS[window]).first, span.last)
    args = (site, level, whole.first, whole.last, span.first, PREVIOUS_WINDOWS[window], limit * 3)
    rows = await pool.fetch(HOT_WORDS, *args)
    words = [
        HotWord(term=r["term"], count=r["now"], before=round(r["before"], 3), rise=round(r["rise"], 3), documents=[])
        for r in rows
    ]
    words = _covered(words)[:limit]
    documents = await _documents(pool, [w.term for w in words], site, level, span.first, span.last)
    return [
        HotWord(term=w.term, count=w.count, before=w.before, rise=w.rise, documents=documents.get(w.term, []))
        for w in words
    ]


async def _documents(
    pool: asyncpg.Pool, terms: Sequence[str], site: str | None, level: str | None, first: date, last: date
) -> dict[str, list[DocumentRef]]:
    if not terms:
        return {}
    rows = await pool.fetch(DOCUMENTS, site, level, list(terms), first, last)
    out: dict[str, list[DocumentRef]] = {}
    for r in rows:
        ref = DocumentRef(id=r["id"], site_id=r["site_id"], title=r["title"], url=r["url"], kind=r["kind"])
        out.setdefault(r["term"], []).append(ref)
    return out
