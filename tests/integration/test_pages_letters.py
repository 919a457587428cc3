"""A published letter's public page on the portal, reached from search (政民互动 信件选登).

A letter published with consent carried the URL `{the site's origin}/letters/<id>`: the crawled site has no such
page (404 on the demo sites) and the portal had none either, so search hits on letters led nowhere. The URL is now
the portal's own `/letters/<id>`, which shows what the public schema's `publishedLetter` gives, and only that.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from html import unescape
from typing import Any

import aiohttp
import asyncpg
import pytest

from core.bus import Bus
from core.clock import local_date
from core.documents import get_document
from core.search.tantivy_engine import TantivyEngine
from core.settings import Settings
from tests.integration.conftest import serve_api
from tests.integration.graphql import gql
from tests.integration.search_fixtures import make_site, running, site_consumers
from tests.integration.userspace_fixtures import Person, person
from tests.polling import eventually

pytestmark = pytest.mark.integration

SUBMIT = """mutation($site: ID!, $kind: String!, $subject: String!, $body: String!, $consent: Boolean) {
  submitLetter(site: $site, kind: $kind, department: "市农业农村局", subject: $subject, body: $body,
               consentToPublish: $consent) { id } }"""
REPLY = "mutation($id: ID!, $body: String!) { replyLetter(id: $id, body: $body) { id } }"
PUBLISHED = "query($id: ID!) { publishedLetter(id: $id) { subject question reply url site { id } } }"
DATES = "query($id: ID!) { publishedLetter(id: $id) { submittedOn repliedOn } }"
SEARCH = """query($q: String!, $site: [String!]!) {
  search(query: $q, filters: {site: $site}) { hits { url kind title } } }"""
WRITER_NAME = "欧阳明哲"
REPLIER_NAME = "农业局李科长"
PHONE = "13912345678"


@dataclasses.dataclass(frozen=True)
class Letters:
    portal: str
    site: str
    writer: Person
    published: str  # the id of a letter written with consent and answered
    private: str  # answered, written without consent
    waiting: str  # written with consent, not answered yet


@pytest.fixture(scope="module")
async def portal(settings: Settings) -> AsyncIterator[str]:
    async with serve_api(settings) as url:
        yield url


async def _ok(portal: str, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    body = await gql(portal, query, variables, token=token)
    assert not body.get("errors"), body
    return dict(body["data"])


@pytest.fixture(scope="module")
async def letters(portal: str, settings: Settings, pg_pool: asyncpg.Pool, bus: Bus) -> Letters:
    """Three letters of one writer, written and answered through the API as a browser would."""
    issued = dataclasses.replace(settings, public_url=portal)  # tokens for this server (its issuer)
    site = await make_site(pg_pool)
    now = datetime.now(UTC)  # the server verifies tokens against its own clock
    writer = await person(pg_pool, issued, now, name=WRITER_NAME)
    replier = await person(pg_pool, issued, now, name=REPLIER_NAME, replier_of="市农业农村局")

    async def write(subject: str, consent: bool) -> str:
        body = f"我家在山区养了二十箱中华蜂，想申请蜜蜂养殖补贴，应该找哪个部门？电话{PHONE}。"
        variables = {"site": site, "kind": "咨询", "subject": subject, "body": body, "consent": consent}
        return str((await _ok(portal, SUBMIT, variables, writer.token))["submitLetter"]["id"])

    published, private = await write("蜜蜂养殖补贴如何申请", True), await write("私信", False)
    waiting = await write("尚未答复的来信", True)
    indexer, projector = site_consumers(pg_pool, bus, TantivyEngine(settings.data_dir), site)
    async with running(bus, indexer, projector):
        for letter_id in (published, private):
            reply = "可向所在乡镇农业服务中心提出申请，咨询电话0571-87654321。\n补贴按蜂箱数量核定。"
            await _ok(portal, REPLY, {"id": letter_id, "body": reply}, replier.token)
        await eventually(
            lambda: gql(portal, SEARCH, {"q": "蜜蜂养殖补贴", "site": [site]}),
            lambda out: [h["kind"] for h in out["data"]["search"]["hits"]] == ["letter"],
            timeout=20,
        )
    return Letters(portal, site, writer, published, private, waiting)


async def _get(url: str) -> tuple[int, dict[str, str], str]:
    async with aiohttp.ClientSession() as s, s.get(url, allow_redirects=False) as r:
        return r.status, dict(r.headers), await r.text()


async def test_a_search_hit_on_a_published_letter_opens_its_page_with_the_reply(letters: Letters) -> None:
    found = await gql(letters.portal, SEARCH, {"q": "蜜蜂养殖补贴", "site": [letters.site]})
    (hit,) = found["data"]["search"]["hits"]
    assert hit["url"] == f"{letters.portal}/letters/{letters.published}"
    status, headers, html = await _get(hit["url"])
    assert status == 200, html[:500]
    assert "script-src 'self'" in headers["Content-Security-Policy"] and "unsafe-inline" not in html
    assert '<h1 id="letter-title">蜜蜂养殖补贴如何申请</h1>' in html
    reply = re.search(r'<div class="body" id="letter-reply">(.*?)</div>', html, re.S)
    assert reply and "可向所在乡镇农业服务中心提出申请" in reply.group(1) and "补贴按蜂箱数量核定" in reply.group(1)
    assert "想申请蜜蜂养殖补贴" in html and "市农业农村局" in html and "咨询" in html
    dates = await gql(letters.portal, DATES, {"id": letters.published}, token=None)
    submitted, replied = dates["data"]["publishedLetter"]["submittedOn"], dates["data"]["publishedLetter"]["repliedOn"]
    assert submitted <= replied <= local_date(datetime.now(UTC)).isoformat()  # Beijing dates
    assert f'<time datetime="{submitted}">{submitted}</time>' in html and f'<time datetime="{replied}">' in html
    for personal in (WRITER_NAME, letters.writer.username, REPLIER_NAME, PHONE, "0571-87654321"):
        assert personal not in html, personal
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) and " style=" not in html


async def test_the_portals_search_page_links_a_letter_hit_to_its_page(letters: Letters) -> None:
    status, _, html = await _get(f"{letters.portal}/search?q=蜜蜂养殖补贴&site={letters.site}")
    assert status == 200
    links = re.findall(r'<h3><a href="([^"]+)" data-search', html)
    assert links == [f"/letters/{letters.published}"]  # the letter's page, on whichever host it was reached
    assert "信件选登" in html  # the kind, named
    status, _, page = await _get(letters.portal + links[0])
    assert status == 200 and "补贴按蜂箱数量核定" in page
    more = re.search(r'<a href="(/search\?[^"]+)">市农业农村局的其他来信</a>', page)
    assert more, "the letter page links to the department's other published letters"
    status, _, others = await _get(letters.portal + unescape(more.group(1)) + f"&site={letters.site}")
    assert status == 200 and re.findall(r'<h3><a href="([^"]+)" data-search', others) == links


async def test_a_letter_that_is_not_published_has_no_page(letters: Letters) -> None:
    for letter_id in (letters.private, letters.waiting, str(uuid.uuid4()), "not-a-letter", "1%20or%201=1"):
        status, headers, html = await _get(f"{letters.portal}/letters/{letter_id}")
        assert status == 404 and "没有找到这封信件" in html, letter_id
        assert (
            "私信" not in html and "尚未答复" not in html and "script-src 'self'" in headers["Content-Security-Policy"]
        )


async def test_the_public_schema_gives_published_letters_only(letters: Letters) -> None:
    anonymous = await gql(letters.portal, PUBLISHED, {"id": letters.published}, token=None)
    shown = anonymous["data"]["publishedLetter"]
    assert shown["subject"] == "蜜蜂养殖补贴如何申请" and shown["site"]["id"] == letters.site
    assert PHONE not in shown["question"] and "＊" * len(PHONE) in shown["question"]
    assert "0571-87654321" not in shown["reply"] and "补贴按蜂箱数量核定" in shown["reply"]
    for hidden in (letters.private, letters.waiting, str(uuid.uuid4())):
        body = await gql(letters.portal, PUBLISHED, {"id": hidden}, token=None)
        assert body["data"] == {"publishedLetter": None} and not body.get("errors"), hidden
    bad = await gql(letters.portal, PUBLISHED, {"id": "x" * 500}, token=None)
    assert bad["errors"][0]["extensions"]["code"] == "BAD_INPUT"


async def test_a_letters_document_page_points_at_the_letter_page(letters: Letters, pg_pool: asyncpg.Pool) -> None:
    page_url = f"{letters.portal}/letters/{letters.published}"
    doc = await get_document(pg_pool, url=page_url)
    status, _, html = await _get(f"{letters.portal}/documents/{doc.id}")
    assert status == 200 and f'href="/letters/{letters.published}"' in html  # 原文地址: a page that exists
