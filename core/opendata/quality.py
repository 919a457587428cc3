"""回头看: the quality review of a loaded table (missing values, type errors, duplicate rows, schema drift between
loads), of a dataset (stale against its declared update frequency) and of its links (broken downloads)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import compress, islice
from operator import itemgetter, ne
from typing import Any

import asyncpg

from core.opendata.links import broken_links
from core.opendata.tabular import Table
from core.opendata.types import fits as _fits

MISSING_SHARE = 0.1  # a column with at least this share of empty cells is a finding
TYPE_SHARE = 0.9  # a text column whose cells are this much of one narrower type has type errors in the rest
MIN_TYPED = 5
SHOWN_LINES = 10
NARROWER = ("integer", "number", "date", "datetime")


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One thing the review found: its kind, the column ('' for the table), how many, and where."""

    kind: str  # missing | type | duplicate | drift | stale | link
    summary: str
    count: int
    column: str = ""
    lines: list[int] = field(default_factory=list)
    resource_id: str | None = None


def _column(table: Table, i: int) -> list[str | None]:
    return list(map(itemgetter(i), table.rows))


def _lines_of(table: Table, cells: list[str | None], wanted: Container[str | None]) -> list[int]:
    """The source lines of the first cells (in row order) that are among `wanted`."""
    return [table.lines[n] for n in islice((n for n, c in enumerate(cells) if c in wanted), SHOWN_LINES)]


def _missing(table: Table) -> list[Finding]:
    out = []
    rows = len(table.rows)
    for i, name in enumerate(table.header):
        cells = _column(table, i)
        empty = cells.count(None)
        if rows and empty / rows >= MISSING_SHARE:
            share = round(100 * empty / rows)
            out.append(
                Finding(
                    kind="missing",
                    column=name,
                    count=empty,
                    lines=_lines_of(table, cells, (None,)),
                    summary=f"列“{name}”缺失 {empty} 个值（{share}%）",
                )
            )
    return out


def _misfits(counts: Counter[str | None], kind: str, allowed: int) -> set[str]:
    """The distinct cells not of `kind`; none when more than `allowed` cells differ (the column is text, not
    mistyped). Each distinct cell is tried once."""
    bad: set[str] = set()
    differing = 0
    for cell, count in counts.items():
        if cell is not None and not _fits(kind, cell):
            bad.add(cell)
            differing += count
            if differing > allowed:
                return set()
    return bad


def _type_errors(table: Table, schema: dict[str, Any]) -> list[Finding]:
    out = []
    for i, f in enumerate(schema["fields"]):
        if f["type"] != "string":
            continue
        cells = _column(table, i)
        counts = Counter(cells)
        present = len(cells) - counts[None]
        if present < MIN_TYPED:
            continue
        allowed = int((1 - TYPE_SHARE) * present)
        for kind in NARROWER:
            bad = _misfits(counts, kind, allowed)
            if bad:
                count = sum(counts[c] for c in bad)
                out.append(
                    Finding(
                        kind="type",
                        column=f["name"],
                        count=count,
                        lines=_lines_of(table, cells, bad),
                        summary=f"列“{f['name']}”应为 {kind}，有 {count} 个值不符",
                    )
                )
                break
    return out


def _duplicates(table: Table) -> list[Finding]:
    """Rows equal to an earlier row. Their hashes are compared first, by C code (a row whose hash has a later row
    is not that hash's last: the hash repeats); rows themselves are compared only where a hash repeats."""
    keys = list(map(hash, map(tuple, table.rows)))
    last = dict(zip(keys, range(len(keys)), strict=True))
    if len(last) == len(keys):
        return []
    repeated = set(compress(keys, map(ne, map(last.__getitem__, keys), range(len(keys)))))
    seen: set[tuple[str | None, ...]] = set()
    lines = []
    for n in compress(range(len(keys)), map(repeated.__contains__, keys)):
        row = tuple(table.rows[n])
        if row in seen:
            lines.append(table.lines[n])
        seen.add(row)
    if not lines:
        return []
    return [Finding(kind="duplicate", count=len(lines), lines=lines[:SHOWN_LINES], summary=f"重复行 {len(lines)} 行")]


def _drift(before: dict[str, Any] | None, after: dict[str, Any]) -> list[Finding]:
    if before is None:
        return []
    old = {f["name"]: f["type"] for f in before["fields"]}
    new = {f["name"]: f["type"] for f in after["fields"]}
    changes = [f"删除 {n}" for n in old if n not in new] + [f"新增 {n}" for n in new if n not in old]
    changes += [f"{n} {old[n]}→{new[n]}" for n in new if n in old and old[n] != new[n]]
    if not changes:
        return []
    return [Finding(kind="drift", count=len(changes), summary="与上一版本结构不同：" + "，".join(changes))]


def review(table: Table, schema: dict[str, Any], previous: dict[str, Any] | None) -> list[Finding]:
    """Everything the review finds in a table about to be loaded (and against the schema loaded before)."""
    return _missing(table) + _type_errors(table, schema) + _duplicates(table) + _drift(previous, schema)


async def store_findings(conn: asyncpg.Connection, resource_id: str, findings: Sequence[Finding]) -> None:
    """The resource's findings, replacing those of its earlier load (in the load's transaction)."""
    await conn.execute("delete from opendata_quality where resource_id = $1::uuid", resource_id)
    await conn.executemany(
        """insert into opendata_quality (resource_id, kind, field, count, summary, lines)
           values ($1::uuid, $2, $3, $4, $5, $6)""",
        [(resource_id, f.kind, f.column, f.count, f.summary, f.lines) for f in findings],
    )


async def findings_of(pool: asyncpg.Pool, dataset_id: str, *, now: datetime) -> list[Finding]:
    """A dataset's findings: those of its loaded resources, and `stale` when it is older than its frequency allows."""
    rows = await pool.fetch(
        """select q.kind, q.field, q.count, q.summary, q.lines, q.resource_id::text as rid from opendata_quality q
           join opendata_resources r on r.id = q.resource_id where r.dataset_id = $1::uuid
           order by r.position, q.kind, q.field""",
        dataset_id,
    )
    out = [
        Finding(
            kind=r["kind"],
            column=r["field"],
            count=r["count"],
            summary=r["summary"],
            lines=list(r["lines"]),
            resource_id=r["rid"],
        )
        for r in rows
    ]
    out += [
        Finding(
            kind="link",
            count=b.failures,
            summary=f"下载链接失效（{b.failure or f'HTTP {b.status}'}）：{b.url}",
            resource_id=b.resource_id,
        )
        for b in await broken_links(pool=pool, dataset_id=dataset_id)
    ]
    stale = await stale_of(pool, dataset_id, now=now)
    return out + ([stale] if stale else [])


async def stale_of(pool: asyncpg.Pool, dataset_id: str, *, now: datetime) -> Finding | None:
    """`stale` when the dataset has gone unchanged longer than its declared frequency allows (the view
    opendata_dataset_freshness holds the one definition of how long each frequency may wait)."""
    row = await pool.fetchrow(
        "select frequency, max_days, updated from opendata_dataset_freshness where dataset_id = $1::uuid", dataset_id
    )
    if row is None or row["updated"] is None or now - row["updated"] <= timedelta(days=row["max_days"]):
        return None
    days = (now - row["updated"]).days
    late = days - row["max_days"]
    summary = f"声明“{row['frequency']}”更新，已 {days} 天未更新（超期 {late} 天）"
    return Finding(kind="stale", count=days, summary=summary)
