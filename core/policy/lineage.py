"""A policy's previous version in the library, and the computed 新旧对比 between the two texts."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import asyncpg

from core.documents import get_documents
from core.policy.queries import POLICY_SELECT, Policy, policy_row
from core.policy.versions import Diff, Refs, sentence_diff

# The policy (of another cluster) this one replaces: one its text names as 废止/替代 by 文号, then by name,
# then an earlier policy of a common issuer under the same name (a 修订 republished whole). Canonicals only.
_PREVIOUS = """
with me as (
    select p.* from policies p where p.document_id = $1::uuid
), cluster as (
    select p.document_id from policies p join me on p.canonical_id = me.canonical_id
), found as (
    select n.document_id, 1 as rank, 'doc_no' as matched_by from policy_replaces r
    join policy_doc_nos n on r.by = 'doc_no' and n.normalized = r.value where r.policy_id in (select * from cluster)
    union all
    select p.document_id, 2, 'title' from policy_replaces r
    join policies p on r.by = 'title' and p.names @> array[r.value]
    where r.policy_id in (select * from cluster)
    union all
    select p.document_id, 3, 'same_name' from policies p, me
    where p.names && me.names and p.issuers && me.issuers and p.published_date < me.published_date
)
select f.matched_by, o.canonical_id::text as id from found f join policies o on o.document_id = f.document_id
join me on true
where o.canonical_id <> me.canonical_id
order by f.rank, o.published_date desc nulls last, o.canonical_id limit 1
"""


@dataclass(frozen=True)
class Changes:
    """A policy, the one it replaces, how that was found (doc_no, title, same_name), and the sentence diff."""

    policy: Policy
    previous: Policy
    matched_by: str
    diff: Diff


async def replace_refs(conn: asyncpg.Connection, policy_id: str, refs: Refs) -> None:
    """What a policy says it replaces, replaced as a whole (in the caller's transaction)."""
    await conn.execute("delete from policy_replaces where policy_id = $1::uuid", policy_id)
    rows = [("doc_no", v) for v in refs.doc_nos] + [("title", v) for v in refs.names]
    await conn.executemany(
        "insert into policy_replaces (policy_id, by, value) values ($1::uuid, $2, $3) on conflict do nothing",
        [(policy_id, by, value) for by, value in rows],
    )


async def previous_of(pool: asyncpg.Pool, policy_id: str) -> tuple[Policy, str] | None:
    """The policy this one replaces, if it is in the library, and how it was found."""
    row = await pool.fetchrow(_PREVIOUS, policy_id)
    if row is None:
        return None
    found = await pool.fetchrow(POLICY_SELECT + " where p.document_id = $1::uuid", row["id"])
    return (policy_row(found), row["matched_by"]) if found else None


async def changes_from_previous(pool: asyncpg.Pool, policy: Policy) -> Changes | None:
    """The sentence diff of a policy against the one it replaces; None when that one is not in the library."""
    previous = await previous_of(pool, policy.id)
    if previous is None:
        return None
    old, how = previous
    docs = await get_documents(pool, [old.id, policy.id])
    if old.id not in docs or policy.id not in docs:
        return None
    diff = await asyncio.to_thread(sentence_diff, docs[old.id].text, docs[policy.id].text)
    return Changes(policy, old, how, diff)
