"""Monitoring job actors: probe a homepage, check a site's links, inspect a site; each takes a site id."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

import dramatiq

import workers.broker  # noqa: F401 - the broker must be set before actors are declared
from core.jobs import CHECK_LINKS, INSPECT_SITE, PROBE_HOMEPAGE
from core.logs import message_id
from core.monitoring import inspect_and_alert, system_clock
from core.monitoring.thresholds import load_overrides, rule
from core.settings import Settings, get_settings
from workers.checks import check_site_links, checking_fetcher, probe_site
from workers.runtime import opened


async def _probe(settings: Settings, site_id: str) -> None:
    async with opened(settings, f"probe-{site_id}", pool_size=2) as rt:
        t = rule("site_unreachable").settings((await load_overrides(rt.pool)).get("site_unreachable", {}))
        async with checking_fetcher(settings, rt.pool, timeout_s=t["timeout_s"], retries=0, robots=False) as f:
            await probe_site(rt.pool, f, site_id, system_clock(), t["timeout_s"])


async def _check_links(settings: Settings, site_id: str) -> None:
    async with opened(settings, f"links-{site_id}", pool_size=4) as rt:
        async with checking_fetcher(settings, rt.pool, timeout_s=settings.crawl_timeout_s) as f:
            await check_site_links(rt.pool, f, site_id, system_clock())
        await inspect_and_alert(rt.pool, rt.bus, site_id, system_clock())


async def _inspect(settings: Settings, site_id: str) -> None:
    async with opened(settings, f"inspect-{site_id}", pool_size=2) as rt:
        await inspect_and_alert(rt.pool, rt.bus, site_id, system_clock())


def _run(kind: str, site_id: str, body: Coroutine[Any, Any, None]) -> None:
    token = message_id.set(f"{kind}:{site_id}")
    try:
        asyncio.run(body)
    finally:
        message_id.reset(token)


@dramatiq.actor(actor_name=PROBE_HOMEPAGE[0], queue_name=PROBE_HOMEPAGE[1], max_retries=0, time_limit=120_000)
def probe_homepage(site_id: str) -> None:
    """Probe the site's homepage once (not retried: a failed probe is a measurement, not an error)."""
    _run("probe", site_id, _probe(get_settings(), site_id))


@dramatiq.actor(actor_name=CHECK_LINKS[0], queue_name=CHECK_LINKS[1], max_retries=2)
def check_links(site_id: str) -> None:
    """Check the site's links not yet checked today, then inspect the site."""
    _run("links", site_id, _check_links(get_settings(), site_id))


@dramatiq.actor(actor_name=INSPECT_SITE[0], queue_name=INSPECT_SITE[1], max_retries=2)
def inspect_site(site_id: str) -> None:
    """Run every rule on the site; new and closed findings are published as alerts."""
    _run("inspect", site_id, _inspect(get_settings(), site_id))
