"""The service graph in Postgres: one guide's part replaced at a time, read back whole with its version."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from core.qa.graph.extract import guide_graph
from core.qa.graph.models import RELATIONS, GraphNode, GuideGraph, Neighbour, ServiceView

_LIKE_ESCAPE = str.maketrans({"%": r"\%", "_": r"\_", "\\": "\\\\"})
REBUILD_BATCH = 200
GRAPH_LOCK = 0x59_57_51_47  # "YWQG": one writer of the graph at a time (a rebuild's batch, a guide's change)
# The guides a policy document bears on: those whose basis it is titled by or cites as 《name》 (as `_policies` finds
# policies for a guide, read backwards), and those already linked to it (its title changed, or it is gone).
GUIDES_OF_POLICY = """
    select distinct s.document_id::text as id from qa_graph_edges e join qa_graph_nodes s on s.id = e.source
    where e.target = any(array(select b.id from qa_graph_nodes b where b.kind = 'basis'
                               and (b.name = $1 or strpos($1, '《' || b.name || '》') > 0)) || $2::text)"""


@dataclass
class RebuildSummary:
    """What a full rebuild did."""

    guides: int = 0
    changed: int = 0
    removed: int = 0
    version: int = 0


def _hash(graph: GuideGraph, policies: Sequence[Neighbour]) -> str:
    raw = json.dumps(
        [
            graph.service.name,
            graph.service.url,
            graph.attrs,
            [(n.relation, n.node.id, n.node.name, n.position) for n in (*graph.neighbours, *policies)],
            [p.node.url for p in policies],
        ],
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


async def _policies(conn: asyncpg.Connection, names: Sequence[str]) -> list[Neighbour]:
    """Live policy documents titled by a basis name, or citing it as 《name》 in their title."""
    if not names:
        return []
    rows = await conn.fetch(
        r"""select id::text as id, title, url from live_documents
           where kind = 'policy' and (title = any($1::text[]) or title like any($2::text[]))
           order by title, id limit 20""",
        list(names),
        [f"%《{n.translate(_LIKE_ESCAPE)}》%" for n in names],
    )
    return [
        Neighbour("related_policy", GraphNode("policy", r["title"], f"policy:{r['id']}", r["url"]), i)
        for i, r in enumerate(rows)
    ]


async def _lock(conn: asyncpg.Connection) -> None:
    """The graph's writer lock, held until the transaction ends (taken again in it: granted at once)."""
    await conn.execute("select pg_advisory_xact_lock($1)", GRAPH_LOCK)


async def _bump(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("update qa_graph_state set version = version + 1 returning version"))


async def _drop_service(conn: asyncpg.Connection, service_id: str) -> bool:
    targets = await conn.fetch("select target from qa_graph_edges where source = $1", service_id)
    gone = await conn.execute("delete from qa_graph_nodes where id = $1", service_id)
    await _drop_orphans(conn, [r["target"] for r in targets])
    return gone != "DELETE 0"


async def _drop_orphans(conn: asyncpg.Connection, ids: Sequence[str]) -> None:
    await conn.execute(
        """delete from qa_graph_nodes n where n.id = any($1::text[]) and n.kind <> 'service'
           and not exists (select 1 from qa_graph_edges e where e.target = n.id)""",
        list(ids),
    )


async def apply_guide(
    conn: asyncpg.Connection, *, document_id: str, url: str, title: str, text: str, live: bool = True
) -> bool:
    """Make the graph hold what a guide says now (or nothing, when it is gone); whether anything changed.

    Run in the caller's transaction; an unchanged guide changes nothing (not even the version)."""
    await _lock(conn)
    service_id = f"service:{document_id}"
    graph = guide_graph(document_id=document_id, url=url, title=title, text=text) if live else None
    if graph is None:
        changed = await _drop_service(conn, service_id)
        if changed:
            await _bump(conn)
        return changed
    policies = await _policies(conn, graph.basis_names)
    digest = _hash(graph, policies)
    if await conn.fetchval("select content_hash from qa_graph_nodes where id = $1", service_id) == digest:
        return False
    await _drop_service(conn, service_id)
    nodes = [graph.service, *(n.node for n in (*graph.neighbours, *policies))]
    await conn.executemany(
        """insert into qa_graph_nodes (id, kind, name, url, attrs, document_id, content_hash)
           values ($1, $2, $3, $4, $5::jsonb, $6::uuid, $7)
           on conflict (id) do update set name = excluded.name, url = coalesce(excluded.url, qa_graph_nodes.url)""",
        [
            (
                n.id,
                n.kind,
                n.name,
                n.url,
                json.dumps(graph.attrs if n.kind == "service" else {}, ensure_ascii=False),
                document_id if n.kind == "service" else (n.id.split(":", 1)[1] if n.kind == "policy" else None),
                digest if n.kind == "service" else None,
            )
            for n in dict((n.id, n) for n in nodes).values()
        ],
    )
    await conn.executemany(
        """insert into qa_graph_edges (source, relation, target, position) values ($1, $2, $3, $4)
           on conflict do nothing""",
        [(service_id, n.relation, n.node.id, n.position) for n in (*graph.neighbours, *policies)],
    )
    await _bump(conn)
    return True


