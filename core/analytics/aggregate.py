"""Folding a batch of search and click events into hourly counters, idempotently, in one transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from core.analytics.models import SOURCE_MAX, floor_hour, normalize_query, parse_at
from core.bus.events import ResultClicked, SearchLogged
from core.errors import Invalid

Activity = SearchLogged | ResultClicked
# Batches from several consumer processes are applied one at a time: a click and its search arriving in two
# concurrent transactions would otherwise each miss the other (and hourly upserts could deadlock).
APPLY_LOCK = 0x59_57_41_4E  # "YWAN"
BucketKey = tuple[datetime, str, str, str]  # bucket, query, site ('' = all sites), source

INSERT_SEARCHES = """
insert into analytics_searches (search_id, bucket, query, site, source, total)
select * from unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::int[])
on conflict (search_id) do nothing
returning bucket, query, site, source, total, search_id"""

INSERT_CLICKS = """
insert into analytics_clicks (search_id, document_id, position, at)
select * from unnest($1::text[], $2::text[], $3::int[], $4::timestamptz[])
on conflict (search_id, document_id, position) do nothing
returning search_id, document_id, at"""

# Clicks not yet counted whose search is now known (either side may be new in this batch), and which of their
# searches get their first counted click; the result is per search, with the search's bucket key. Every table
# is reached from the ids (unnest, `= any`) so even the generic plan of this prepared statement uses the keys.
ATTRIBUTE_CLICKS = """
with counted as (
    update analytics_clicks c set counted = true
    from unnest($1::text[]) as t (id), analytics_searches s
    where c.search_id = t.id and s.search_id = t.id and not c.counted
    returning c.search_id, c.position, s.bucket, s.query, s.site, s.source
), per_search as (
    select search_id, bucket, query, site, source, count(*) as clicks, sum(position) as position_sum
    from counted group by search_id, bucket, query, site, source
), firsts as (
    update analytics_searches s set clicked = true
    where s.search_id = any(array(select search_id from per_search)) and not s.clicked
    returning s.search_id
)
select bucket, query, site, source, clicks, position_sum, search_id in (select search_id from firsts) as first
from per_search"""

UPSERT_HOURLY = """
insert into analytics_hourly as h (bucket, query, site, source, searches, zero_results, clicks, position_sum,
                                   clicked_searches)
select * from unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
                     $7::bigint[], $8::bigint[], $9::bigint[])
on conflict (bucket, query, site, source) do update set
    searches = h.searches + excluded.searches,
    zero_results = h.zero_results + excluded.zero_results,
    clicks = h.clicks + excluded.clicks,
    position_sum = h.position_sum + excluded.position_sum,
    clicked_searches = h.clicked_searches + excluded.clicked_searches"""


def decode_activity(data: bytes) -> Activity:
    """A YW_SEARCH payload as a search or a click (a click is the one that names a document)."""
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(f"search activity: payload is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise Invalid("search activity: payload is not an object")
    kind: type[Activity] = ResultClicked if "document_id" in raw else SearchLogged
    return kind.from_dict(raw)


@dataclass
class Applied:
    """What one batch changed: new searches and clicks counted (duplicates excluded), per site."""

    searches: int = 0
    clicks: int = 0
    sites: dict[str, list[int]] = field(default_factory=dict)  # site ('' = all) -> [searches, clicks]
    clicked: list[tuple[str, datetime]] = field(default_factory=list)  # new clicks: (document id, when)


def _int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{what} must be an integer, not {value!r}")
    return value


Searches = dict[str, tuple[str, datetime, str, str, str, int]]  # search id -> a row of INSERT_SEARCHES
Clicks = dict[tuple[str, str, int], datetime]  # (search id, document, position) -> when


def _distinct(events: Iterable[Activity]) -> tuple[Searches, Clicks]:
    """The batch's searches and clicks, each once (the first copy of a redelivered event wins)."""
    searches: Searches = {}
    clicks: Clicks = {}
    for e in events:
        if isinstance(e, SearchLogged):
            if e.search_id not in searches:
                source = (e.source or "api")[:SOURCE_MAX]
                at = floor_hour(parse_at(e.at))
                query = normalize_query(e.query or "")
                searches[e.search_id] = (e.search_id, at, query, e.site or "", source, _int(e.total, "total"))
        else:
            key = (e.search_id, str(e.document_id), _int(e.position, "position"))
            if key not in clicks:
                clicks[key] = parse_at(e.at)
    return searches, clicks


def _tally(searches: Sequence[asyncpg.Record], attributed: Sequence[asyncpg.Record]) -> dict[BucketKey, list[int]]:
    """Per hourly bucket: searches, zero results, clicks, position sum, clicked searches."""
    tally: dict[BucketKey, list[int]] = {}
    for r in searches:
        t = tally.setdefault((r[0], r[1], r[2], r[3]), [0, 0, 0, 0, 0])
        t[0] += 1
        t[1] += r[4] == 0
    for r in attributed:
        t = tally.setdefault((r[0], r[1], r[2], r[3]), [0, 0, 0, 0, 0])
        t[2] += r[4]
        t[3] += r[5]
        t[4] += r[6]
    return tally


async def apply_events(conn: asyncpg.Connection, events: Iterable[Activity]) -> Applied:
    """Count every search and click once, whatever the redelivery or arrival order; call inside a transaction."""
    searches, clicks = _distinct(events)
    await conn.execute("select pg_advisory_xact_lock($1)", APPLY_LOCK)
    new_searches = await conn.fetch(INSERT_SEARCHES, *zip(*searches.values(), strict=True)) if searches else []
    new_clicks = []
    if clicks:
        ids, docs, positions = zip(*clicks, strict=True)
        new_clicks = await conn.fetch(INSERT_CLICKS, ids, docs, positions, list(clicks.values()))
    # a new search's clicks may have arrived first
    touched = {r[5] for r in new_searches} | {r[0] for r in new_clicks}
    attributed = await conn.fetch(ATTRIBUTE_CLICKS, list(touched)) if touched else []
    tally = _tally(new_searches, attributed)
    applied = Applied(searches=sum(t[0] for t in tally.values()), clicks=sum(t[2] for t in tally.values()))
    applied.clicked = [(r[1], r[2]) for r in new_clicks]
    if not tally:
        return applied
    keys = sorted(tally)  # a stable order keeps row locks ordered
    await conn.execute(UPSERT_HOURLY, *zip(*keys, strict=True), *zip(*(tally[k] for k in keys), strict=True))
    for k in keys:
        per_site = applied.sites.setdefault(k[2], [0, 0])
        per_site[0] += tally[k][0]
        per_site[1] += tally[k][2]
    return applied


async def prune_event_keys(conn: asyncpg.Connection, before: datetime) -> int:
    """Forget search and click keys older than `before` (past the stream's replay horizon); counters stay."""
    searches = await conn.execute("delete from analytics_searches where bucket < $1", floor_hour(before))
    clicks = await conn.execute("delete from analytics_clicks where at < $1", before)
    return int(searches.split()[-1]) + int(clicks.split()[-1])
