"""Homepage probes and polite link checks: fetch with scrapers, record through core.monitoring."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from urllib.parse import urlsplit

import aiohttp
import asyncpg
from aiohttp.abc import AbstractResolver

from core.monitoring import LinkCheck, Probe, links_to_check, record_link_checks, record_probe
from core.monitoring.link_rules import NETWORK_FAILURES, failure_class
from core.settings import Settings
from core.sites import get_site, site_configs
from scrapers.fetch import Fetcher, FetchResult, HopCheck
from scrapers.guard import AddressPolicy, GuardedConnector, site_policy
from scrapers.politeness import PgHostLimiter
from scrapers.robots import RobotsCache

log = logging.getLogger(__name__)
NOT_JUDGED = frozenset({"robots_disallow", "out_of_scope"})  # we may not look: neither broken nor fine
LINK_CHECK_CONCURRENCY = 16
DETAIL_CAP = 300  # characters of a failure's detail kept with a link check (shown to admins only)
# With fewer off-site hosts failing, a dead link cannot be told from a dead network: they are judged as they are.
MIN_HOSTS_FOR_NETWORK_VERDICT = 2


async def fetch_policy(pool: asyncpg.Pool, site_id: str) -> AddressPolicy:
    """What the site's checks may connect to: public addresses, the configured sites' hosts, its own ranges."""
    site = await get_site(pool, site_id)
    return site_policy(site.config, await site_configs(pool))


@asynccontextmanager
async def checking_fetcher(
    settings: Settings,
    pool: asyncpg.Pool,
    *,
    policy: AddressPolicy,
    timeout_s: float,
    retries: int = 1,
    robots: bool = True,
    hop_check: HopCheck | None = None,
    resolver: AbstractResolver | None = None,
) -> AsyncIterator[Fetcher]:
    """A fetcher for checks: per-host politeness shared through Postgres, robots.txt obeyed, `policy` guarded
    (`resolver`, under the guard, is for tests that stand in for the internet's DNS)."""
    connector = GuardedConnector(policy, resolver=resolver)
    async with aiohttp.ClientSession(headers={"User-Agent": settings.crawl_user_agent}, connector=connector) as session:
        yield Fetcher(
            session,
            user_agent=settings.crawl_user_agent,
            timeout_s=timeout_s,
            retries=retries,
            robots=RobotsCache(session, user_agent=settings.crawl_user_agent) if robots else None,
            limiter=PgHostLimiter(pool, concurrency=2, delay_s=settings.crawl_host_delay_s),
            hop_check=hop_check,
        )


def probe_of(res: FetchResult, now: datetime, timeout_s: float) -> Probe:
    ok = res.ok and res.status is not None and 200 <= res.status < 300 and res.elapsed_ms <= timeout_s * 1000
    error = None if ok else (res.error or "too_slow")
    return Probe(probed_at=now, ok=ok, status=res.status, elapsed_ms=res.elapsed_ms, error=error)


async def probe_site(pool: asyncpg.Pool, fetcher: Fetcher, site_id: str, now: datetime, timeout_s: float) -> Probe:
    """Open the homepage once and record whether it opened in time."""
    site = await get_site(pool, site_id)
    url = site.config["start_urls"][0]
    probe = probe_of(await fetcher.fetch(url), now, timeout_s)
    await record_probe(pool, site_id, url, probe)
    return probe


def check_of(url: str, res: FetchResult, now: datetime) -> LinkCheck | None:
    """The link check a fetch amounts to: its error is `code: detail` (core.monitoring.rules shows only the code's
    class to anonymous callers); None when we may not look (robots.txt)."""
    if res.error in NOT_JUDGED:
        return None
    ok = res.status is not None and 200 <= res.status < 300 and res.error not in ("timeout", "too_slow")
    error = None if ok else (res.error or f"HTTP {res.status}")
    if not ok and res.error and res.detail and res.error != "bad_status":
        error = f"{res.error}: {res.detail}"[:DETAIL_CAP]
    return LinkCheck(url=url, ok=ok, status=res.status, error=error, elapsed_ms=res.elapsed_ms, checked_at=now)


async def check_site_links(
    pool: asyncpg.Pool, fetcher: Fetcher, site_id: str, now: datetime, *, allow: Callable[[str], bool] | None = None
) -> list[LinkCheck]:
    """Check every link of the site not yet checked today (HEAD, then GET where HEAD is refused).

    `allow` narrows which URLs may be fetched at all (tests keep to loopback); the others stay unchecked.
    """
    urls = [u for u in await links_to_check(pool, site_id, now) if allow is None or allow(u)]
    gate = asyncio.Semaphore(LINK_CHECK_CONCURRENCY)

    async def one(url: str) -> LinkCheck | None:
        async with gate:
            res = await fetcher.head(url)
            if res.status in (403, 405, 501):
                res = await fetcher.fetch(url)
            return check_of(url, res, now)

    checks = [c for c in await asyncio.gather(*(one(u) for u in urls)) if c is not None]
    checks = network_verdict(checks, await group_hosts(pool))
    await record_link_checks(pool, checks)
    log.info("links checked", extra={"site": site_id, "checked": len(checks), "broken": sum(not c.ok for c in checks)})
    return checks


async def group_hosts(pool: asyncpg.Pool) -> frozenset[str]:
    """The host names of every configured site (their start URLs, allowed hosts, feeds and portals): the hosts
    of the endpoints the outbound guard trusts for the group."""
    return frozenset(host for host, _ in site_policy({}, await site_configs(pool)).trusted)


def network_verdict(checks: list[LinkCheck], own_hosts: frozenset[str]) -> list[LinkCheck]:
    """When no off-site link answered at all and they failed as a dead network does (DNS, refused, timeout …)
    on at least two hosts, those failures are recorded as `network_unreachable`: our network, not the links."""
    outside = [c for c in checks if _hostname(c.url) not in own_hosts]
    classes = {c.url: failure_class(c.status, c.error) for c in outside if not c.ok}
    answered = any(c.ok or c.status is not None or classes.get(c.url) == "TLS" for c in outside)
    down = [c for c in outside if classes.get(c.url) in NETWORK_FAILURES]
    if answered or len({_hostname(c.url) for c in down}) < MIN_HOSTS_FOR_NETWORK_VERDICT:
        return checks
    log.warning("no off-site link answered: the network is unreachable", extra={"links": len(down)})
    marked = {c.url: replace(c, error=f"network_unreachable: {c.error}"[:DETAIL_CAP]) for c in down}
    return [marked.get(c.url, c) for c in checks]


def _hostname(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""
