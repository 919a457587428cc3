"""Feeds: RSS 2.0, Atom and JSON Feed, relative links made absolute, unsafe XML refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from core.errors import Invalid
from scrapers.extract.feeds import parse_feed

BASE = "https://www.example.gov.cn/rss/news.xml"

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>示例市政府</title>
<item><title>市政府常务会议召开</title><link>/xw/content/post_1.html</link>
<description><![CDATA[<p>会议研究了<b>政务公开</b>工作。</p>]]></description>
<pubDate>Tue, 05 Mar 2024 10:00:00 +0800</pubDate><guid>post_1</guid></item>
<item><title>关于春节放假的通知</title><link>https://www.example.gov.cn/tzgg/post_2.html</link></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>政策文件</title>
<entry><title>示例市关于某事项的意见</title><link rel="alternate" href="/zc/post_3.html"/>
<id>tag:example.gov.cn,2024:3</id><updated>2024-03-06T08:00:00Z</updated><summary>意见全文</summary></entry>
</feed>"""


def test_rss() -> None:
    items = parse_feed(RSS.encode("utf-8"), BASE)
    assert [i.url for i in items] == [
        "https://www.example.gov.cn/xw/content/post_1.html",
        "https://www.example.gov.cn/tzgg/post_2.html",
    ]
    assert items[0].title == "市政府常务会议召开"
    assert items[0].summary == "会议研究了 政务公开 工作。" or items[0].summary == "会议研究了政务公开工作。"
    assert items[0].published == datetime(2024, 3, 5, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    assert items[0].id == "post_1"
    assert items[1].published is None


def test_atom() -> None:
    (item,) = parse_feed(ATOM, BASE)
    assert item.url == "https://www.example.gov.cn/zc/post_3.html"
    assert item.title == "示例市关于某事项的意见"
    assert item.published == datetime(2024, 3, 6, 8, 0, tzinfo=UTC)
    assert item.summary == "意见全文"


def test_json_feed() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "示例",
            "items": [
                {
                    "id": "1",
                    "url": "/a.html",
                    "title": "标题一",
                    "content_text": "正文",
                    "date_published": "2024-03-07T09:00:00+08:00",
                },
                {"id": 2, "external_url": "https://other.gov.cn/b.html", "title": "标题二"},
            ],
        },
        ensure_ascii=False,
    )
    items = parse_feed(body, BASE)
    assert [(i.url, i.title, i.id) for i in items] == [
        ("https://www.example.gov.cn/a.html", "标题一", "1"),
        ("https://other.gov.cn/b.html", "标题二", "2"),
    ]
    assert items[0].published is not None and items[0].published.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(
    "body",
    [
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><rss><channel>'
        "<item><title>&lol2;</title></item></channel></rss>",
        '<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss>&xxe;</rss>',
        "<rss><channel><item>",
        "<html><body>不是订阅源</body></html>",
        "{not json",
        '{"items": "nope"}',
    ],
)
def test_unsafe_or_invalid_feeds_are_refused(body: str) -> None:
    with pytest.raises(Invalid):
        parse_feed(body, BASE)
