"""The demo site group served for real on loopback: reachability, charsets, paging, metadata, feeds, changes."""

from __future__ import annotations

import asyncio
import io
import re
import socket
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.robotparser import RobotFileParser
from xml.etree import ElementTree

import aiohttp
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from core.errors import NotFound
from core.sites.config import load_sites_file
from ops.demo.generator import MISSPELT, build_group
from ops.demo.server import DemoSiteGroup, run_forever
from tests.polling import eventually

pytestmark = pytest.mark.integration

NOW = datetime(2024, 6, 30, 12, 0)
DOC_NO = re.compile(r"[示青][^\s，。]{1,4}[〔\[（(]20\d\d[〕\]）)]\d+号")
EXAMPLE = Path(__file__).resolve().parents[2] / "ops" / "demo" / "sites.example.yaml"


@dataclass
class Crawl:
    """What a breadth-first walk over one site's links found."""

    pages: dict[str, str] = field(default_factory=dict)  # canonical path -> decoded HTML
    charsets: dict[str, str] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)  # paths linked but answered 404
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # attachment path -> (type, body)
    other_status: dict[str, int] = field(default_factory=dict)


def canonical(path: str) -> str:
    if path in ("/", "/index.html"):
        return "/"
    return path + "index.html" if path.endswith("/") else path


async def crawl(http: aiohttp.ClientSession, start: str) -> Crawl:
    """Follow every same-host link from `start`, skipping /admin/ as sites.yaml excludes it."""
    host = urlsplit(start).netloc
    seen = {"/"}
    frontier = ["/"]
    found = Crawl()

    async def fetch(path: str) -> list[str]:
        async with http.get(f"http://{host}{path}", allow_redirects=False) as resp:
            body = await resp.read()
            if resp.status == 404:
                found.missing.add(path)
                return []
            if resp.status != 200:
                found.other_status[path] = resp.status
                return []
            if not resp.content_type.startswith("text/html"):
                found.files[path] = (resp.content_type, body)
                return []
            charset = resp.charset or "utf-8"
            text = body.decode(charset)
            found.pages[path] = text
            found.charsets[path] = charset
        links = []
        for node in HTMLParser(text).css("a[href]"):
            url, _ = urldefrag(urljoin(f"http://{host}{path}", node.attributes.get("href") or ""))
            parts = urlsplit(url)
            if parts.scheme == "http" and parts.netloc == host and not parts.path.startswith("/admin/"):
                links.append(canonical(parts.path))
        return links

    while frontier:
        results = await asyncio.gather(*(fetch(p) for p in frontier))
        frontier = []
        for links in results:
            for link in links:
                if link not in seen:
                    seen.add(link)
                    frontier.append(link)
    return found


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture(scope="module")
async def served(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[DemoSiteGroup, dict[str, Crawl]]]:
    group = DemoSiteGroup(tmp_path_factory.mktemp("demo"), now=NOW)
    await group.start()
    try:
        async with aiohttp.ClientSession() as session:
            crawls = {s["id"]: await crawl(session, s["start_urls"][0]) for s in group.sites()}
        yield group, crawls
    finally:
        await group.stop()


def base_of(group: DemoSiteGroup, site_id: str) -> str:
    return next(s["start_urls"][0] for s in group.sites() if s["id"] == site_id).rstrip("/")


async def test_every_page_is_reachable_from_the_homepages(served: tuple[DemoSiteGroup, dict[str, Crawl]]) -> None:
    group, crawls = served
    for site_id, found in crawls.items():
        assert set(found.pages) == set(group.contents[site_id].html_paths()), site_id
        assert not found.other_status, found.other_status
    assert sum(len(c.pages) for c in crawls.values()) == group.page_count() >= 300


async def test_broken_links_really_404(served: tuple[DemoSiteGroup, dict[str, Crawl]]) -> None:
    group, crawls = served
    for site_id, found in crawls.items():
        assert found.missing == set(group.contents[site_id].broken_links), site_id
    assert sum(len(c.missing) for c in crawls.values()) >= 4


async def test_county_is_served_in_gbk(
    served: tuple[DemoSiteGroup, dict[str, Crawl]], http: aiohttp.ClientSession
) -> None:
    group, crawls = served
    assert set(crawls["demo-county"].charsets.values()) == {"GBK"}
    assert set(crawls["demo-portal"].charsets.values()) == {"UTF-8"}
    article = group.contents["demo-county"].columns["ywdt"][0]
    async with http.get(base_of(group, "demo-county") + article.path) as resp:
        raw = await resp.read()
        assert resp.headers["Content-Type"] == "text/html; charset=GBK"
    assert b'<meta charset="gbk">' in raw
    assert article.title in raw.decode("gbk")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


