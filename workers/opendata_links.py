"""Open data's link checks (回头看): HEAD/GET each linked resource through the guarded, polite fetcher of the site
link checks (workers.checks), record through core.opendata.links, then inspect the open-data site."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

import asyncpg

from core.monitoring import LinkCheck, inspect_and_alert
from core.monitoring.link_rules import failure_class
from core.opendata.links import LinkResult, links_to_check, record_link_checks
from core.settings import Settings
from scrapers.fetch import Fetcher
from workers.checks import (
    LINK_CHECK_CONCURRENCY,
    check_of,
    checking_fetcher,
    fetch_policy,
    group_hosts,
    network_verdict,
)
from workers.runtime import opened

log = logging.getLogger(__name__)
REFUSED_BY_HEAD = (403, 405, 501)  # servers that refuse HEAD are asked with GET


async def check_data_links(settings: Settings, site_id: str) -> None:
    """Check the catalogue's linked resources not checked lately, then inspect the open-data site `site_id`."""
    async with opened(settings, f"data-links-{site_id}", pool_size=4) as rt:
        policy = await fetch_policy(rt.pool, site_id)
        async with checking_fetcher(settings, rt.pool, policy=policy, timeout_s=settings.crawl_timeout_s) as f:
            await check_resource_links(rt.pool, f, rt.clock())
        await inspect_and_alert(rt.pool, rt.bus, site_id, rt.clock(), settings=settings)


async def check_resource_links(
    pool: asyncpg.Pool, fetcher: Fetcher, now: datetime, *, allow: Callable[[str], bool] | None = None
) -> list[LinkResult]:
    """Check each due linked resource (HEAD, then GET where HEAD is refused) and record what was found.

    `allow` narrows which URLs may be fetched at all (tests keep to loopback); the others stay unchecked. When the
    off-site links failed as a dead network does, those failures are not recorded: our network, not the links."""
    due = [(rid, url) for rid, url in await links_to_check(pool=pool, now=now) if allow is None or allow(url)]
    gate = asyncio.Semaphore(LINK_CHECK_CONCURRENCY)

    async def one(url: str) -> tuple[str, LinkCheck | None]:
        async with gate:
            res = await fetcher.head(url)
            if res.status in REFUSED_BY_HEAD:
                res = await fetcher.fetch(url)
            return url, check_of(url, res, now)

    checked = dict(await asyncio.gather(*(one(u) for u in dict.fromkeys(u for _, u in due))))
    checks = network_verdict([c for c in checked.values() if c is not None], await group_hosts(pool))
    by_url = {c.url: c for c in checks if not (c.error or "").startswith("network_unreachable")}
    results = [
        LinkResult(
            resource_id=rid,
            url=url,
            ok=c.ok,
            checked_at=now,
            status=c.status,
            error=c.error,
            failure=None if c.ok else failure_class(c.status, c.error),
            elapsed_ms=c.elapsed_ms,
        )
        for rid, url in due
        if (c := by_url.get(url)) is not None
    ]
    await record_link_checks(pool=pool, results=results)
    log.info("data links checked", extra={"checked": len(results), "broken": sum(not r.ok for r in results)})
    return results
