"""`yiwang up` says what is true at a start: the sites due for a crawl, or that none is due (a restart)."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest

from core.crawls import finish_crawl, queue_crawl, start_crawl
from core.settings import Settings
from ops.runtime import Resolved
from ops.up import _crawl_line, _prepare
from tests.integration.crawling import unique

pytestmark = pytest.mark.integration


async def test_the_banner_says_crawling_only_when_a_crawl_is_due(
    settings: Settings, pg_pool: asyncpg.Pool, tmp_path: Path
) -> None:
    site = unique("banner")
    sites = tmp_path / "sites.yaml"
    entry = f"{{id: {site}, name: 横幅, level: 市, start_urls: ['http://127.0.0.1:9/']}}"
    sites.write_text(f"sites:\n  - {entry}\n", "utf-8")
    count, due = await _prepare(Resolved(settings, []), sites)
    assert count == 1 and site in due
    assert f"due for a crawl now ({', '.join(due)})" in _crawl_line(count, due)
    crawl_id = await queue_crawl(pg_pool, site, "test")
    assert crawl_id is not None and await start_crawl(pg_pool, crawl_id)
    await finish_crawl(pg_pool, crawl_id, ok=True)
    _, due = await _prepare(Resolved(settings, []), sites)  # a restart right after a crawl
    assert site not in due
    assert _crawl_line(1, []) == (
        "yiwang is up: 1 site, none due for a crawl (each on its schedule; crawlSite crawls one now)."
    )
