"""Attachments are the files a document carries: never the footer's RSS link, a sitemap or a feed."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from ops.demo.generator import build_group
from ops.demo.render import SiteRenderer
from scrapers.extract import extract

FEED_WORDS = ("rss", "feed", "atom", ".xml", ".json")


def _no_feeds(urls: list[str]) -> None:
    assert not [u for u in urls if any(w in u.lower() for w in FEED_WORDS)], urls


def test_demo_pages_carry_their_files_and_not_the_rss_footer_link() -> None:
    contents = build_group(datetime(2024, 6, 30, 12, 0))
    bases = {c.spec.id: f"http://127.0.0.1:{8000 + i}" for i, c in enumerate(contents)}
    names = {c.spec.id: c.spec.name for c in contents}
    with_files = 0
    for content in contents:
        base = bases[content.spec.id]
        pages = SiteRenderer(content, bases, names).pages({})
        carried = {a.path: a for a in content.articles()}
        for path, page in pages.items():
            html = page.body.decode(content.spec.charset)
            assert 'href="/rss.xml">RSS订阅' in html or path != "/"
            found = extract(html, base + path).attachments
            _no_feeds([a.url for a in found])
            article = carried.get(path)
            expected = {base + f.path for f in article.attachments} if article else set()
            assert {a.url for a in found} == expected, path
            with_files += bool(expected)
    assert with_files >= 5


def test_a_feed_link_is_not_an_attachment_whatever_its_name() -> None:
    html = (
        "<html><body><h1>通知</h1><div id='zoom'><p>正文内容。</p>"
        "<p><a href='/a/名单.xlsx'>附件1</a> <a href='/a/说明.ofd'>附件2</a> <a href='/a/图.zip'>附件3</a></p></div>"
        "<div class='footer'><a href='/rss.xml'>RSS订阅</a> <a href='/sitemap.xml'>网站地图</a>"
        "<a href='/api/list.json'>数据</a><a rel='alternate' type='application/rss+xml' href='/feed.zip'>订阅</a>"
        "</div></body></html>"
    )
    found = extract(html, "https://www.example.gov.cn/tzgg/t1.html").attachments
    assert [a.type for a in found] == ["xlsx", "ofd", "zip"]


@pytest.mark.corpus
def test_corpus_pages_keep_real_attachments_and_no_feeds(corpus: Path) -> None:
    root = corpus / "guangzhou-gov-pages-aizhengcetong" / "html"
    types: set[str] = set()
    for path in sorted(root.glob("*.htm*")):
        page = extract(path.read_text(encoding="utf-8", errors="replace"), f"https://www.gz.gov.cn/saved/{path.name}")
        _no_feeds([a.url for a in page.attachments])
        types |= {a.type for a in page.attachments}
    assert {"pdf", "doc", "docx", "xls", "xlsx", "png", "jpg"} <= types
    gov = corpus / "govcn-policy-pages-zhouynf"
    for line in (gov / "records.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        page = extract((gov / record["html_file"]).read_text(encoding="utf-8"), record["crawl_url"])
        _no_feeds([a.url for a in page.attachments])


def test_images_in_the_body_are_attachments_and_links_to_check() -> None:
    html = (
        "<html><body><div class='logo'><img src='/global/logo.png'></div><h1>办理指南</h1>"
        "<div id='zoom'><p>办理流程如下。" + "内容" * 40 + "</p><p><img src='flow.png' alt='办理流程图'></p>"
        "<p><img src='/images/dot.gif' width='8' height='8'><img src='scan.jpg'></p></div>"
        "<div class='footer'><img src='/global/ewm.jpg'></div></body></html>"
    )
    page = extract(html, "https://www.example.gov.cn/bsfw/t2.html")
    assert [(a.name, a.url, a.type) for a in page.attachments] == [
        ("办理流程图", "https://www.example.gov.cn/bsfw/flow.png", "png"),
        ("scan.jpg", "https://www.example.gov.cn/bsfw/scan.jpg", "jpg"),
    ]
    assert "https://www.example.gov.cn/bsfw/flow.png" in {link.url for link in page.links}
