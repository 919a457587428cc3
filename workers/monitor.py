"""Monitoring job bodies: probe a homepage, check a site's links, inspect a site; each takes a site id."""

from __future__ import annotations

import logging

from core.bus.progress import wait_until_applied
from core.jobs import Attempt
from core.monitoring import inspect_and_alert
from core.monitoring.job_runs import job_running
from core.monitoring.thresholds import load_overrides, rule
from core.settings import Settings
from core.sites import is_crawled
from workers.checks import check_site_links, checking_fetcher, fetch_policy, probe_site
from workers.indexer import Indexer
from workers.runtime import opened

log = logging.getLogger(__name__)
# An inspection queued by a crawl waits this long for the indexer to store what the crawl published: judged before,
# a column looks stale (首页栏目不更新) and an alert goes out that the next inspection takes back.
INDEXER_WAIT_S = 60.0


async def probe_homepage(settings: Settings, site_id: str) -> None:
    """Probe the site's homepage once, with the `site_unreachable` rule's timeout."""
    async with opened(settings, f"probe-{site_id}", pool_size=2) as rt:
        t = rule("site_unreachable").settings((await load_overrides(rt.pool)).get("site_unreachable", {}))
        policy = await fetch_policy(rt.pool, site_id)
        async with checking_fetcher(
            settings, rt.pool, policy=policy, timeout_s=t["timeout_s"], retries=0, robots=False
        ) as f:
            await probe_site(rt.pool, f, site_id, rt.clock(), t["timeout_s"])


async def check_links(settings: Settings, site_id: str) -> None:
    """Check the site's links not yet checked today, then inspect the site."""
    async with opened(settings, f"links-{site_id}", pool_size=4) as rt:
        policy = await fetch_policy(rt.pool, site_id)
        async with checking_fetcher(settings, rt.pool, policy=policy, timeout_s=settings.crawl_timeout_s) as f:
            await check_site_links(rt.pool, f, site_id, rt.clock())
        await inspect_and_alert(rt.pool, rt.bus, site_id, rt.clock())


async def inspect_site(settings: Settings, site_id: str, *, attempt: Attempt | None = None) -> None:
    """Run every rule on the site, a crawled one once the indexer has stored the pages published so far (at most
    INDEXER_WAIT_S, then with what is stored; sites no one crawls, disclosure units say, do not wait). New and closed
    findings are published as alerts. The job_runs row of the message run (`attempt`) is marked running, then done,
    queued again while dramatiq retries, or failed (what runInspection reads to answer a job in flight)."""
    async with (
        opened(settings, f"inspect-{site_id}", pool_size=2) as rt,
        job_running(rt.pool, attempt, rt.clock),
    ):
        if await is_crawled(rt.pool, site_id) and not await wait_until_applied(
            rt.bus, stream=Indexer.stream, consumer=Indexer.name, timeout_s=INDEXER_WAIT_S
        ):
            log.warning("inspecting before the indexer caught up", extra={"site": site_id, "waited_s": INDEXER_WAIT_S})
        await inspect_and_alert(rt.pool, rt.bus, site_id, rt.clock())