async def test_column_paging_links_walk_the_whole_column(
    served: tuple[DemoSiteGroup, dict[str, Crawl]], http: aiohttp.ClientSession
) -> None:
    group, _ = served
    content = group.contents["demo-portal"]
    url, titles, pages = base_of(group, "demo-portal") + "/ywdt/", [], 0
    while url:
        async with http.get(url) as resp:
            tree = HTMLParser(await resp.text())
        items = tree.css("ul.list-ul li a")
        assert 1 <= len(items) <= 20
        titles += [a.text() for a in items]
        pages += 1
        prev = [a for a in tree.css("div.page a") if a.text() == "上一页"]
        assert bool(prev) == (pages > 1)
        nxt = [a for a in tree.css("div.page a") if a.text() == "下一页"]
        url = urljoin(url, nxt[0].attributes["href"] or "") if nxt else ""
    assert pages == 3
    assert titles == [a.title for a in content.columns["ywdt"]]
    assert [a.published for a in content.columns["ywdt"]] == sorted(
        (a.published for a in content.columns["ywdt"]), reverse=True
    )


async def test_policy_pages_carry_metadata_table_and_meta_tags(served: tuple[DemoSiteGroup, dict[str, Crawl]]) -> None:
    group, crawls = served
    doc_nos: list[str] = []
    for site_id, found in crawls.items():
        for article in group.contents[site_id].columns["zcwj"]:
            tree = HTMLParser(found.pages[article.path])
            table = tree.css_first("table.bd1")
            assert table is not None
            labels = [td.text().rstrip("：") for td in table.css("td.b1")]
            assert labels == ["索引号", "主题分类", "发文机关", "成文日期", "标题", "发文字号", "发布日期"]
            meta = {m.attributes["name"]: m.attributes["content"] for m in tree.css("meta[name]")}
            assert meta["ArticleTitle"] == article.title
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", meta["PubDate"] or "")
            assert meta["ColumnName"] == "政策文件" and meta["ColumnType"] == "政策文件"
            assert meta["SiteName"] == group.contents[site_id].spec.name
            assert meta["SiteIDCode"] and meta["ContentSource"]
            doc_nos += DOC_NO.findall(table.text())
    assert len(doc_nos) >= 40
    assert {"〔", "["} <= {n[n.index("20") - 1] for n in doc_nos}
    assert any(n.startswith("示人社") for n in doc_nos) and any(n.startswith("青政") for n in doc_nos)


async def test_interpretations_name_the_policy_they_explain(served: tuple[DemoSiteGroup, dict[str, Crawl]]) -> None:
    group, crawls = served
    for site_id, found in crawls.items():
        content = group.contents[site_id]
        policies = {a.path: a for a in content.columns["zcwj"]}
        for article in content.columns["zcjd"]:
            ref = article.explains
            assert ref is not None
            text = HTMLParser(found.pages[article.path]).text()
            assert f"《{ref.title}》" in text
            if ref.doc_no:
                assert ref.doc_no in text
            if ref.path:
                assert ref.path in policies and f'href="{ref.path}"' in found.pages[article.path]


async def test_guides_letters_and_planted_faults(served: tuple[DemoSiteGroup, dict[str, Crawl]]) -> None:
    group, crawls = served
    portal = group.contents["demo-portal"]
    guide = HTMLParser(crawls["demo-portal"].pages[portal.columns["bsfw"][0].path])
    heads = [th.text() for th in guide.css("table.bszn th")]
    assert {"事项名称", "受理条件", "申请材料", "办理地点", "办理时限", "收费标准", "咨询电话", "是否网办"} <= set(
        heads
    )
    pending = answered = 0
    for article in portal.columns["hdjl"]:
        page = crawls["demo-portal"].pages[article.path]
        assert "留言时间" in page
        if "回复内容" in page:
            answered += 1
            assert "回复单位" in page and "回复时间" in page
        else:
            pending += 1
    assert pending >= 2 and answered >= 20
    misspelt = [p for p, html in crawls["demo-portal"].pages.items() if MISSPELT in html]
    assert misspelt == [portal.misspelt_path]
    assert "暂无信息" in crawls["demo-portal"].pages["/zwdc/index.html"]
    assert all(NOW - a.published > timedelta(days=365) for a in portal.columns["rsrm"])
    assert all(timedelta(0) < NOW - a.published < timedelta(days=731) for a in portal.columns["ywdt"])


