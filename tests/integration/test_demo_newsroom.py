"""The demo sites publishing and withdrawing articles at run time (the soak's change feed), served for real."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest

from core.errors import Invalid, NotFound
from ops.bench.load.changes import ChangeFeed
from ops.demo.generator import build_group
from ops.demo.newsroom import write_article
from ops.demo.server import DemoSiteGroup

pytestmark = pytest.mark.integration

NOW = datetime(2024, 6, 30, 12, 0)


@pytest.fixture
async def group(tmp_path: Path) -> AsyncIterator[DemoSiteGroup]:
    demo = DemoSiteGroup(tmp_path / "demo", now=NOW)
    await demo.start()
    yield demo
    await demo.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with http.get(url) as resp:
        return resp.status, await resp.text()


async def test_a_published_article_is_served_listed_and_kept_and_a_withdrawn_one_is_gone(
    http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    group = DemoSiteGroup(tmp_path / "demo", now=NOW)
    await group.start()
    try:
        base, url, title, old_article = await publish_and_withdraw(group, http)
    finally:
        await group.stop()
    again = DemoSiteGroup(tmp_path / "demo", now=NOW)
    await again.start()
    try:
        status, page = await get(http, url)
        assert status == 200 and title in page
        assert (await get(http, base + old_article))[0] == 404
        assert again.publish_page("demo-portal") != url, "a new article never takes an earlier one's URL"
    finally:
        await again.stop()


async def publish_and_withdraw(group: DemoSiteGroup, http: aiohttp.ClientSession) -> tuple[str, str, str, str]:
    """Publish a news article on the portal and withdraw an old one; (base, new URL, its title, old path)."""
    base = group.base("demo-portal")
    old_article = group.contents["demo-portal"].columns["ywdt"][5]
    _, untouched_before = await get(http, base + old_article.path)

    async with http.post(f"{base}/__demo__/publish", params={"column": "ywdt"}) as resp:
        assert resp.status == 200
        url = (await resp.json())["url"]
    path = url.removeprefix(base)
    status, page = await get(http, url)
    assert status == 200
    title = group.contents["demo-portal"].columns["ywdt"][0].title
    assert title in page
    for listing in ("/", "/ywdt/", "/rss.xml", "/sitemap.xml"):
        assert path in (await get(http, base + listing))[1], listing
    # Other article pages are left as they were rendered: the crawler sees one new page, not a changed site.
    assert (await get(http, base + old_article.path))[1] == untouched_before
    async with http.get(f"{base}/__demo__/articles") as resp:
        assert path in (await resp.json())["paths"]

    async with http.post(f"{base}/__demo__/withdraw", params={"path": old_article.path}) as resp:
        assert resp.status == 200 and (await resp.json())["url"] == base + old_article.path
    assert (await get(http, base + old_article.path))[0] == 404
    assert old_article.path not in (await get(http, base + "/ywdt/"))[1]
    async with http.post(f"{base}/__demo__/withdraw", params={"path": old_article.path}) as resp:
        assert resp.status == 404
    async with http.post(f"{base}/__demo__/publish", params={"column": "zcwj"}) as resp:
        assert resp.status == 400 and "ywdt" in (await resp.json())["error"]
    return base, url, title, old_article.path


def test_a_new_article_is_reproducible_and_titled_unlike_any_other_on_its_site() -> None:
    content = next(c for c in build_group(NOW) if c.spec.id == "demo-county")
    when = datetime(2026, 12, 4, 10, 30)
    first, again = write_article(content, "tzgg", 9001, when), write_article(content, "tzgg", 9001, when)
    assert (first.title, first.paragraphs) == (again.title, again.paragraphs)
    assert first.path == "/tzgg/202612/t20261204_9001.html" and first.kind == "notice"
    assert first.title not in {a.title for a in content.articles()}
    with pytest.raises(Invalid):
        write_article(content, "zcwj", 9002, when)  # policies are not what the feed publishes


async def test_the_change_feed_does_what_its_ledger_says(group: DemoSiteGroup, http: aiohttp.ClientSession) -> None:
    feed = ChangeFeed({sid: group.base(sid) for sid in group.contents}, per_minute=600, seed=3)
    async with aiohttp.ClientSession() as session:
        for _ in range(20):  # one cycle: 10 published, 7 edits, 3 withdrawals
            await feed.step(session, next(feed._actions))
    ledger = feed.ledger
    assert (len(ledger.published), len(ledger.withdrawn), not ledger.failures) == (10, 3, True)
    assert 1 <= len(ledger.edited) <= 7  # an article edited twice is one URL
    for url in ledger.published:
        assert (await get(http, url))[0] == 200
    for url, n in ledger.edited.items():
        assert f"第{n}次更新" in (await get(http, url))[1]
    for url in ledger.withdrawn:
        assert (await get(http, url))[0] == 404
    assert not set(ledger.withdrawn) & (set(ledger.published) | set(ledger.edited))
    url, site = next(iter(ledger.withdrawn.items()))
    with pytest.raises(NotFound):
        group.withdraw_page(site, url.removeprefix(group.base(site)))


async def test_with_every_original_article_used_up_a_withdrawal_publishes_instead(group: DemoSiteGroup) -> None:
    # a soak past an hour had withdrawn or edited every article the sites began with; the feed died on an empty choice
    site = sorted(group.contents)[0]
    feed = ChangeFeed({site: group.base(site)}, per_minute=600, seed=3)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{group.base(site)}/__demo__/articles") as resp:
            paths = (await resp.json())["paths"]
        feed.ledger.edited.update({group.base(site) + p: 1 for p in paths})  # as if each had been edited
        await feed.step(session, "withdraw")
    assert (len(feed.ledger.withdrawn), len(feed.ledger.published), feed.ledger.failures) == (0, 1, [])