async def _apply_guides(conn: asyncpg.Connection, ids: Sequence[str]) -> tuple[int, int]:
    """Apply the live guides of `ids` as they are now; (guides read, guides whose part changed)."""
    docs = await conn.fetch(
        "select id::text as id, url, title, text from live_documents where id = any($1::uuid[])", list(ids)
    )
    changed = 0
    for d in docs:
        changed += await apply_guide(conn, document_id=d["id"], url=d["url"], title=d["title"], text=d["text"])
    return len(docs), changed


async def apply_policy(pool: asyncpg.Pool, *, document_id: str, title: str) -> int:
    """After a policy document changed or went: the guides it bears on applied again, so their related policies
    follow (a policy that arrived after the guide citing it, a title changed, a policy gone); how many changed."""
    async with pool.acquire() as conn, conn.transaction():
        await _lock(conn)
        rows = await conn.fetch(GUIDES_OF_POLICY, title, f"policy:{document_id}")
        _, changed = await _apply_guides(conn, [r["id"] for r in rows])
    return changed


async def rebuild(pool: asyncpg.Pool) -> RebuildSummary:
    """Bring the whole graph in step with the live service guides (after an import, or to mend a missed change)."""
    summary = RebuildSummary()
    rows = await pool.fetch("select id::text as id from live_documents where kind = 'service' order by id")
    ids = [r["id"] for r in rows]
    for start in range(0, len(ids), REBUILD_BATCH):
        async with pool.acquire() as conn, conn.transaction():
            read, changed = await _apply_guides(conn, ids[start : start + REBUILD_BATCH])
            summary.guides += read
            summary.changed += changed
    async with pool.acquire() as conn, conn.transaction():
        await _lock(conn)
        stale = await conn.fetch(
            """select id from qa_graph_nodes where kind = 'service' and document_id <> all($1::uuid[])""", ids
        )
        for r in stale:
            summary.removed += await _drop_service(conn, r["id"])
        if summary.removed:
            await _bump(conn)
    summary.version = await version(pool)
    return summary


async def version(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("select version from qa_graph_state"))


def _attrs(raw: Any) -> dict[str, Any]:
    return json.loads(raw) if isinstance(raw, str) else dict(raw or {})


async def load(pool: asyncpg.Pool) -> tuple[list[ServiceView], int]:
    """Every service with its neighbours, and the version they reflect."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        at = int(await conn.fetchval("select version from qa_graph_state"))
        services = await conn.fetch("select id, name, url, attrs from qa_graph_nodes where kind = 'service'")
        edges = await conn.fetch(
            """select e.source, e.relation, e.position, n.id, n.kind, n.name, n.url
               from qa_graph_edges e join qa_graph_nodes n on n.id = e.target
               order by e.source, e.relation, e.position"""
        )
    around: dict[str, list[Neighbour]] = {}
    for e in edges:
        node = GraphNode(e["kind"], e["name"], e["id"], e["url"])
        around.setdefault(e["source"], []).append(Neighbour(e["relation"], node, e["position"]))
    order = {r: i for i, r in enumerate(RELATIONS)}
    for near in around.values():
        near.sort(key=lambda n: (order[n.relation], n.position))
    views = [
        ServiceView(
            GraphNode("service", s["name"], s["id"], s["url"]), _attrs(s["attrs"]), tuple(around.get(s["id"], ()))
        )
        for s in services
    ]
    return views, at
