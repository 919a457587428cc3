"""What explains many policies at once: a page of search hits costs one statement, not one per hit."""

from __future__ import annotations

import re
from collections.abc import Sequence

import asyncpg

from core.policy.queries import Related

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
MAX_PER_POLICY = 20
# queries.explained_by's rules (the policy's whole reprint cluster, mentions by 文号 or 《title》, the admin's
# link and unlink decisions), for every asked policy in one pass.
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
    select distinct on (k.policy_id, m.document_id) k.policy_id, m.document_id, m.relation, m.kind, m.by as matched_by
    from policy_mentions m join keys k on k.by = m.by and k.value = m.value
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
    for r in await pool.fetch(_LINKED_MANY, wanted, relation, limit):
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
