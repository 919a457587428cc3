"""Job actors: each takes ids, is idempotent, and hands the work to a core or scrapers service."""

from __future__ import annotations

import asyncio
import logging

import dramatiq

import workers.broker  # noqa: F401 - the broker must be set before actors are declared
from core.jobs import CRAWL_SITE
from core.logs import message_id
from core.settings import get_settings
from workers import monitor  # noqa: F401 - registers the monitoring actors
from workers.runtime import crawl_once

log = logging.getLogger(__name__)


@dramatiq.actor(actor_name=CRAWL_SITE[0], queue_name=CRAWL_SITE[1], max_retries=2)
def crawl_site(site_id: str, crawl_id: int) -> None:
    """Crawl one site for the crawl row `crawl_id` (a repeated message finds the crawl finished and stops)."""
    token = message_id.set(f"crawl:{crawl_id}")
    try:
        asyncio.run(crawl_once(get_settings(), site_id, crawl_id))
    finally:
        message_id.reset(token)
