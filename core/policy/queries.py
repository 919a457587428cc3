"""Reading the policy library: one policy with its copies, what explains it, its Q&A and related services."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

import asyncpg

from core.errors import Invalid, NotFound
from core.policy.links import RESPONSE_KINDS

# The admin's word, else the page's, else what “有效期N年” in the text implies today.
VALIDITY_SQL = """coalesce(p.validity_admin, p.validity_page,
    case when p.expires_on is null then null when p.expires_on < current_date then '失效' else '有效' end)"""
VALIDITY_SOURCE_SQL = """case when p.validity_admin is not null then 'admin' when p.validity_page is not null
    then 'page' when p.expires_on is not null then 'text' end"""
_SELECT = f"""
    select p.document_id::text as id, p.canonical_id::text as canonical_id, p.title, p.issuers, p.written_date,
           p.published_date, p.year, {VALIDITY_SQL} as validity, {VALIDITY_SOURCE_SQL} as validity_source,
           p.expires_on, p.audience, p.theme, p.theme_top, p.theme_source, d.url, d.site_id,
           coalesce((select array_agg(n.normalized order by n.position) from policy_doc_nos n
                     where n.document_id = p.document_id), '{{}}') as doc_nos
    from policies p join live_documents d on d.id = p.document_id
"""


@dataclass(frozen=True, kw_only=True)
class Policy:
    """A policy as the library shows it."""

    id: str
    canonical_id: str
    url: str
    site_id: str
    title: str
    doc_nos: tuple[str, ...]
    issuers: tuple[str, ...]
    written_date: date | None
    published_date: date | None
    year: int | None
    validity: str | None
    validity_source: str | None
    expires_on: date | None
    audience: tuple[str, ...]
    theme: str | None
    theme_top: str | None
    theme_source: str | None


@dataclass(frozen=True, kw_only=True)
class Related:
    """A page tied to a policy: a copy, an interpretation or response, or a related service."""

    document_id: str
    title: str
    url: str
    site_id: str
    kind: str = ""
    relation: str = ""
    matched_by: str = ""


@dataclass(frozen=True)
class PolicyQa:
    """A stored question-answer pair drawn from the policy or from a page explaining it."""

    id: str
    question: str
    answer: str
    basis_url: str | None
    basis_title: str | None


@dataclass(frozen=True)
class Filters:
    """The selection; each facet's counts are taken with all the other filters applied (not its own).

    `theme` matches a full label or its top level; `topic` is a topic's slug; the dates bound `published_date`.
    """

    issuer: str | None = None
    year: int | None = None
    theme: str | None = None
    validity: str | None = None
    audience: str | None = None
    topic: str | None = None
    published_from: date | None = None
    published_to: date | None = None


@dataclass(frozen=True)
class FacetCount:
    """One value of a facet (a topic's slug, labelled with its name) and how many policies the others leave."""

    value: str
    label: str
    count: int


@dataclass
class PolicyPage:
    """A page of canonical policies, the total, and each facet's counts under the other filters."""

    items: list[Policy]
    total: int
    counts: dict[str, list[FacetCount]] = field(default_factory=dict)


def _policy(r: asyncpg.Record) -> Policy:
    return Policy(
        id=r["id"],
        canonical_id=r["canonical_id"],
        url=r["url"],
        site_id=r["site_id"],
        title=r["title"],
        doc_nos=tuple(r["doc_nos"]),
        issuers=tuple(r["issuers"]),
        written_date=r["written_date"],
        published_date=r["published_date"],
        year=r["year"],
        validity=r["validity"],
        validity_source=r["validity_source"],
        expires_on=r["expires_on"],
        audience=tuple(r["audience"]),
        theme=r["theme"],
        theme_top=r["theme_top"],
        theme_source=r["theme_source"],
    )


def _related(r: asyncpg.Record, *, kind: str, relation: str = "", matched_by: str = "") -> Related:
    return Related(
        document_id=r["id"],
        title=r["title"],
        url=r["url"],
        site_id=r["site_id"],
        kind=kind,
        relation=relation,
        matched_by=matched_by,
    )


POLICY_SELECT = _SELECT


def policy_row(r: asyncpg.Record) -> Policy:
    return _policy(r)


def check_id(value: str, name: str) -> str:
    """A policy's or a page's id as stored (a UUID, lower case); Invalid naming the argument when it is none, as an
    id typed or pasted wrong would otherwise fail the query."""
    try:
        return str(UUID(value))
    except ValueError:
        raise Invalid(f"{name} must be a document id (a UUID), not {value[:100]!r}") from None


async def get_policy(pool: asyncpg.Pool, policy_id: str) -> Policy:
    policy_id = check_id(policy_id, "id")
    row = await pool.fetchrow(_SELECT + " where p.document_id = $1::uuid", policy_id)
    if row is None:
        raise NotFound(f"no policy with id {policy_id!r}")
    return _policy(row)


async def copies_of(pool: asyncpg.Pool, policy_id: str) -> list[Related]:
    """The other documents of a policy's reprint cluster."""
    rows = await pool.fetch(
        """select d.id::text, d.title, d.url, d.site_id from policies p join policies me on me.document_id = $1::uuid
           join live_documents d on d.id = p.document_id
           where p.canonical_id = me.canonical_id and p.document_id <> me.document_id
           order by d.first_seen""",
        policy_id,
    )
    return [_related(r, kind="copy") for r in rows]


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
MAX_PER_POLICY = 20
# What explains policies: each one's whole reprint cluster, mentions by 文号 or 《title》 (the admin's kind of a page
# wins), the admin's link and unlink decisions; for every asked policy in one pass (a page of search hits is one
# statement).
_LINKED_MANY = """
with asked as (
    select distinct unnest($1::uuid[]) as policy_id
), cluster as (
    select a.policy_id, p.document_id, p.names
    from asked a join policies me on me.document_id = a.policy_id join policies p on p.canonical_id = me.canonical_id
), keys as (
    select c.policy_id, 'doc_no' as by, n.normalized as value from policy_doc_nos n join cluster c using (document_id)
    union select c.policy_id, 'title', unnest(c.names) from cluster c
), auto as (
    select distinct on (k.policy_id, m.document_id) k.policy_id, m.document_id,
           case when e.kind_admin is null then m.relation
                when e.kind_admin = any($4::text[]) then 'response' else 'interpretation' end as relation,
           coalesce(e.kind_admin, m.kind) as kind,  -- the admin's kind of the page (setInterpretationKind) wins
           m.by as matched_by
    from policy_mentions m join keys k on k.by = m.by and k.value = m.value
    left join policy_explainers e on e.document_id = m.document_id
    where not exists (select 1 from cluster c where c.policy_id = k.policy_id and c.document_id = m.document_id)
    order by k.policy_id, m.document_id, m.by
), chosen as (
    select a.* from auto a where not exists (
        select 1 from policy_link_overrides o where o.policy_id = a.policy_id and o.document_id = a.document_id)
    union all
    select o.policy_id, o.document_id, o.relation, o.kind, 'admin' from policy_link_overrides o
    where o.policy_id in (select policy_id from asked) and o.action = 'link'
), ranked as (
    select c.policy_id, c.document_id, d.title, d.url, d.site_id, c.relation, c.kind, c.matched_by,
           row_number() over (partition by c.policy_id order by d.published_at desc nulls last, d.url) as n
    from chosen c join live_documents d on d.id = c.document_id
    where $2::text is null or c.relation = $2
)
select policy_id::text as policy_id, document_id::text as id, title, url, site_id, relation, kind, matched_by
from ranked where n <= $3 order by policy_id, n
"""


async def explained_by_many(
    pool: asyncpg.Pool, policy_ids: Sequence[str], relation: str | None = None, *, limit: int = MAX_PER_POLICY
) -> dict[str, list[Related]]:
    """Each asked policy's interpretations and responses (`relation` keeps one of them), newest first, at most
    `limit` each; ids that are no policy (or no document id at all) get an empty list."""
    found: dict[str, list[Related]] = {i: [] for i in policy_ids}
    wanted = sorted({i.lower() for i in policy_ids if _UUID.fullmatch(i)})
    if not wanted:
        return found
    for r in await pool.fetch(_LINKED_MANY, wanted, relation, limit, list(RESPONSE_KINDS)):
        related = Related(
            document_id=r["id"],
            title=r["title"],
            url=r["url"],
            site_id=r["site_id"],
            kind=r["kind"],
            relation=r["relation"],
            matched_by=r["matched_by"],
        )
        for asked in (i for i in policy_ids if i.lower() == r["policy_id"]):
            found[asked].append(related)
    return found


async def explained_by(pool: asyncpg.Pool, policy_id: str, relation: str | None = None) -> list[Related]:
    """Interpretations and responses of a policy (any copy of it), after the admin's link/unlink decisions."""
    return (await explained_by_many(pool, [policy_id], relation, limit=200))[policy_id]


async def qa_of(pool: asyncpg.Pool, policy_id: str, limit: int = 100) -> list[PolicyQa]:
    """Active Q&A pairs extracted from the policy, its copies or the pages explaining it (transcripts)."""
    ids = [policy_id, *(r.document_id for r in await explained_by(pool, policy_id))]
    ids += [c.document_id for c in await copies_of(pool, policy_id)]
    rows = await pool.fetch(
        """select id, question, answer, basis_url, basis_title from active_qa_pairs
           where document_id = any($1::uuid[]) order by id limit $2""",
        ids,
        limit,
    )
    return [PolicyQa(r["id"], r["question"], r["answer"], r["basis_url"], r["basis_title"]) for r in rows]


_SERVICES = """
with needles as (
    select distinct p.document_id as policy_id, n.needle
    from policies p
    cross join lateral unnest(p.names || p.title || coalesce((select array_agg(x.normalized)
        from policy_doc_nos x where x.document_id = p.document_id), '{}')) as n(needle)
    where p.document_id = any($1::uuid[]) and length(n.needle) >= 6
), found as (
    select distinct w.policy_id, d.id, d.title, d.url, d.site_id
    from live_documents d join needles w on strpos(d.title || d.text, w.needle) > 0
    where d.kind = 'service'
), ranked as (
    select f.*, row_number() over (partition by f.policy_id order by f.title, f.id) as n from found f
)
select policy_id::text as policy_id, id::text, title, url, site_id from ranked where n <= $2
order by policy_id, title, id
"""


async def related_services(pool: asyncpg.Pool, policy_ids: list[str], limit: int = 20) -> dict[str, list[Related]]:
    """Service guides whose text names a policy's title (or the document it carries) or one of its 文号.

    One statement for a whole page of policies: the service guides are read once, not once per policy.
    """
    found: dict[str, list[Related]] = {i: [] for i in policy_ids}
    for r in await pool.fetch(_SERVICES, policy_ids, limit):
        found.setdefault(r["policy_id"], []).append(_related(r, kind="service"))
    return found