async def test_attachments_are_real_small_files(served: tuple[DemoSiteGroup, dict[str, Crawl]]) -> None:
    _, crawls = served
    files = {p: f for c in crawls.values() for p, f in c.files.items() if not p.endswith(".xml")}
    kinds = {p.rsplit(".", 1)[1] for p in files}
    assert kinds == {"pdf", "docx", "xlsx"}
    for path, (content_type, body) in files.items():
        if path.endswith(".pdf"):
            assert content_type == "application/pdf" and body.startswith(b"%PDF-1.4")
        else:
            names = zipfile.ZipFile(io.BytesIO(body)).namelist()
            assert "word/document.xml" in names or "xl/worksheets/sheet1.xml" in names


async def test_feeds_sitemap_and_robots(
    served: tuple[DemoSiteGroup, dict[str, Crawl]], http: aiohttp.ClientSession
) -> None:
    group, crawls = served
    for site in group.sites():
        base = site["start_urls"][0].rstrip("/")
        async with http.get(site["feeds"][0]) as resp:
            channel = ElementTree.fromstring(await resp.read()).find("channel")
        assert channel is not None
        links = [i.findtext("link") or "" for i in channel.findall("item")]
        assert len(links) == 20 and all(link.startswith(base + "/") for link in links)
        newest = max(group.contents[site["id"]].articles(), key=lambda a: a.published)
        assert links[0] == base + newest.path
        async with http.get(base + "/robots.txt") as resp:
            robots = RobotFileParser()
            robots.parse((await resp.text()).splitlines())
        assert robots.can_fetch("yiwang", base + "/zcwj/") and not robots.can_fetch("yiwang", base + "/admin/x.html")
        async with http.get(base + "/admin/login.html") as resp:
            assert resp.status == 403
    portal = base_of(group, "demo-portal")
    async with http.get(portal + "/sitemap.xml") as resp:
        urls = ElementTree.fromstring(await resp.read())
    locs = {el.text for el in urls.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    assert locs == {portal + p for p in crawls["demo-portal"].pages}


async def test_conditional_get_and_unknown_paths(
    served: tuple[DemoSiteGroup, dict[str, Crawl]], http: aiohttp.ClientSession
) -> None:
    group, _ = served
    base = base_of(group, "demo-dept")
    url = base + group.contents["demo-dept"].columns["zcwj"][0].path
    async with http.get(url) as resp:
        etag, modified = resp.headers["ETag"], resp.headers["Last-Modified"]
    for headers in ({"If-None-Match": etag}, {"If-Modified-Since": modified}, {"If-None-Match": f'W/"x", {etag}'}):
        async with http.get(url, headers=headers) as resp:
            assert resp.status == 304 and resp.headers["ETag"] == etag and not await resp.read()
    async with http.get(url, headers={"If-None-Match": '"stale"', "If-Modified-Since": modified}) as resp:
        assert resp.status == 200
    async with http.get(base + "/zcwj/202001/t20200101_1.html") as resp:
        assert resp.status == 404
    async with http.get(base + "/zcwj", allow_redirects=False) as resp:
        assert resp.status == 301 and resp.headers["Location"] == "/zcwj/"


async def test_change_page_survives_restart_on_the_same_ports(tmp_path: Path, http: aiohttp.ClientSession) -> None:
    state = tmp_path / "demo"
    group = DemoSiteGroup(state, now=NOW)
    await group.start()
    try:
        article = group.contents["demo-portal"].columns["zcwj"][2]
        base = base_of(group, "demo-portal")
        async with http.get(base + article.path) as resp:
            before, etag = await resp.text(), resp.headers["ETag"]
        assert "第1次更新" not in before
        assert group.change_page("demo-portal", article.path) == base + article.path
        async with http.post(f"{base}/__demo__/change", params={"path": article.path}) as resp:
            assert resp.status == 200 and await resp.json() == {"url": base + article.path, "version": 2}
        async with http.post(f"{base}/__demo__/change", params={"path": "/nope.html"}) as resp:
            assert resp.status == 404 and "error" in await resp.json()
        async with http.get(base + article.path, headers={"If-None-Match": etag}) as resp:
            after, changed_etag = await resp.text(), resp.headers["ETag"]
            assert resp.status == 200 and changed_etag != etag
        assert "第1次更新" in after and "第2次更新" in after
        with pytest.raises(NotFound):
            group.change_page("demo-portal", "/zcwj/index.html")
        with pytest.raises(NotFound):
            group.change_page("no-such-site", article.path)
        sites = group.sites()
    finally:
        await group.stop()
    again = DemoSiteGroup(state, now=NOW)
    await again.start()
    try:
        assert again.sites() == sites
        async with http.get(base + article.path) as resp:
            assert resp.headers["ETag"] == changed_etag and "第2次更新" in await resp.text()
    finally:
        await again.stop()


async def test_a_taken_port_is_replaced(tmp_path: Path) -> None:
    first = DemoSiteGroup(tmp_path, now=NOW)
    await first.start()
    ports = {s["id"]: s["allowed_hosts"][0] for s in first.sites()}
    await first.stop()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", int(ports["demo-dept"].rsplit(":", 1)[1])))
        squatter.listen()
        second = DemoSiteGroup(tmp_path, now=NOW)
        await second.start()
        try:
            now_ports = {s["id"]: s["allowed_hosts"][0] for s in second.sites()}
        finally:
            await second.stop()
    assert now_ports["demo-portal"] == ports["demo-portal"] and now_ports["demo-county"] == ports["demo-county"]
    assert now_ports["demo-dept"] != ports["demo-dept"]
    assert str(int(now_ports["demo-dept"].rsplit(":", 1)[1])) in (tmp_path / "ports.json").read_text()


async def test_sites_yaml_loads_with_the_project_parser(
    served: tuple[DemoSiteGroup, dict[str, Crawl]], tmp_path: Path
) -> None:
    group, _ = served
    group.write_sites_yaml(tmp_path / "sites.yaml")
    sites = {s.id: s for s in load_sites_file(tmp_path / "sites.yaml")}
    assert [sites[k].level for k in ("demo-portal", "demo-dept", "demo-county")] == ["市", "部门", "区县"]
    assert sites["demo-dept"].department == "示范市人力资源和社会保障局"
    assert sites["demo-portal"].exclude == ["/admin/"] and sites["demo-portal"].schedule_s == 600
    assert [s.id for s in load_sites_file(EXAMPLE)] == ["demo-portal", "demo-dept", "demo-county"]


def test_generation_is_deterministic() -> None:
    first = build_group(NOW)
    second = build_group(NOW)
    assert [(a.path, a.title, a.paragraphs) for c in first for a in c.articles()] == [
        (a.path, a.title, a.paragraphs) for c in second for a in c.articles()
    ]
    lengths = [len("".join(a.paragraphs)) for c in first for a in c.articles() if a.kind in ("news", "policy")]
    assert min(lengths) >= 300 and max(lengths) <= 1500
    for content in first:
        titles = [a.title for a in content.articles()]
        assert len(titles) == len(set(titles)), content.spec.id


def test_default_now_is_fixed_at_the_first_start(tmp_path: Path) -> None:
    first = DemoSiteGroup(tmp_path)
    second = DemoSiteGroup(tmp_path)
    assert first.now == second.now and "now" in (tmp_path / "state.json").read_text()
    paths = [a.path for c in first.contents.values() for a in c.articles()]
    assert paths == [a.path for c in second.contents.values() for a in c.articles()]
    assert first.page_count() == sum(len(c.html_paths()) for c in first.contents.values())


async def test_run_forever_prints_the_sites_and_stops_when_cancelled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], http: aiohttp.ClientSession
) -> None:
    task = asyncio.create_task(run_forever(tmp_path))
    printed = ""

    async def urls_printed() -> list[str]:
        nonlocal printed
        assert not task.done()
        printed += capsys.readouterr().out
        return re.findall(r"http://127\.0\.0\.1:\d+/", printed) if (tmp_path / "sites.yaml").exists() else []

    urls = await eventually(urls_printed, lambda found: len(found) >= 3, interval=0.02)
    assert len(urls) == 3
    async with http.get(urls[2]) as resp:
        assert resp.status == 200 and "青山县" in await resp.text()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    with pytest.raises(aiohttp.ClientConnectionError):
        async with http.get(urls[2]):
            pass


async def test_column_list_pages_are_columns_whatever_their_name(tmp_path: Path) -> None:
    """政策解读's list page is a column, not an interpretation; its articles are interpretations."""
    from scrapers.extract import extract

    group = DemoSiteGroup(tmp_path / "demo")
    await group.start()
    try:
        base = group.base("demo-portal")
        async with aiohttp.ClientSession() as s:
            async with s.get(f"{base}/zcjd/") as r:
                listing = extract(await r.text(), f"{base}/zcjd/")
            article = next(link.url for link in listing.links if "/zcjd/2" in link.url)
            async with s.get(article) as r:
                page = extract(await r.text(), article)
        assert (listing.kind, listing.column) == ("column", "政策解读")
        assert page.kind == "interpretation"
    finally:
        await group.stop()
