"""A NUL character (U+0000) in text a client sends is BAD_INPUT before anything runs: Postgres cannot take it, and
`dataset(id: "\\u0000")` was INTERNAL (found by trying odd URLs on the portal: /data/%00 answered 502)."""

from __future__ import annotations

import aiohttp
import pytest

from core.settings import Settings
from core.textzh.charsets import NUL_REFUSAL
from tests.integration.conftest import serve_api
from tests.integration.graphql import gql

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("query($id: String!) { dataset(id: $id) { id } }", {"id": "a\u0000b"}),
        ('{ dataset(id: "a\\u0000b") { id } }', None),
        ("query($q: String!) { search(query: $q) { total } }", {"q": "社保\u0000"}),
        ('query($s: [String!]) { search(query: "社保", filters: {site: $s}) { total } }', {"s": ["x\u0000"]}),
    ],
)
async def test_text_with_a_nul_is_refused_as_bad_input(api_url: str, query: str, variables: dict | None) -> None:
    body = await gql(api_url, query, variables)
    assert body["data"] is None
    assert [(e["extensions"]["code"], e["message"]) for e in body["errors"]] == [("BAD_INPUT", NUL_REFUSAL)]


async def test_the_same_query_without_the_nul_runs(api_url: str) -> None:
    body = await gql(api_url, "query($q: String!) { search(query: $q) { total } }", {"q": "社保"})
    assert not body.get("errors") and body["data"]["search"]["total"] >= 0


async def test_a_portal_page_for_an_id_with_a_nul_is_a_client_error(settings: Settings) -> None:
    async with serve_api(settings) as url, aiohttp.ClientSession() as s:
        async with s.get(f"{url}/data/a%00b") as r:
            assert r.status == 400, await r.text()
        async with s.get(f"{url}/data/no-such-dataset") as r:
            assert r.status == 404


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/3/action/package_show?id=a%00b", 409),
        ("/api/action/datastore_search?resource_id=a%00b", 409),
        ("/api/3/action/organization_show?id=%00", 409),
        ("/dataset/a%00b.ttl", 400),
        ("/datastore/dump/a%00b", 400),
        ("/search?q=a%00b", 400),
        ("/graphql?query=%7Bsites%7Bid%7D%7D&x=%00", 400),
    ],
)
async def test_a_nul_in_a_path_or_query_string_is_refused_by_every_route(
    settings: Settings, path: str, status: int
) -> None:
    async with serve_api(settings) as url, aiohttp.ClientSession() as s, s.get(url + path) as r:
        assert r.status == status
        assert NUL_REFUSAL in await r.text()


async def test_a_ckan_post_with_a_nul_in_its_json_is_a_validation_error(settings: Settings) -> None:
    async with serve_api(settings) as url, aiohttp.ClientSession() as s:
        response = await s.post(f"{url}/api/3/action/package_show", json={"id": "a\u0000b"})
        body = await response.json()
    assert response.status == 409
    assert body["success"] is False and body["error"]["__type"] == "Validation Error"


async def test_a_form_or_json_body_with_a_nul_is_refused_and_others_pass_unchanged(settings: Settings) -> None:
    token_form = {"grant_type": "authorization_code", "code": "a\u0000b", "client_id": "x", "redirect_uri": "http://x"}
    async with serve_api(settings) as url, aiohttp.ClientSession() as s:
        async with s.post(f"{url}/oidc/token", data=token_form) as r:
            token = (r.status, await r.json())
        async with s.post(f"{url}/beacon/pv", json={"url": "https://example.gov.cn/a\u0000b"}) as r:
            beacon = r.status
        ok_form = {**token_form, "code": "no-such-code"}
        async with s.post(f"{url}/oidc/token", data=ok_form) as r:
            plain = r.status
        query = {"query": "query($q: String!) { search(query: $q) { total } }", "variables": {"q": "100%00 完成"}}
        async with s.post(f"{url}/graphql", json=query) as r:
            percent = (r.status, await r.json())
    assert token == (400, {"error": "BAD_INPUT", "message": NUL_REFUSAL}) and beacon == 400
    assert 400 <= plain < 500, "an ordinary bad code is the token endpoint's own answer"
    assert percent[0] == 200 and not percent[1].get("errors"), "'%00' written in JSON text is no NUL"
