"""Fund projects become documents of kind `disclosure` on their village's site, as published items do, so
search finds them (scene 基层公开, facets site and level) with their amount, spending and stage; a deleted
project's page is `gone`. Sent after the change commits (a GraphQL mutation's, or an import batch's, in bulk); the
content hash makes a repeat a no-op."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from uuid import UUID

import asyncpg

from core.bus import Bus
from core.bus.events import PageImported
from core.disclosure import bulk_store
from core.disclosure import funds_store as fs
from core.disclosure.hierarchy import ancestors, site_id_of
from core.disclosure.models import Fund
from core.disclosure.publication import KIND, PUBLISH_CHUNK, unit_names

PATH = "/disclosure/funds/"


def fund_url(base_url: str, fund_id: UUID) -> str:
    return f"{base_url.rstrip('/')}{PATH}{fund_id}"


def yuan(value: Decimal) -> str:
    return f"{value:,.2f} 元"


def fund_text(fund: Fund, names: list[str]) -> str:
    stages = "，".join(f"{s} {d.isoformat()}" for s, d in fund.stages)
    return "\n".join(
        [
            " ".join(names),
            f"村级专项资金 {fund.category} {fund.year}年 资金来源 {fund.source}级 阶段 {fund.stage}",
            f"项目金额 {yuan(fund.amount)} 已支出 {yuan(fund.spent)} 结余 {yuan(fund.amount - fund.spent)}",
            f"阶段：{stages}" if stages else "",
        ]
    ).strip()


def fund_page(fund: Fund, *, base_url: str, names: list[str], at: datetime) -> PageImported:
    """The page event of a fund project; the hash covers what is shown (amount, spent, stage …)."""
    meta = {
        "disclosure_fund": str(fund.id),
        "unit_code": fund.unit_code,
        "unit": " ".join(names),
        "board": "监督管理",
        "category": "专项资金监管",
        "amount": str(fund.amount),
        "spent": str(fund.spent),
        "stage": fund.stage,
        "source": fund.source,
        "year": fund.year,
    }
    text = fund_text(fund, names)
    content = json.dumps([fund.name, text, meta], ensure_ascii=False, sort_keys=True)
    return PageImported(
        site_id=site_id_of(fund.unit_code),
        url=fund_url(base_url, fund.id),
        status=200,
        content_hash=hashlib.sha256(content.encode()).hexdigest(),
        fetched_at=at.isoformat(),
        kind=KIND,
        title=fund.name,
        text=text,
        published_at=f"{fund.year}-01-01",
        column="监督管理/专项资金监管",
        breadcrumb=[*names, "监督管理", "专项资金监管"],
        meta=meta,
        source=KIND,
    )


def fund_gone(fund_id: UUID, unit_code: str, *, base_url: str, at: datetime) -> PageImported:
    return PageImported(
        site_id=site_id_of(unit_code),
        url=fund_url(base_url, fund_id),
        status=404,
        content_hash="gone",
        fetched_at=at.isoformat(),
        kind=KIND,
        gone=True,
        source=KIND,
    )


async def announce_fund(
    *, pool: asyncpg.Pool, bus: Bus, fund_id: UUID, base_url: str, now: datetime, unit_code: str | None = None
) -> None:
    """After commit: the project's current page, or (deleted; `unit_code` its village) its page gone."""
    fund = await fs.get_fund(pool, fund_id)
    if fund is None:
        if unit_code is not None:
            await bus.publish(fund_gone(fund_id, unit_code, base_url=base_url, at=now))
        return
    names = await unit_names(pool, set(ancestors(fund.unit_code)))
    chain = [names.get(c, c) for c in ancestors(fund.unit_code)]
    await bus.publish(fund_page(fund, base_url=base_url, names=chain, at=now))


async def announce_funds(
    *,
    pool: asyncpg.Pool,
    bus: Bus,
    fund_ids: Sequence[UUID],
    base_url: str,
    now: datetime,
    names: dict[str, str] | None = None,
) -> None:
    """After an import batch commits: the current page of each project it created, changed or found unchanged, or
    whose spending it added to, read in two statements and published `PUBLISH_CHUNK` at a time; `names`: unit code
    -> name."""
    if not fund_ids:
        return
    funds = await bulk_store.funds_with_stages(pool, fund_ids)
    if names is None:
        names = await unit_names(pool, {c for f in funds for c in ancestors(f.unit_code)})
    pages = [
        fund_page(f, base_url=base_url, names=[names.get(c, c) for c in ancestors(f.unit_code)], at=now) for f in funds
    ]
    for start in range(0, len(pages), PUBLISH_CHUNK):
        await asyncio.gather(*(bus.publish(p) for p in pages[start : start + PUBLISH_CHUNK]))
