"""The filtered policy list with cascading counts: each facet counted under all the OTHER filters, in one statement."""

from __future__ import annotations

from datetime import date
from typing import Any

import asyncpg

from core.errors import Invalid
from core.policy.audience import AUDIENCE_RULES
from core.policy.derive import VALIDITIES
from core.policy.queries import POLICY_SELECT, VALIDITY_SQL, FacetCount, Filters, PolicyPage, policy_row
from core.policy.topics import MEMBERS, topic_id
from core.textzh.dates import FIRST_YEAR

FACETS = ("issuer", "year", "theme", "validity", "audience", "topic")
FACET_LIMIT = 200
# facet -> the condition its filter puts on policy p (one placeholder, {0}).
_CONDITIONS = {
    "issuer": "{0} = any(p.issuers)",
    "year": "p.year = {0}",
    "theme": "(p.theme = {0} or p.theme_top = {0})",
    "validity": VALIDITY_SQL + " = {0}",
    "audience": "{0} = any(p.audience)",
    "topic": f"p.document_id in (select m.policy_id from ({MEMBERS}) m where m.topic_id = {{0}}::uuid)",
    "published_from": "p.published_date >= {0}",
    "published_to": "p.published_date <= {0}",
}
# facet -> (value, label) expressions over the `base` rows and what to join for them.
_VALUES = {
    "issuer": ("i", "i", "cross join unnest(b.issuers) i"),
    "year": ("b.year::text", "b.year::text", ""),
    "theme": ("b.theme", "b.theme", ""),
    "validity": ("b.validity", "b.validity", ""),
    "audience": ("a", "a", "cross join unnest(b.audience) a"),
    "topic": (
        "t.slug",
        "min(t.name)",
        f"join ({MEMBERS}) m on m.policy_id = b.id join policy_topics t on t.id = m.topic_id",
    ),
}


def check_filters(f: Filters, today: date) -> None:
    """BAD_INPUT for a selection that can only be a mistake (`today`: a Beijing date, for the latest year)."""
    last_year = today.year + 1  # a policy issued in late December may be dated the new year
    if f.year is not None and not FIRST_YEAR <= f.year <= last_year:
        raise Invalid(f"year must be between {FIRST_YEAR} and {last_year}, not {f.year}")
    if f.published_from and f.published_to and f.published_from > f.published_to:
        raise Invalid(f"publishedFrom ({f.published_from}) is after publishedTo ({f.published_to})")
    if f.validity is not None and f.validity not in VALIDITIES:
        raise Invalid(f"validity must be one of {'、'.join(VALIDITIES)}")
    if f.audience is not None and f.audience not in AUDIENCE_RULES:
        raise Invalid(f"audience must be one of {'、'.join(AUDIENCE_RULES)}")


async def _conditions(pool: asyncpg.Pool, f: Filters) -> tuple[dict[str, str], list[Any]]:
    """filter name -> SQL condition for the filters given, and their arguments ($1 …)."""
    values: dict[str, Any] = {
        "issuer": f.issuer,
        "year": f.year,
        "theme": f.theme,
        "validity": f.validity,
        "audience": f.audience,
        "topic": await topic_id(pool, f.topic) if f.topic is not None else None,  # NOT_FOUND for an unknown slug
        "published_from": f.published_from,
        "published_to": f.published_to,
    }
    conds: dict[str, str] = {}
    args: list[Any] = []
    for name, value in values.items():
        if value is not None:
            args.append(value)
            conds[name] = _CONDITIONS[name].format(f"${len(args)}")
    return conds, args


def _all(conds: dict[str, str], but: str = "") -> str:
    return " and ".join([f"b.f_{name}" for name in conds if name != but] or ["true"])


def facets_sql(conds: dict[str, str]) -> str:
    """One statement: the total and every facet's values, each under all the filters but its own."""
    flags = "".join(f", {cond} as f_{name}" for name, cond in conds.items())
    base = f"""with base as materialized (
        select p.document_id as id, p.issuers, p.year, p.theme, p.audience, {VALIDITY_SQL} as validity{flags}
        from policies p join live_documents d on d.id = p.document_id where p.canonical_id = p.document_id)
    select 'total' as facet, '' as value, '' as label, count(*) as n from base b where {_all(conds)}"""
    parts = [base]
    for facet in FACETS:
        value, label, join = _VALUES[facet]
        parts.append(
            f"""(select '{facet}', {value}, {label}, count(*) from base b {join}
                where {_all(conds, facet)} and {value} is not null
                group by {value} order by 4 desc, 2 limit {FACET_LIMIT})"""
        )
    return "\nunion all\n".join(parts)


async def list_policies(
    pool: asyncpg.Pool, filters: Filters, *, today: date, offset: int = 0, limit: int = 20
) -> PolicyPage:
    """Canonical policies (reprints shown once), newest first, with every facet's counts; two statements, read in
    one snapshot so that a policy stored between them is in both the page and the total or in neither."""
    check_filters(filters, today)
    conds, args = await _conditions(pool, filters)
    where = " where " + " and ".join(["p.canonical_id = p.document_id", *conds.values()])
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        rows = await conn.fetch(
            POLICY_SELECT + where + " order by p.published_date desc nulls last, p.document_id"
            f" offset ${len(args) + 1} limit ${len(args) + 2}",
            *args,
            offset,
            limit,
        )
        found = await conn.fetch(facets_sql(conds), *args)
    counts: dict[str, list[FacetCount]] = {facet: [] for facet in FACETS}
    total = 0
    for r in found:
        if r["facet"] == "total":
            total = int(r["n"])
        else:
            counts[r["facet"]].append(FacetCount(r["value"], r["label"], int(r["n"])))
    return PolicyPage([policy_row(r) for r in rows], total, counts)
